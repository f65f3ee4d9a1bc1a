"""Hostile input, round two ("Nothing crashes, nothing lies"): each case agrees with scikit-learn
or ends in a clear InputError, never a lost or invented row, NaN or a misleading message."""

from __future__ import annotations

import numpy as np
import pytest

import helpers
from helpers import InputError


def test_a_dict_of_two_dimensional_columns_is_refused(pipeline, mixed_frame):
    _, predictor = pipeline  # one input per column
    frame, _ = mixed_frame
    columns = {name: frame[name].to_numpy()[:2] for name in frame.columns}
    assert predictor.predict(columns).shape == (2,)
    assert predictor.predict({k: v.reshape(-1, 1) for k, v in columns.items()}).shape == (2,)
    wide = {name: np.stack([values, values], axis=1) for name, values in columns.items()}  # (2, 2)
    with pytest.raises(InputError, match=r"column 'age'.*1-D.*\(2, 2\)"):
        predictor.predict(wide)


def _plain_onnx(model, X):
    from skl2onnx import to_onnx  # no helpers metadata

    return to_onnx(model, X[:1].astype(np.float32), options={id(model): {"zipmap": False}})


def test_a_model_without_helpers_metadata_refuses_nan(logistic, iris):
    model, _ = logistic
    X, _ = iris
    predictor = helpers.OnnxPredictor(_plain_onnx(model, X))
    rows = X[:3].copy()
    rows[1, 2] = np.nan
    for method in (predictor.predict, predictor.predict_proba):
        with pytest.raises(InputError, match=r"(?s)NaN.*row 1.*no record of where NaN.*helpers.convert"):
            method(rows)
    np.testing.assert_array_equal(predictor.predict(X[:5]), model.predict(X[:5]))


def test_the_web_app_names_nan_for_a_model_without_metadata(logistic, iris):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from helpers.serving import create_app

    model, _ = logistic
    X, _ = iris
    with TestClient(create_app(_plain_onnx(model, X))) as client:
        answer = client.post("/predict", json={"rows": [[5.1, None, 1.4, 0.2]]})
    assert answer.status_code == 422, answer.text
    assert "NaN" in answer.json()["detail"] and "overflow" not in answer.json()["detail"]


def test_models_made_by_convert_keep_their_nan_behaviour(boosting, forest, iris):
    X, _ = iris
    rows = X[:2].copy()
    rows[0, 0] = np.nan
    model, predictor = boosting  # records nan_rejected == []: answers like scikit-learn
    assert predictor.inputs.metadata.nan_rejected == ()
    np.testing.assert_array_equal(predictor.predict(rows), model.predict(rows))
    _, predictor = forest  # records the mismatch
    with pytest.raises(InputError, match="does not handle NaN the way"):
        predictor.predict(rows)


def test_zipmap_probabilities_on_no_rows_have_the_classes_width(logistic, iris):
    model, _ = logistic
    X, _ = iris
    predictor = helpers.OnnxPredictor(helpers.convert(model, X[:1], zipmap=True))
    assert predictor.predict_proba(X[:0]).shape == (0, len(model.classes_)) == (0, 3)
    labels, proba = predictor.predict_with_proba(X[:0])
    assert labels.shape == (0,) and proba.shape == (0, 3)


def test_benchmark_html_escapes_candidate_names():
    from helpers.benchmark import BenchmarkResult

    times = [1e-3, 1.1e-3, 0.9e-3, 1.05e-3]
    result = BenchmarkResult({("<b>x</b>", 1): times, ("y & z", 1): times}, ["<b>x</b>", "y & z"], [1])
    html = result._repr_html_()
    assert "<b>x</b>" not in html and html.count("&lt;b&gt;x&lt;/b&gt;") == 2  # the cell and the caption
    assert "y &amp; z" in html and "no clear difference" in html


