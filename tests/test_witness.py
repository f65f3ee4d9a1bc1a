"""The witness output of linear models: same answers, and every NaN or infinity still refused."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

import helpers
from helpers.witness import WITNESS, with_witness

X_BINARY, Y_BINARY = make_classification(300, 6, random_state=0)
X_MULTI, Y_MULTI = make_classification(300, 6, n_informative=4, n_classes=3, random_state=0)
X_REG, Y_REG = make_regression(300, 6, random_state=0)

LINEAR = {
    "binary logistic": (LogisticRegression(), X_BINARY, Y_BINARY),
    "multinomial logistic": (LogisticRegression(), X_MULTI, Y_MULTI),
    "scaler + logistic": (make_pipeline(StandardScaler(), LogisticRegression()), X_MULTI, Y_MULTI),
    "linear SVC": (LinearSVC(), X_MULTI, Y_MULTI),
    "ridge": (Ridge(), X_REG, Y_REG),
    "linear regression": (LinearRegression(), X_REG, Y_REG),
}


@pytest.fixture(scope="module", params=list(LINEAR))
def linear(request):
    model, X, y = LINEAR[request.param]
    model.fit(X, y)
    onnx_model = helpers.convert(model, X[:1])
    return request.param, model, onnx_model, X.astype(np.float32)


def test_linear_models_get_a_witness_and_keep_their_answers(linear):
    name, model, onnx_model, X = linear
    predictor = helpers.OnnxPredictor(onnx_model)
    assert predictor._witness is not None
    assert WITNESS not in predictor.output_names  # read by the predictor, not shown
    plain = ort.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    expected = dict(zip([o.name for o in plain.get_outputs()], plain.run(None, {"X": X}), strict=True))
    first = predictor.output_names[0]
    np.testing.assert_array_equal(predictor.run([first], X)[0], expected[first])
    if "probabilities" not in expected:  # a regressor, in float32
        np.testing.assert_allclose(predictor.predict(X), model.predict(X), rtol=1e-5, atol=1e-4)
        return
    np.testing.assert_array_equal(predictor.predict(X), model.predict(X))
    if name != "linear SVC":  # its "probabilities" are decision values
        np.testing.assert_allclose(predictor.predict_proba(X), expected["probabilities"], atol=1e-6)
        np.testing.assert_allclose(predictor.predict_proba(X), model.predict_proba(X), atol=1e-5)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_non_finite_value_is_refused_with_the_same_message(linear, data):
    _, _, onnx_model, X = linear
    predictor = helpers.OnnxPredictor(onnx_model)
    rows = X[: data.draw(st.integers(1, 40), label="rows")].copy()
    row = data.draw(st.integers(0, len(rows) - 1), label="row")
    column = data.draw(st.integers(0, rows.shape[1] - 1), label="column")
    rows[row, column] = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]), label="value")
    with pytest.raises(helpers.InputError) as refused:
        predictor.predict(rows)
    with pytest.raises(helpers.InputError) as value_by_value:
        predictor.inputs.feed(rows)
    assert str(refused.value) == str(value_by_value.value)


def test_large_finite_rows_are_answered_as_without_the_witness():
    model = LogisticRegression().fit(X_BINARY, Y_BINARY)
    predictor = helpers.OnnxPredictor(helpers.convert(model, X_BINARY[:1]))
    rows = np.full((2, X_BINARY.shape[1]), 3e38, dtype=np.float32)  # the scores overflow to ±inf
    rows[1] = -3e38
    np.testing.assert_allclose(predictor.predict_proba(rows), model.predict_proba(rows), atol=1e-6)
    np.testing.assert_array_equal(predictor.predict(rows), model.predict(rows))


def test_other_graphs_are_left_alone():
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X_BINARY, Y_BINARY)
    content = helpers.convert(forest, X_BINARY[:1]).SerializeToString()
    assert with_witness(content) == (content, None)
    assert helpers.OnnxPredictor(content)._witness is None
    assert with_witness(b"not a model") == (b"not a model", None)
