"""helpers.serving serves what the model takes, and says what it gives (issue 20): a fixed batch
dimension, a free width, a classifier without probabilities, and onnxruntime's errors as a 4xx."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("hypothesis")
import onnx
from fastapi import HTTPException
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression, RidgeClassifier, SGDClassifier
from sklearn.svm import LinearSVC

import helpers
from helpers.checks import describe_rows
from helpers.errors import ChunkError
from helpers.serving import app_from_env, create_app
from helpers.serving.model import model_refusal

MAX_BATCH = 20
ROWS = st.lists(st.lists(st.floats(-10, 10), min_size=4, max_size=4), min_size=1, max_size=7)


def _converted(model, shape):
    """skl2onnx's conversion with the input shape ``shape`` (not helpers.convert, which fixes the width)."""
    return to_onnx(
        model, initial_types=[("X", FloatTensorType(shape))], options={id(model): {"zipmap": False}}
    )


def _equal_to_sklearn(answer, model, rows):
    assert answer.status_code == 200, answer.text
    np.testing.assert_array_equal(answer.json()["predictions"], model.predict(np.array(rows)))
    np.testing.assert_allclose(
        answer.json()["probabilities"], model.predict_proba(np.array(rows)), rtol=1e-4, atol=1e-5
    )


# -- a fixed batch dimension: the request is run in calls of that many rows ------------------------
@pytest.fixture(scope="module", params=[1, 3], ids=["batch1", "batch3"])
def fixed_batch(request, logistic):
    model, _ = logistic
    app = create_app(_converted(model, [request.param, 4]), max_batch=MAX_BATCH)
    with TestClient(app) as client:
        yield request.param, client


@given(rows=ROWS)
@settings(max_examples=15)
def test_a_fixed_batch_answers_every_row_as_the_model_does_alone(fixed_batch, logistic, rows):
    # on main: any number of rows but the model's batch was a 500 (onnxruntime's dimension check)
    size, client = fixed_batch
    model, _ = logistic
    answer = client.post("/predict", json={"rows": rows})
    _equal_to_sklearn(answer, model, rows)
    alone = [client.post("/predict", json={"rows": [row]}).json() for row in rows]
    assert answer.json()["predictions"] == [a["predictions"][0] for a in alone]
    assert answer.json()["probabilities"] == [a["probabilities"][0] for a in alone]  # exactly
    assert client.get("/health").json()["model_batch"] == size


def test_a_fixed_batch_names_the_rows_as_sent(fixed_batch):
    size, client = fixed_batch
    rows = [[5.1, 3.5, 1.4, 0.2]] * 4 + [[5.1, None, 1.4, 0.2]]  # NaN in row 4: LogisticRegression refuses it
    answer = client.post("/predict", json={"rows": rows})
    assert answer.status_code == 422, answer.text
    assert "first: row 4" in answer.json()["detail"]
    overflow = client.post(
        "/predict", json={"rows": [[1, 2, 3, 4]] * 2 + [[3e38] * 4]}
    )  # row 2 overflows float32
    assert overflow.status_code == 422, overflow.text
    call = range(2 - 2 % size, 2 - 2 % size + size)  # the rows of the call that holds row 2
    assert overflow.json()["detail"].startswith(f"the model rejected {describe_rows(call)} of the request")
    assert (
        f"is NaN or infinite for row {2 % size}, whose inputs" in overflow.json()["detail"]
    )  # not the padding


# -- a free width: never guessed ---------------------------------------------------------------
def test_a_free_width_that_nothing_states_is_refused_at_start_up(logistic):
    # on main: served, and a row of 2 values was answered with made-up probabilities
    model, _ = logistic
    app = create_app(_converted(model, [None, None]))
    with pytest.raises(ValueError, match=r"free width.*n_features= to create_app"), TestClient(app):
        pass


@pytest.fixture(scope="module")
def free_width(logistic):
    model, _ = logistic
    with TestClient(create_app(_converted(model, [None, None]), n_features=4)) as client:
        yield client


