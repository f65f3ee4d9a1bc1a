"""helpers.serving: answers equal scikit-learn's, bad requests get a 4xx, concurrency, start-up."""

from __future__ import annotations

import os
import pickle
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

import helpers
from helpers.serving import app_from_env, create_app

MAX_BATCH = 50


@pytest.fixture(scope="module")
def forest_client(forest, iris):
    model, _ = forest
    X, _ = iris
    app = create_app(helpers.convert(model, X[:1]), sklearn_model=model, max_batch=MAX_BATCH)
    with TestClient(app) as client:  # "with" runs the lifespan: the session is created here
        yield client


@pytest.fixture(scope="module")
def logistic_client(logistic, iris):
    model, _ = logistic
    X, _ = iris
    with TestClient(create_app(helpers.convert(model, X[:1]), sklearn_model=model)) as client:
        yield client


# -- correct answers -----------------------------------------------------------
def test_onnx_answers_equal_sklearn(forest_client, forest, iris):
    model, _ = forest
    X, _ = iris
    for start in range(0, len(X), MAX_BATCH):
        rows = X[start : start + MAX_BATCH]
        answer = forest_client.post("/predict", json={"rows": rows.tolist()})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["backend"] == "onnxruntime"
        np.testing.assert_array_equal(body["predictions"], model.predict(rows))
        np.testing.assert_allclose(body["probabilities"], model.predict_proba(rows), atol=1e-5)
        assert answer.headers["server-timing"].startswith("model;dur=")


def test_sklearn_backend_is_the_sklearn_model(forest_client, forest, iris):
    model, _ = forest
    X, _ = iris
    answer = forest_client.post("/predict", params={"backend": "sklearn"}, json={"rows": X[:20].tolist()})
    assert answer.status_code == 200, answer.text
    assert answer.json()["backend"] == "sklearn"
    np.testing.assert_array_equal(answer.json()["predictions"], model.predict(X[:20]))
    np.testing.assert_array_equal(answer.json()["probabilities"], model.predict_proba(X[:20]))


