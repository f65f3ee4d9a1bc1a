from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    VotingClassifier,
)
from sklearn.exceptions import NotFittedError
from sklearn.feature_selection import VarianceThreshold
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import helpers
from helpers.conversion import initial_types
from helpers.nan_checks import float_columns, inf_rejected, nan_rejected


def _types(onnx_model):
    return {i.name: i.type.tensor_type.elem_type for i in onnx_model.graph.input}


def test_array_types_follow_the_sample(iris):
    X, y = iris
    model = LogisticRegression(max_iter=1000).fit(X, y)
    assert _types(helpers.convert(model, X[:1])) == {"X": 1}  # float32 by default
    assert _types(helpers.convert(model, X[:1], dtype=np.float64)) == {"X": 11}
    assert _types(helpers.convert(model, X[:1].astype(np.int64))) == {"X": 7}


@pytest.mark.parametrize(
    "model",
    [GradientBoostingClassifier(n_estimators=3, random_state=0), HistGradientBoostingClassifier(max_iter=3)],
    ids=["gradient boosting", "hist gradient boosting"],
)
def test_float64_classifiers_onnxruntime_cannot_load_are_refused_at_conversion(iris, model):
    """skl2onnx writes these with float64 inputs into models onnxruntime refuses to load
    (onnx/sklearn-onnx#1183): convert says so, instead of handing over a broken model."""
    X, y = iris
    model.fit(X, y)
    with pytest.raises(helpers.UnsupportedModelError, match=r"float64 inputs.*dtype=np\.float32"):
        helpers.convert(model, X[:1], dtype=np.float64)
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)  # loads: accepted
    predictor = helpers.OnnxPredictor(helpers.convert(forest, X[:1], dtype=np.float64))
    np.testing.assert_array_equal(predictor.predict(X), forest.predict(X))


def test_classifier_probabilities_are_a_plain_tensor_by_default(logistic, iris):
    model, _ = logistic
    X, _ = iris
    outputs = {o.name: o.type for o in helpers.convert(model, X[:1]).graph.output}
    assert outputs["probabilities"].HasField("tensor_type")
    zipmap = {o.name: o.type for o in helpers.convert(model, X[:1], zipmap=True).graph.output}
    assert zipmap["output_probability"].HasField("sequence_type")


def test_dataframe_gives_one_input_per_column_typed_by_dtype(pipeline, mixed_frame):
    frame, _ = mixed_frame
    model, _ = pipeline
    onnx_model = helpers.convert(model, frame[:1])
    assert _types(onnx_model) == {"age": 1, "visits": 7, "city": 8}


@pytest.mark.parametrize("dtype", ["object", "category", "string", "str"])
def test_string_like_columns_become_string_inputs(dtype):
    if dtype == "str" and not pd.__version__.startswith("3"):
        pytest.skip("the 'str' dtype is pandas 3's default string dtype")
    frame = pd.DataFrame({"city": pd.Series(["a", "b"], dtype=dtype)})
    assert initial_types(frame)[0][1].__class__.__name__ == "StringTensorType"


def test_unsupported_column_dtype_is_named():
    frame = pd.DataFrame({"when": pd.to_datetime(["2024-01-01", "2024-01-02"])})
    with pytest.raises(helpers.InputError, match="column 'when' has dtype datetime64"):
        initial_types(frame)


def test_one_dimensional_sample_is_rejected(iris):
    X, y = iris
    model = LogisticRegression(max_iter=1000).fit(X, y)
    with pytest.raises(helpers.InputError, match="reshape"):
        helpers.convert(model, X[0])


