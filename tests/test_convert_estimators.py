"""Estimators skl2onnx converts wrongly are refused, the agreement check on the sample catches the
others, and estimators whose converter takes no options or other inputs still convert (issue 20,
causes 9 and 13)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    StackingClassifier,
)
from sklearn.feature_extraction import DictVectorizer, FeatureHasher
from sklearn.feature_selection import RFE, RFECV
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import TunedThresholdClassifierCV
from sklearn.multioutput import MultiOutputClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import LabelBinarizer, LabelEncoder, OneHotEncoder, StandardScaler

import helpers
from helpers import conversion


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    X[:, 0] = rng.integers(0, 5, 200)  # a category, coded 0 to 4
    y = ((X[:, 0] % 2 == 0) ^ (X[:, 1] > 0)).astype(int)
    frame = pd.DataFrame(X, columns=["colour", "b", "c", "d"])
    frame["colour"] = pd.Categorical(np.array(["red", "green", "blue", "grey", "pink"])[X[:, 0].astype(int)])
    return X, y, frame


def _categorical_models(X, y, frame):
    hist = HistGradientBoostingClassifier(max_iter=20, categorical_features=[0], random_state=0)
    numbers = ColumnTransformer([("scaled", StandardScaler(), [1, 2, 3])], remainder="passthrough")
    return {
        "classifier": (hist, X),
        "regressor": (HistGradientBoostingRegressor(max_iter=20, categorical_features=[0]), X),
        "from_dtype": (HistGradientBoostingClassifier(max_iter=20), frame),  # the category column
        "in a pipeline": (
            make_pipeline(numbers, HistGradientBoostingClassifier(max_iter=20, categorical_features=[3])),
            X,
        ),
        "in a stacking": (StackingClassifier([("hist", hist), ("logistic", LogisticRegression())]), X),
    }


@pytest.mark.parametrize("name", ["classifier", "regressor", "from_dtype", "in a pipeline", "in a stacking"])
def test_categorical_hist_gradient_boosting_is_refused_with_the_way_out(data, name):
    X, y, frame = data
    model, sample = _categorical_models(X, y, frame)[name]
    model.fit(sample, y)
    with pytest.raises(helpers.UnsupportedModelError, match=r"categorical.*#1051.*OneHotEncoder"):
        helpers.convert(model, sample)


def test_hist_gradient_boosting_on_encoded_categories_converts(data):
    """The way out the message gives: the categories encoded before the model."""
    _, y, frame = data
    encoded = ColumnTransformer([("colour", OneHotEncoder(), ["colour"])], remainder="passthrough")
    model = make_pipeline(encoded, HistGradientBoostingClassifier(max_iter=20)).fit(frame, y)
    predictor = helpers.OnnxPredictor(helpers.convert(model, frame))
    assert helpers.compare(model, predictor, frame).ok


def test_the_check_on_the_sample_catches_what_no_refusal_names(data, monkeypatch):
    """Without its refusal, a categorical model converts silently wrong: the check on the sample
    says so, with the report; verify=False hands the model over anyway."""
    X, y, _ = data
    model = HistGradientBoostingClassifier(max_iter=20, categorical_features=[0], random_state=0).fit(X, y)
    monkeypatch.setattr(conversion, "refuse_wrong_conversions", lambda model: None)
    with pytest.raises(helpers.UnsupportedModelError, match=r"(?s)disagrees on X.*labels.*verify=False"):
        helpers.convert(model, X)
    unchecked = helpers.OnnxPredictor(helpers.convert(model, X, verify=False))
    assert not helpers.compare(model, unchecked, X).ok


def test_tuned_threshold_is_refused_and_caught_by_the_check(data, monkeypatch):
    X, _, _ = data
    rng = np.random.default_rng(1)
    noisy = (X[:, 1] + rng.normal(scale=1.0, size=len(X)) > 0.8).astype(
        int
    )  # imbalanced: the threshold moves
    model = TunedThresholdClassifierCV(LogisticRegression(), scoring="balanced_accuracy").fit(X, noisy)
    with pytest.raises(helpers.UnsupportedModelError, match=r"without its tuned threshold.*best_threshold_"):
        helpers.convert(model, X)
    monkeypatch.setattr(conversion, "refuse_wrong_conversions", lambda model: None)
    with pytest.raises(helpers.UnsupportedModelError, match=r"(?s)disagrees.*rows with another label"):
        helpers.convert(model, X)


def test_float32_rounding_is_a_warning_naming_float64_and_grows_with_the_values(data):
    """A regression of values up to 3,000 on features near 100, in float32: the check's absolute
    tolerance grows with the values (no false alarm). Near 1,000, float32 loses more: labels agree and
    values are within 1%, so it is a warning that names float64 (other labels are an error)."""
    X, _, _ = data
    target = 1000 * X[:, 1]
    model = LinearRegression().fit(X + 100, target)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        predictor = helpers.OnnxPredictor(helpers.convert(model, X + 100))
    assert not helpers.compare(model, predictor, X + 100).ok  # the default absolute tolerance is 1e-5
    model.fit(X + 1000, target)
    with pytest.warns(UserWarning, match=r"(?s)disagrees on X.*Float32 rounding\? Use dtype=np\.float64"):
        helpers.convert(model, X + 1000)
    exact = helpers.OnnxPredictor(helpers.convert(model, X + 1000, dtype=np.float64))
    assert helpers.compare(model, exact, X + 1000).ok


@pytest.mark.parametrize("selector", [RFE, RFECV])
def test_feature_elimination_converts_as_its_selection(data, selector):
    """skl2onnx's converter for RFE takes no options (convert used to add zipmap) and gives the
    selected columns, as ``transform`` does."""
    X, y, _ = data
    model = selector(LogisticRegression(), **({"n_features_to_select": 2} if selector is RFE else {}))
    model.fit(X, y)
    predictor = helpers.OnnxPredictor(helpers.convert(model, X))
    np.testing.assert_allclose(predictor.predict(X), model.transform(X), rtol=1e-5, atol=1e-6)
    assert helpers.compare(model, predictor, X).values == "transformed values"


def test_multi_output_probabilities_are_a_list_as_sklearn_gives(data):
    X, y, _ = data
    Y = np.c_[y, (X[:, 2] > 0).astype(int), (X[:, 3] > 0.5).astype(int) + (X[:, 3] > 1)]
    model = MultiOutputClassifier(LogisticRegression()).fit(X, Y)
    predictor = helpers.OnnxPredictor(helpers.convert(model, X))
    proba = predictor.predict_proba(X)
    assert isinstance(proba, list) and [p.shape for p in proba] == [(200, 2), (200, 2), (200, 3)]
    for onnx_part, sklearn_part in zip(proba, model.predict_proba(X), strict=True):
        np.testing.assert_allclose(onnx_part, sklearn_part, atol=1e-5)
    np.testing.assert_array_equal(predictor.predict(X), model.predict(X))
    assert helpers.compare(model, predictor, X).ok


LABELS = np.array(["red", "green", "blue", "green"] * 30, dtype=object)


@pytest.mark.parametrize(
    "model, sample",
    [
        (LabelEncoder(), LABELS),
        (LabelEncoder(), LABELS.tolist()),
        (LabelEncoder(), np.array([3, 1, 4, 1, 5] * 20)),
        (LabelBinarizer(), LABELS),
        (LabelBinarizer(), np.array([3, 1, 4, 1, 5] * 20)),
        (DictVectorizer(sparse=False), [{"a": 1.0, "b": 2.0}, {"a": 3.0, "c": 1.0}, {"b": 0.5}]),
        (DictVectorizer(), [{"a": 1.0, "b": 2.0}, {"a": 3.0, "c": 1.0}, {"b": 0.5}]),  # sparse
        (FeatureHasher(n_features=8, input_type="string"), np.array([["a", "b"], ["c", "a"], ["b", "d"]])),
    ],
    ids=[
        "label encoder",
        "label encoder, list",
        "label encoder, integers",
        "label binarizer",
        "label binarizer, integers",
        "dict vectorizer",
        "dict vectorizer, sparse",
        "feature hasher",
    ],
)
def test_labels_dicts_and_strings_convert_and_run_as_given(model, sample):
    model.fit(sample)
    predictor = helpers.OnnxPredictor(helpers.convert(model, sample))
    expected = model.transform(sample)
    expected = expected.toarray() if hasattr(expected, "toarray") else expected
    np.testing.assert_allclose(predictor.predict(sample).reshape(expected.shape), expected)
    assert helpers.compare(model, predictor, sample).ok


def test_initial_types_are_passed_through():
    from skl2onnx.common.data_types import DictionaryType, FloatTensorType, StringTensorType

    rows = [{"a": 1.0, "b": 2.0}, {"a": 3.0}]
    model = DictVectorizer(sparse=False).fit(rows)
    types = [("features", DictionaryType(StringTensorType([1]), FloatTensorType([1])))]
    predictor = helpers.OnnxPredictor(helpers.convert(model, rows, initial_types=types))
    assert predictor.input_names == ["features"]
    np.testing.assert_allclose(predictor.predict(rows), model.transform(rows))
    np.testing.assert_allclose(predictor.predict(rows[0]), model.transform(rows[:1]))  # one dict: one row


def test_labels_are_fed_one_dimensional_and_refused_otherwise():
    model = LabelEncoder().fit(LABELS)
    predictor = helpers.OnnxPredictor(helpers.convert(model, LABELS))
    np.testing.assert_array_equal(predictor.predict(["blue", "red"]), [0, 2])
    assert predictor.predict(LABELS[:0]).shape == (0,)
    with pytest.raises(helpers.InputError, match=r"1-D labels.*X\.ravel\(\).*\(120, 1\)"):
        predictor.predict(LABELS.reshape(-1, 1))
    with pytest.raises(helpers.InputError, match=r"NUL .*row 1"):
        predictor.predict(["red", "red\x00"])  # a list keeps the string exactly
    with pytest.raises(helpers.InputError, match="takes dicts, got a list"):
        helpers.OnnxPredictor(helpers.convert(DictVectorizer().fit([{"a": 1.0}]), [{"a": 1.0}])).predict(
            [1.0]
        )


@pytest.mark.parametrize(
    "n_features, sample_shape, hint",
    [
        (4, (4,), r"use X\.reshape\(1, -1\) for one row"),
        (1, (200,), r"use X\.reshape\(-1, 1\) for one feature"),
    ],
)
def test_a_one_dimensional_sample_gets_the_reshape_that_fits_the_model(data, n_features, sample_shape, hint):
    X, y, _ = data
    model = LogisticRegression().fit(X[:, :n_features], y)
    sample = X[0, :n_features] if sample_shape == (n_features,) else X[:, 0]
    with pytest.raises(helpers.InputError, match=rf"2-D sample of shape \(n_rows, {n_features}\).*{hint}"):
        helpers.convert(model, sample)
