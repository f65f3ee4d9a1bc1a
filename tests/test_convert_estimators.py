"""Estimators skl2onnx converts wrongly are refused, the agreement check on the sample catches the
others, and estimators whose converter takes no options or other inputs still convert (issue 20,
causes 9 and 13)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    StackingClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import helpers


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