def test_integers_and_a_single_row(forest_client, forest):
    model, _ = forest
    answer = forest_client.post("/predict", json={"rows": [[6, 3, 5, 2]]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["predictions"] == model.predict([[6, 3, 5, 2]]).tolist()


def test_regressor_has_no_probabilities(ridge):
    model, _, X = ridge
    with TestClient(create_app(helpers.convert(model, X[:1]))) as client:
        answer = client.post("/predict", json={"rows": X[:10].tolist()})
        health = client.get("/health").json()
    assert answer.status_code == 200, answer.text
    assert answer.json()["probabilities"] is None
    np.testing.assert_allclose(answer.json()["predictions"], model.predict(X[:10]), rtol=1e-4, atol=1e-3)
    assert health["classifier"] is False
    assert health["backends"] == ["onnxruntime"]


def test_health(forest_client):
    answer = forest_client.get("/health")
    assert answer.status_code == 200
    assert answer.json() | {"pid": 0} == {
        "status": "ok",
        "n_features": 4,
        "classifier": True,
        "probabilities": True,
        "model_batch": None,
        "backends": ["onnxruntime", "sklearn"],
        "max_batch": MAX_BATCH,
        "pid": 0,
    }


def test_not_started_answers_503(forest, iris):
    model, _ = forest
    X, _ = iris
    client = TestClient(create_app(helpers.convert(model, X[:1])))  # no "with": no lifespan
    assert client.get("/health").status_code == 503
    answer = client.post("/predict", json={"rows": X[:1].tolist()})
    assert answer.status_code == 503
    assert "not loaded" in answer.json()["detail"]


# -- bad requests: a 4xx with a clear message, and the server stays up ---------
BAD_REQUESTS = [
    # (what, keyword arguments of client.post, status, words the message must contain)
    ("too few features", {"json": {"rows": [[1.0, 2.0, 3.0]]}}, 422, "row 0 has 3 values, expected 4"),
    ("ragged rows", {"json": {"rows": [[1, 2, 3, 4], [1, 2, 3, 4, 5]]}}, 422, "row 1 has 5 values"),
    (
        "a string",
        {"json": {"rows": [[1, 2, 3, "a"]]}},
        422,
        "row 0, feature 3: Input should be a valid number",
    ),
    ("a numeric string", {"json": {"rows": [[1, 2, 3, "1.5"]]}}, 422, "got '1.5'"),
    ("a boolean", {"json": {"rows": [[1, 2, 3, True]]}}, 422, "valid number, got True"),
    ("rows not nested", {"json": {"rows": [1, 2, 3, 4]}}, 422, "row 0: Input should be a valid list"),
    ("missing field", {"json": {"data": [[1, 2, 3, 4]]}}, 422, "rows: Field required"),
    ("no rows", {"json": {"rows": []}}, 422, "at least 1 item"),
    ("unknown field", {"json": {"rows": [[1, 2, 3, 4]], "model": "x"}}, 422, "model: Extra inputs"),
    ("batch too large", {"json": {"rows": [[1, 2, 3, 4]] * (MAX_BATCH + 1)}}, 413, "at most 50"),
    ("too large for float32", {"json": {"rows": [[1, 2, 3, 1e300]]}}, 422, "too large for float32"),
    (
        "not JSON",
        {"content": b"rows=1,2,3,4", "headers": {"content-type": "application/json"}},
        422,
        "not valid JSON",
    ),
    ("no content type", {"content": b"1,2,3,4"}, 422, "content-type: application/json"),
    ("a JSON list", {"json": [[1, 2, 3, 4]]}, 422, "valid dictionary"),
    ("unknown backend", {"json": {"rows": [[1, 2, 3, 4]]}, "params": {"backend": "torch"}}, 422, "backend"),
]


@pytest.mark.parametrize(
    ("what", "request_kwargs", "status", "words"), BAD_REQUESTS, ids=[r[0] for r in BAD_REQUESTS]
)
def test_bad_request_gets_a_clear_4xx(forest_client, what, request_kwargs, status, words):
    answer = forest_client.post("/predict", **request_kwargs)
    assert answer.status_code == status, answer.text
    detail = answer.json()["detail"]
    assert isinstance(detail, str)
    assert words in detail, detail
    assert forest_client.get("/health").status_code == 200  # still up
    assert forest_client.post("/predict", json={"rows": [[5.1, 3.5, 1.4, 0.2]]}).status_code == 200


def test_sklearn_backend_absent_without_a_model(ridge):
    model, _, X = ridge
    with TestClient(create_app(helpers.convert(model, X[:1]))) as client:
        answer = client.post("/predict?backend=sklearn", json={"rows": X[:1].tolist()})
    assert answer.status_code == 404
    assert "created without sklearn_model" in answer.json()["detail"]


@pytest.mark.parametrize("backend", ["onnxruntime", "sklearn"])
def test_nan_rejected_where_sklearn_rejects_it(logistic_client, backend):
    # LogisticRegression rejects NaN; null in JSON is a missing value, so both backends answer 422.
    answer = logistic_client.post(
        "/predict", params={"backend": backend}, json={"rows": [[5.1, None, 1.4, 0.2]]}
    )
    assert answer.status_code == 422, answer.text
    assert "NaN" in answer.json()["detail"]
    assert logistic_client.get("/health").status_code == 200


def test_nan_refused_where_the_onnx_forest_would_answer_differently(forest, iris):
    # scikit-learn's forest accepts NaN, its ONNX conversion does not reproduce it: 422, not a wrong answer.
    model, _ = forest
    X, _ = iris
    with TestClient(create_app(helpers.convert(model, X[:10]), sklearn_model=model)) as client:
        answer = client.post("/predict", json={"rows": [[5.1, None, 1.4, 0.2]]})
        assert answer.status_code == 422, answer.text
        assert "does not handle NaN the way" in answer.json()["detail"]
        sklearn_answer = client.post("/predict?backend=sklearn", json={"rows": [[5.1, None, 1.4, 0.2]]})
        assert sklearn_answer.status_code == 200


# -- concurrency ---------------------------------------------------------------
def test_concurrent_requests_all_correct(forest_client, forest, iris):
    model, _ = forest
    X, _ = iris
    expected = model.predict(X)
    n_requests = 300

    def ask(index: int) -> tuple[int, int, object]:
        row = index % len(X)
        backend = "sklearn" if index % 3 == 0 else "onnxruntime"
        answer = forest_client.post("/predict", params={"backend": backend}, json={"rows": [X[row].tolist()]})
        return row, answer.status_code, answer.json()["predictions"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(ask, range(n_requests)))
    assert len(answers) == n_requests
    assert all(status == 200 for _, status, _ in answers)
    assert all(predictions == [expected[row]] for row, _, predictions in answers)


# -- creating the application --------------------------------------------------
def test_create_app_checks_its_arguments(forest, iris, tmp_path):
    model, _ = forest
    X, _ = iris
    with pytest.raises(ValueError, match="max_batch must be a positive integer"):
        create_app(helpers.convert(model, X[:1]), max_batch=0)
    with pytest.raises(FileNotFoundError, match="no ONNX model at"):
        create_app(tmp_path / "missing.onnx")
    with pytest.raises(TypeError, match="expected an onnx.ModelProto"):
        create_app(model)


def test_a_pickle_is_refused_at_start_up(forest, tmp_path):
    model, _ = forest
    path = tmp_path / "model.onnx"
    path.write_bytes(pickle.dumps(model))
    app = create_app(path)
    with pytest.raises(helpers.ModelFileError, match=r"model\.onnx.* looks like a pickle"), TestClient(app):
        pass


def test_bytes_that_are_not_a_model_are_refused_at_start_up():
    with (
        pytest.raises(helpers.ModelFileError, match="not a loadable ONNX model"),
        TestClient(create_app(b"this is not an ONNX model")),
    ):
        pass


def test_multi_input_model_is_refused_with_a_clear_message(pipeline, mixed_frame):
    model, _ = pipeline
    frame, _ = mixed_frame
    app = create_app(helpers.convert(model, frame[:1]))
    with pytest.raises(ValueError, match="one float input of shape"), TestClient(app):
        pass


def test_app_from_env(forest, iris, tmp_path, monkeypatch):
    model, _ = forest
    X, _ = iris
    path = tmp_path / "forest.onnx"
    path.write_bytes(helpers.convert(model, X[:1]).SerializeToString())
    monkeypatch.setenv("ONNX_MODEL_PATH", str(path))
    monkeypatch.setenv("ONNX_MAX_BATCH", "3")
    with TestClient(app_from_env()) as client:
        assert client.get("/health").json()["backends"] == ["onnxruntime"]
        assert client.post("/predict", json={"rows": X[:3].tolist()}).json()["predictions"] == (
            model.predict(X[:3]).tolist()
        )
        assert client.post("/predict", json={"rows": X[:4].tolist()}).status_code == 413
    monkeypatch.setenv("ONNX_MAX_BATCH", "many")
    with pytest.raises(RuntimeError, match="ONNX_MAX_BATCH must be a positive integer"):
        app_from_env()
    monkeypatch.delenv("ONNX_MODEL_PATH")
    with pytest.raises(RuntimeError, match="set ONNX_MODEL_PATH"):
        app_from_env()


def test_uvicorn_command_line(forest, iris, tmp_path):
    """The command of the module docstring, on a loopback port, then stopped."""
    import httpx

    model, _ = forest
    X, _ = iris
    path = tmp_path / "forest.onnx"
    path.write_bytes(helpers.convert(model, X[:1]).SerializeToString())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "uvicorn", "--factory", "helpers.serving:app_from_env"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(command, env={**os.environ, "ONNX_MODEL_PATH": str(path)})
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5, trust_env=False) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None, "uvicorn exited"
                assert time.monotonic() < deadline, "uvicorn did not start within 60 s"
                time.sleep(0.1)
            answer = client.post("/predict", json={"rows": X[:5].tolist()})
        assert answer.status_code == 200, answer.text
        assert answer.json()["predictions"] == model.predict(X[:5]).tolist()
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_uvicorn_exits_when_the_model_does_not_load(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(pickle.dumps({"not": "a model"}))
    command = [sys.executable, "-m", "uvicorn", "--factory", "helpers.serving:app_from_env"]
    command += ["--host", "127.0.0.1", "--port", "0"]
    finished = subprocess.run(
        command,
        env={**os.environ, "ONNX_MODEL_PATH": str(path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode != 0
    assert "looks like a pickle" in finished.stderr
    assert "Application startup failed" in finished.stderr