@given(width=st.integers(1, 8), data=st.data())
@settings(max_examples=25)
def test_a_free_width_serves_the_stated_width_only(free_width, logistic, width, data):
    model, _ = logistic
    rows = data.draw(
        st.lists(st.lists(st.floats(-10, 10), min_size=width, max_size=width), min_size=1, max_size=5)
    )
    answer = free_width.post("/predict", json={"rows": rows})
    if width == 4:
        _equal_to_sklearn(answer, model, rows)
    else:  # wider was a 500, narrower a 200 with made-up values
        assert answer.status_code == 422, answer.text
        assert f"row 0 has {width} values, expected 4" in answer.json()["detail"]


def test_the_width_comes_from_sklearn_model_or_the_environment(logistic, iris, tmp_path, monkeypatch):
    model, _ = logistic
    X, _ = iris
    free = _converted(model, [None, None])
    with TestClient(create_app(free, sklearn_model=model)) as client:
        assert client.get("/health").json()["n_features"] == 4
        _equal_to_sklearn(client.post("/predict", json={"rows": X[:3].tolist()}), model, X[:3])
    path = tmp_path / "free.onnx"
    path.write_bytes(free.SerializeToString())
    monkeypatch.setenv("ONNX_MODEL_PATH", str(path))
    monkeypatch.setenv("ONNX_N_FEATURES", "4")
    with TestClient(app_from_env()) as client:
        assert client.post("/predict", json={"rows": [[1, 2]]}).status_code == 422


@pytest.mark.parametrize(
    ("shape", "n_features", "words"),
    [
        ([None, 4], 3, "contradicted: the model's input shape: 4, n_features: 3"),
        ([None, None], 5, "does not run on rows of 5 values (the width from n_features)"),
        ([None, None], 0, "n_features must be a positive integer"),
    ],
)
def test_a_wrong_width_is_refused_at_start_up(logistic, shape, n_features, words):
    model, _ = logistic
    with (
        pytest.raises(ValueError) as raised,
        TestClient(create_app(_converted(model, shape), n_features=n_features)),
    ):
        pass
    assert words in str(raised.value)


# -- a classifier without probabilities: labels, and scores never called probabilities -----------
LABELS_ONLY = [LinearSVC(), RidgeClassifier(), SGDClassifier(loss="hinge", random_state=0)]


@pytest.mark.parametrize("binary", [False, True], ids=["3 classes", "2 classes"])
@pytest.mark.parametrize("estimator", LABELS_ONLY, ids=lambda e: type(e).__name__)
def test_a_classifier_without_predict_proba_answers_labels_only(iris, estimator, binary):
    # on main: ?backend=sklearn was a 500 (no predict_proba), the ONNX backend served scores
    X, y = iris
    y = (y == 1).astype(int) if binary else y
    model = estimator.fit(X, y)
    onnx_model = helpers.convert(model, X[:1])
    for app in (create_app(onnx_model, sklearn_model=model), create_app(onnx_model)):
        with TestClient(app) as client:
            health = client.get("/health").json()
            assert (health["classifier"], health["probabilities"]) == (True, False)
            for backend in health["backends"]:
                answer = client.post("/predict", params={"backend": backend}, json={"rows": X[::10].tolist()})
                assert answer.status_code == 200, answer.text
                assert answer.json()["probabilities"] is None
                np.testing.assert_array_equal(answer.json()["predictions"], model.predict(X[::10]))


@pytest.mark.parametrize(
    "estimator",
    [LogisticRegression(max_iter=1000), CalibratedClassifierCV(LinearSVC())],
    ids=lambda e: type(e).__name__,
)
def test_a_classifier_with_probabilities_serves_them_without_sklearn_model(iris, estimator):
    X, y = iris
    model = estimator.fit(X, y)
    with TestClient(create_app(helpers.convert(model, X[:1]))) as client:
        assert client.get("/health").json()["probabilities"] is True
        _equal_to_sklearn(client.post("/predict", json={"rows": X[::10].tolist()}), model, X[::10])


