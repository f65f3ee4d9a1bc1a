from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification, make_regression
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import helpers
from helpers.lessons.boosting import register_boosting_converters

lightgbm = pytest.importorskip("lightgbm")
xgboost = pytest.importorskip("xgboost")
pytest.importorskip("onnxmltools")

SMALL = {"n_estimators": 20, "n_jobs": 1, "random_state": 0}


def _lgbm_classifier():
    return lightgbm.LGBMClassifier(verbose=-1, **SMALL)


@pytest.fixture(scope="module")
def registered():
    return register_boosting_converters()


@pytest.fixture(scope="module")
def classification():
    X, y = make_classification(n_samples=400, n_features=6, n_informative=4, n_classes=3, random_state=0)
    return X, y


def test_registration_names_the_classes_and_can_be_repeated(registered, classification):
    assert registered == ["LGBMClassifier", "LGBMRegressor", "XGBClassifier", "XGBRegressor"]
    assert register_boosting_converters(("xgboost",)) == ["XGBClassifier", "XGBRegressor"]
    X, y = classification
    model = _lgbm_classifier().fit(X, y)
    helpers.assert_agrees(model, helpers.OnnxPredictor(helpers.convert(model, X[:1])), X)


def test_unknown_library_is_refused():
    with pytest.raises(ValueError, match=r"among \('lightgbm', 'xgboost'\), got \['catboost'\]"):
        register_boosting_converters(("lightgbm", "catboost"))


def test_unregistered_model_points_to_the_helper():
    # skl2onnx's registry lives for the whole process: check a fresh one.
    code = """
import numpy as np, lightgbm, helpers
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
X = np.arange(40.0).reshape(20, 2)
model = make_pipeline(StandardScaler(), lightgbm.LGBMClassifier(n_estimators=2, verbose=-1))
model.fit(X, np.arange(20) % 2)
try:
    helpers.convert(model, X[:1])
except helpers.UnsupportedModelError as error:
    print(error)
"""
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "no converter for lightgbm.sklearn.LGBMClassifier (in Pipeline)" in output
    assert "call register_boosting_converters() first" in output


@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
def test_classifier_in_a_pipeline_agrees(registered, classification, library):
    X, y = classification
    X_nan = X.copy()
    X_nan[::5, 1] = np.nan
    booster = _lgbm_classifier() if library == "lightgbm" else xgboost.XGBClassifier(**SMALL)
    # SimpleImputer only fills NaN, so the trees see the float32 values ONNX sees.
    model = make_pipeline(SimpleImputer(), booster).fit(X_nan, y)
    onnx_model = helpers.convert(model, X_nan[:1])
    assert {o.name for o in onnx_model.graph.output} == {"label", "probabilities"}  # no ZipMap
    report = helpers.assert_agrees(model, helpers.OnnxPredictor(onnx_model), X_nan)
    assert report.label_agreement == 1.0


@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
def test_regressor_agrees_relative_to_its_scale(registered, library):
    X, y = make_regression(n_samples=300, n_features=5, noise=5, random_state=0)
    X32 = X.astype(np.float32)  # what the boosting libraries compute on
    if library == "lightgbm":
        model = lightgbm.LGBMRegressor(verbose=-1, **SMALL).fit(X32, y)
    else:
        model = xgboost.XGBRegressor(**SMALL).fit(X32, y)
    predictor = helpers.OnnxPredictor(helpers.convert(model, X32[:1]))
    assert not predictor.is_classifier
    # Predictions in the hundreds keep about 7 significant digits in float32.
    scale = float(np.abs(model.predict(X32)).max())
    assert helpers.compare(model, predictor, X32, rtol=1e-5, atol=1e-6 * scale).ok


def test_string_labels_and_a_column_transformer(registered, mixed_frame):
    frame, target = mixed_frame
    labels = np.array(["no", "yes"])[target]
    columns = ColumnTransformer(
        [
            ("numbers", "passthrough", ["age", "visits"]),
            ("city", OneHotEncoder(handle_unknown="ignore"), ["city"]),
        ],
        sparse_threshold=0,
    )
    model = make_pipeline(columns, _lgbm_classifier()).fit(frame, labels)
    predictor = helpers.OnnxPredictor(helpers.convert(model, frame[:1]))
    assert predictor.input_names == ["age", "visits", "city"]
    assert set(predictor.predict(frame[:20])) <= {"no", "yes"}
    helpers.assert_agrees(model, predictor, frame)


def test_float64_pipeline_with_a_cast_before_xgboost(registered):
    from skl2onnx.sklapi import CastTransformer

    X, y = make_classification(n_samples=400, n_features=6, random_state=0)
    X = np.round(X * 3)  # few distinct values: rows sit on XGBoost's split thresholds
    model = make_pipeline(StandardScaler(), CastTransformer(dtype=np.float32), xgboost.XGBClassifier(**SMALL))
    model.fit(X, y)
    onnx_model = helpers.convert(model, X[:1], dtype=np.float64)
    assert onnx_model.graph.input[0].type.tensor_type.elem_type == 11  # double
    helpers.assert_agrees(model, helpers.OnnxPredictor(onnx_model), X)


def test_zipmap_option_reaches_the_booster_in_a_pipeline(registered, classification):
    X, y = classification
    # LightGBM: its thresholds lie between training values, so float32 scaling is harmless.
    model = make_pipeline(StandardScaler(), _lgbm_classifier()).fit(X, y)
    outputs = {o.name: o.type for o in helpers.convert(model, X[:1], zipmap=True).graph.output}
    assert outputs["output_probability"].HasField("sequence_type")
    predictor = helpers.OnnxPredictor(helpers.convert(model, X[:1], zipmap=True))
    np.testing.assert_allclose(predictor.predict_proba(X[:5]), model.predict_proba(X[:5]), atol=1e-5)
