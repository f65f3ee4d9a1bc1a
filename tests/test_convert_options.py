"""helpers.convert's default converter options (FAST_OPTIONS): faster, and still exact.

Every model family of the benchmark grid, converted with the defaults, must
agree with scikit-learn; nearest neighbours must get the CDist operator, but
only for the metric onnxruntime implements.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC, SVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import helpers

CLASSIFIERS = {
    "logistic": lambda: LogisticRegression(max_iter=1000),
    "svc": lambda: SVC(),  # labels only: probability=True is deprecated in scikit-learn 1.9
    "knn": lambda: KNeighborsClassifier(),
    "tree": lambda: DecisionTreeClassifier(max_depth=6, random_state=0),
    "forest": lambda: RandomForestClassifier(n_estimators=10, max_depth=6, random_state=0),
    "extra_trees": lambda: ExtraTreesClassifier(n_estimators=10, max_depth=6, random_state=0),
    "boosting": lambda: GradientBoostingClassifier(n_estimators=10, random_state=0),
    "hist_boosting": lambda: HistGradientBoostingClassifier(max_iter=10, random_state=0),
    "mlp": lambda: MLPClassifier(hidden_layer_sizes=(16,), max_iter=2000, random_state=0),
    "scaler_pipeline": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
    "knn_pipeline": lambda: make_pipeline(StandardScaler(), KNeighborsClassifier()),
}
REGRESSORS = {
    "linear": lambda: LinearRegression(),
    "ridge": lambda: Ridge(),
    "svr": lambda: SVR(),
    "knn": lambda: KNeighborsRegressor(),
    "tree": lambda: DecisionTreeRegressor(max_depth=6, random_state=0),
    "forest": lambda: RandomForestRegressor(n_estimators=10, max_depth=6, random_state=0),
    "hist_boosting": lambda: HistGradientBoostingRegressor(max_iter=10, random_state=0),
    "mlp": lambda: MLPRegressor(hidden_layer_sizes=(16,), max_iter=2000, random_state=0),
}


@pytest.fixture(scope="module")
def classification():
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=0)
    return X[:200], y[:200], X[200:]


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=300, n_features=6, noise=1.0, random_state=0)
    return X[:200], y[:200] / np.abs(y).max(), X[200:]


def _op_types(onnx_model):
    return {node.op_type for node in onnx_model.graph.node}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_every_classifier_family_agrees_with_the_default_options(name, classification):
    X_train, y_train, X_new = classification
    model = CLASSIFIERS[name]().fit(X_train, y_train)
    predictor = helpers.OnnxPredictor(helpers.convert(model, X_train[:1]))
    assert helpers.compare(model, predictor, X_new).ok


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", sorted(REGRESSORS))
def test_every_regressor_family_agrees_with_the_default_options(name, regression):
    X_train, y_train, X_new = regression
    model = REGRESSORS[name]().fit(X_train, y_train)
    predictor = helpers.OnnxPredictor(helpers.convert(model, X_train[:1]))
    # float32 sums over 6 features: an absolute 1e-4 on targets scaled to [-1, 1]
    assert helpers.compare(model, predictor, X_new, atol=1e-4).ok


def test_column_transformer_on_a_dataframe_agrees():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "size": rng.normal(size=200),
            "count": rng.integers(0, 5, 200),
            "colour": rng.choice(["r", "g"], 200),
        }
    )
    target = (frame["size"] + (frame["colour"] == "r") > 0.5).astype(int)
    columns = ColumnTransformer(
        [("numbers", StandardScaler(), ["size", "count"]), ("colour", OneHotEncoder(), ["colour"])]
    )
    model = make_pipeline(columns, LogisticRegression()).fit(frame, target)
    assert helpers.compare(model, helpers.OnnxPredictor(helpers.convert(model, frame[:1])), frame).ok


@pytest.mark.parametrize("model", [KNeighborsClassifier(), KNeighborsRegressor(metric="euclidean")])
def test_nearest_neighbours_use_cdist_not_scan(model, classification):
    X_train, y_train, _ = classification
    onnx_model = helpers.convert(model.fit(X_train, y_train), X_train[:1])
    assert "CDist" in _op_types(onnx_model)
    assert "Scan" not in _op_types(onnx_model)


def test_cdist_reaches_a_pipeline_step(classification):
    X_train, y_train, _ = classification
    model = make_pipeline(StandardScaler(), KNeighborsClassifier()).fit(X_train, y_train)
    assert "CDist" in _op_types(helpers.convert(model, X_train[:1]))


@pytest.mark.parametrize("params", [{"metric": "manhattan"}, {"p": 1}, {"p": 3}, {"metric": "cosine"}])
def test_metrics_cdist_does_not_implement_keep_the_scan_conversion(params, classification):
    X_train, y_train, X_new = classification
    model = KNeighborsClassifier(**params).fit(X_train, y_train)
    onnx_model = helpers.convert(model, X_train[:1])
    assert "CDist" not in _op_types(onnx_model)
    assert helpers.compare(model, helpers.OnnxPredictor(onnx_model), X_new).ok


def test_caller_options_win_over_the_defaults(classification):
    X_train, y_train, _ = classification
    model = KNeighborsClassifier().fit(X_train, y_train)
    by_class = helpers.convert(model, X_train[:1], options={KNeighborsClassifier: {"optim": None}})
    assert "CDist" not in _op_types(by_class)
    by_id = helpers.convert(model, X_train[:1], options={id(model): {"optim": None}})
    assert "CDist" not in _op_types(by_id)
    flat = helpers.convert(model, X_train[:1], options={"zipmap": True})
    assert "ZipMap" in _op_types(flat)
    assert "CDist" in _op_types(flat)  # the caller changed zipmap only


def test_zipmap_argument_keeps_working_with_the_default_options(classification):
    X_train, y_train, X_new = classification
    model = KNeighborsClassifier().fit(X_train, y_train)
    onnx_model = helpers.convert(model, X_train[:1], zipmap=True)
    assert {"ZipMap", "CDist"} <= _op_types(onnx_model)
    assert helpers.compare(model, helpers.OnnxPredictor(onnx_model), X_new).ok