@pytest.mark.parametrize("variable", ["ONNX_MAX_BATCH", "ONNX_MAX_BODY_BYTES"])
@pytest.mark.parametrize("value", ["²", "0", "-3", "1e3", "٣"])
def test_environment_sizes_are_parsed_strictly(logistic, iris, tmp_path, monkeypatch, variable, value):
    pytest.importorskip("fastapi")
    from helpers.serving import app_from_env

    model, _ = logistic
    X, _ = iris
    path = tmp_path / "model.onnx"
    path.write_bytes(helpers.convert(model, X[:1]).SerializeToString())
    monkeypatch.setenv("ONNX_MODEL_PATH", str(path))
    monkeypatch.setenv(variable, value)
    with pytest.raises(RuntimeError, match=rf"^{variable} must be a positive integer .*digits 0-9"):
        app_from_env()


def test_a_content_length_of_superscript_digits_is_not_a_server_error():
    pytest.importorskip("fastapi")
    import asyncio

    from starlette.requests import Request

    from helpers.serving.body import read_body

    body = b'{"rows": [[5.1, 3.5, 1.4, 0.2]]}'

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {"type": "http", "method": "POST", "headers": [(b"content-length", b"\xb2")]}  # "²"
    assert asyncio.run(read_body(Request(scope, receive), 1000)) == body


def test_a_dollar_in_a_model_file_name_does_not_stop_the_report(tmp_path, logistic, iris, capsys):
    import joblib

    from helpers.cli import EXIT_OK, main

    model, _ = logistic
    X, _ = iris
    joblib.dump(model, tmp_path / "bad$\\frac$.joblib")
    np.save(tmp_path / "rows.npy", X[:30])
    out = tmp_path / "report"
    args = [
        "--model",
        str(tmp_path / "bad$\\frac$.joblib"),
        "--trust-pickle",
        "--data",
        str(tmp_path / "rows.npy"),
    ]
    code = main([*args, "--out", str(out), "--budget", "0.2", "--batch-sizes", "1,10"])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    assert "bad$\\frac$" in (out / "report.html").read_text()


@pytest.fixture(scope="module")
def colors():
    """A one-column OneHotEncoder pipeline: its ONNX model takes one string input."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    frame = pd.DataFrame({"color": np.random.default_rng(0).choice(["red", "green", "blue"], 60)})
    model = make_pipeline(OneHotEncoder(handle_unknown="ignore"), LogisticRegression())
    model.fit(frame, frame["color"] == "red")
    return model, helpers.OnnxPredictor(helpers.convert(model, frame[:1])), frame


def test_a_model_with_one_string_input_predicts_from_a_dataframe(colors):
    model, predictor, frame = colors
    np.testing.assert_array_equal(predictor.predict(frame[:5]), model.predict(frame[:5]))
    np.testing.assert_allclose(predictor.predict_proba(frame), model.predict_proba(frame), atol=1e-5)
    rows = frame[:3].to_numpy()  # a C-contiguous object array: checked like any other
    np.testing.assert_array_equal(predictor.predict(rows), model.predict(frame[:3]))


@pytest.mark.parametrize("bad", [None, np.nan, 3])
def test_an_object_array_for_a_string_input_is_checked(colors, bad):
    _, predictor, _ = colors
    rows = np.array([["red"], [bad]], dtype=object)
    assert rows.flags.c_contiguous
    with pytest.raises(InputError, match=r"column 'color'"):
        predictor.predict(rows)


def test_a_nul_character_in_text_is_refused(colors, pipeline, mixed_frame):
    _, predictor, _ = colors
    with pytest.raises(InputError, match=r"column 'color' holds NUL .*row 1"):
        predictor.predict(np.array([["red"], ["red\x00"]], dtype=object))
    _, predictor = pipeline  # one input per column
    rows, _ = mixed_frame
    with pytest.raises(InputError, match=r"column 'city' holds NUL .*row 0"):
        predictor.predict(rows[:2].assign(city=["nice\x00", "lyon"]))