def test_the_forest_serves_probabilities_without_sklearn_model(forest, iris):
    model, _ = forest
    X, _ = iris
    with TestClient(create_app(helpers.convert(model, X[:1]))) as client:
        assert client.get("/health").json()["probabilities"] is True


# -- onnxruntime's errors are a 4xx naming the cause; a bug is still a 500 ------------------------
@pytest.fixture(scope="module")
def lookup_client():
    """A graph that looks each value up in a table of 10: a value out of range is an error of
    onnxruntime (INVALID_ARGUMENT) on those rows only."""
    nodes = [
        helper.make_node("Cast", ["X"], ["index"], to=TensorProto.INT64),
        helper.make_node("Gather", ["table", "index"], ["variable"], axis=0),
    ]
    table = helper.make_tensor("table", TensorProto.FLOAT, [10], [float(v) for v in range(10)])
    graph = helper.make_graph(
        nodes,
        "lookup",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 2])],
        [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 2])],
        initializer=[table],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    with TestClient(create_app(model)) as client:
        yield client


def test_an_error_of_onnxruntime_on_the_rows_is_a_422(lookup_client):
    assert lookup_client.post("/predict", json={"rows": [[1, 2]]}).json()["predictions"] == [[1.0, 2.0]]
    answer = lookup_client.post("/predict", json={"rows": [[1, 2], [3, 70]]})  # was a 500
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"].startswith("the model rejected the rows: onnxruntime: INVALID_ARGUMENT: ")
    assert "indices element out of data bounds, idx=70" in answer.json()["detail"]
    assert lookup_client.get("/health").status_code == 200


def test_a_bug_is_still_a_500(logistic, iris, monkeypatch):
    from helpers.serving.model import ServedModel

    def broken(self, X, sklearn=False):
        raise KeyError("a bug")

    model, _ = logistic
    X, _ = iris
    with TestClient(create_app(helpers.convert(model, X[:1])), raise_server_exceptions=False) as client:
        monkeypatch.setattr(ServedModel, "run", broken)
        answer = client.post("/predict", json={"rows": [[1, 2, 3, 4]]})
    assert answer.status_code == 500
    assert answer.json()["detail"] == "internal error (KeyError); the server logged it"


ORT = (
    "onnxruntime failed to run the model from m.onnx: [ONNXRuntimeError] : {} : Non-zero status code returned"
)


@pytest.mark.parametrize(
    ("error", "status", "words"),
    [
        (helpers.InputError("row 3 holds NaN"), 422, "the model rejected the rows: row 3 holds NaN"),
        (
            RuntimeError(
                ORT.format("1 : FAIL") + " while running Scan node. Name:'s' Status Message: Mismatch"
            ),
            422,
            "the model rejected the rows: onnxruntime: FAIL: Mismatch",
        ),
        (
            RuntimeError(
                ORT.format("6 : RUNTIME_EXCEPTION") + " Status Message: Failed to allocate memory for "
                "requested buffer of size 8"
            ),
            503,
            "could not allocate memory for 7 rows",
        ),
        (
            ChunkError(10, 20, RuntimeError("[ONNXRuntimeError] : 1 : FAIL : Status Message: broken")),
            422,
            "the model rejected rows 10 to 19: onnxruntime: FAIL: broken",
        ),
    ],
)
def test_what_a_run_raises_becomes_an_answer_naming_its_cause(error, status, words):
    refusal = model_refusal(error, 7)
    assert isinstance(refusal, HTTPException)
    assert refusal.status_code == status
    assert words in refusal.detail, refusal.detail


def test_an_error_that_is_not_the_model_s_stays_a_bug():
    bug = RuntimeError("dictionary changed size during iteration")
    assert model_refusal(bug, 1) is bug