class _Unknown(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        return np.zeros(len(X), dtype=int)

    def predict_proba(self, X):
        return np.ones((len(X), len(self.classes_))) / len(self.classes_)


def test_estimator_without_converter_is_named(iris):
    X, y = iris
    model = make_pipeline(StandardScaler(), _Unknown()).fit(X, y)
    with pytest.raises(helpers.UnsupportedModelError, match=r"_Unknown.*update_registered_converter"):
        helpers.convert(model, X[:1])


def test_not_fitted_and_not_an_estimator(iris):
    X, _ = iris
    with pytest.raises(NotFittedError, match="LogisticRegression is not fitted"):
        helpers.convert(LogisticRegression(), X[:1])
    with pytest.raises(helpers.UnsupportedModelError, match="got dict"):
        helpers.convert({}, X[:1])


def test_metadata_records_where_sklearn_rejects_nan(logistic, boosting, iris, pipeline, mixed_frame):
    X, _ = iris
    rejected = {p.key: p.value for p in helpers.convert(logistic[0], X[:1]).metadata_props}
    assert json.loads(rejected["helpers.nan_rejected"]) == [0, 1, 2, 3]
    accepted = {p.key: p.value for p in helpers.convert(boosting[0], X[:1]).metadata_props}
    assert json.loads(accepted["helpers.nan_rejected"]) == []
    frame, _ = mixed_frame
    imputed = {p.key: p.value for p in helpers.convert(pipeline[0], frame[:1]).metadata_props}
    assert json.loads(imputed["helpers.nan_rejected"]) == []
    assert json.loads(imputed["helpers.feature_names"]) == ["age", "visits", "city"]


def test_metadata_marks_nan_the_onnx_model_gets_wrong(iris, boosting):
    # skl2onnx 1.20 drops a random forest's missing-value support: NaN rows get other answers.
    from sklearn.ensemble import RandomForestClassifier

    X, y = iris
    forest = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    props = {p.key: p.value for p in helpers.convert(forest, X[:10]).metadata_props}
    assert json.loads(props["helpers.nan_rejected"]) == []
    assert json.loads(props["helpers.nan_mismatched"]) == [0, 1, 2, 3]
    props = {p.key: p.value for p in helpers.convert(boosting[0], X[:10]).metadata_props}
    assert json.loads(props["helpers.nan_mismatched"]) == []


def test_function_transformer_is_named(iris):
    from sklearn.preprocessing import FunctionTransformer

    X, y = iris
    model = make_pipeline(FunctionTransformer(np.log1p), LogisticRegression(max_iter=1000)).fit(X, y)
    with pytest.raises(helpers.UnsupportedModelError, match="FunctionTransformer is not supported"):
        helpers.convert(model, X[:1])


def test_original_column_names_are_kept(renamed_pipeline):
    model, renamed = renamed_pipeline
    onnx_model = helpers.convert(model, renamed[:1])
    props = {p.key: p.value for p in onnx_model.metadata_props}
    assert json.loads(props["helpers.columns"]) == ["age/years", "visits", "city"]
    assert [i.name for i in onnx_model.graph.input] != ["age/years", "visits", "city"]  # skl2onnx renamed one


_CONVERT_WITH_EVERY_WARNING = """
import warnings
from sklearn.datasets import load_iris
from sklearn.ensemble import HistGradientBoostingClassifier
import helpers
from helpers.conversion import initial_types
X, y = load_iris(return_X_y=True)
model = HistGradientBoostingClassifier(max_iter=3).fit(X, y)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    helpers.convert(model, X[:1])
print(sorted({str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)}))
"""


def test_no_dependency_warning_reaches_the_user():
    """skl2onnx writes booleans into node attributes and protobuf warns about each (DeprecationWarning):
    convert keeps that noise, which the user can do nothing about, to itself. In a fresh process:
    protobuf stops warning after its first 100 warnings, which earlier tests may have used up."""
    root = Path(__file__).resolve().parent.parent
    command = [sys.executable, "-c", _CONVERT_WITH_EVERY_WARNING]
    output = subprocess.run(command, cwd=root, capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"


# -- where NaN and infinity are refused: batched probes, answered as one call per column would ------


def _one_call_per_column(model, X, value):
    """The reference the batched probes must match: one predict call per float column."""
    refused = []
    for column in float_columns(X):
        rows = X.iloc[:1].copy() if isinstance(X, pd.DataFrame) else np.array(X[:1], dtype=np.float64)
        if isinstance(rows, pd.DataFrame):
            rows[column] = value
        else:
            rows[:, column] = value
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.predict(rows)
        except ValueError:
            refused.append(column)
    return refused


def _routed_frame():
    """Four float columns: a and b imputed, c and d only scaled (so they refuse NaN), plus text."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(200, 4)), columns=["a", "b", "c", "d"])
    frame["city"] = rng.choice(["lyon", "nice"], 200)
    target = (frame["a"] + frame["c"] > 0).astype(int)
    return frame, target


def _probe_cases():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 12))
    X[:, 3] = 1.0  # constant: VarianceThreshold drops it, so NaN and infinity there reach nothing
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    frame, target = _routed_frame()
    routed = ColumnTransformer(
        [
            ("imputed", SimpleImputer(), ["a", "b"]),
            ("scaled", StandardScaler(), ["c", "d"]),
            ("city", OneHotEncoder(), ["city"]),
        ]
    )
    passthrough = ColumnTransformer([("imputed", SimpleImputer(), [0, 1, 2])], remainder="passthrough")
    return {
        "logistic": (LogisticRegression(), X, y),
        "forest": (RandomForestClassifier(n_estimators=3, random_state=0), X, y),
        "hist gradient boosting": (HistGradientBoostingClassifier(max_iter=3), X, y),
        "scaled logistic": (make_pipeline(StandardScaler(), LogisticRegression()), X, y),
        "dropped column": (make_pipeline(VarianceThreshold(), LogisticRegression()), X, y),
        "routed frame": (make_pipeline(routed, LogisticRegression()), frame, target),
        "passthrough": (make_pipeline(passthrough, LogisticRegression()), X, y),
        "voting": (VotingClassifier([("a", LogisticRegression()), ("b", RandomForestClassifier(3))]), X, y),
    }


@pytest.mark.parametrize("name", sorted(_probe_cases()))
def test_batched_probes_answer_as_one_call_per_column(name):
    model, X, y = _probe_cases()[name]
    model.fit(X, y)
    assert nan_rejected(model, X[:1]) == _one_call_per_column(model, X[:1], np.nan)
    assert inf_rejected(model, X[:1]) == _one_call_per_column(model, X[:1], np.inf)


def test_columns_routed_to_an_imputer_take_nan_the_others_refuse_it():
    frame, target = _routed_frame()
    routed = ColumnTransformer(
        [("imputed", SimpleImputer(), ["a", "b"]), ("scaled", StandardScaler(), ["c", "d"])],
        remainder="drop",
    )
    model = make_pipeline(routed, LogisticRegression()).fit(frame, target)
    props = {p.key: p.value for p in helpers.convert(model, frame[:1]).metadata_props}
    assert json.loads(props["helpers.nan_rejected"]) == ["c", "d"]
    assert json.loads(props["helpers.inf_rejected"]) == ["a", "b", "c", "d"]  # SimpleImputer refuses inf


def test_probes_cost_one_or_two_calls_however_wide(monkeypatch):
    X = np.random.default_rng(0).normal(size=(50, 300))
    y = (X[:, 0] > 0).astype(int)
    for model, most in [(LogisticRegression(), 2), (HistGradientBoostingClassifier(max_iter=2), 1)]:
        model.fit(X, y)
        monkeypatch.setattr(model, "predict", mock.Mock(wraps=model.predict))
        assert len(nan_rejected(model, X[:1])) == (300 if most == 2 else 0)
        assert model.predict.call_count <= most
