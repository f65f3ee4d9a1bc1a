"""Models fitted on DataFrames: an all-numeric frame becomes one tensor input, checked by name."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import helpers


@pytest.fixture(scope="module")
def numeric_frame():
    """30 float columns, the last two of them integers, as most real tables have."""
    X, y = make_classification(n_samples=300, n_features=30, n_informative=6, random_state=0)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(30)])
    frame[["f28", "f29"]] = np.round(frame[["f28", "f29"]] * 3).astype(np.int64)
    return frame, y


def _props(onnx_model):
    return {p.key: json.loads(p.value) for p in onnx_model.metadata_props if p.key != "helpers.estimator"}


@pytest.mark.parametrize(
    "model",
    [
        RandomForestClassifier(n_estimators=10, random_state=0),
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
    ],
    ids=["forest", "scaler and logistic regression"],
)
def test_numeric_frame_becomes_one_input(numeric_frame, model):
    frame, y = numeric_frame
    model.fit(frame, y)
    onnx_model = helpers.convert(model, frame[:1])
    inputs = [(i.name, i.type.tensor_type.shape.dim[1].dim_value) for i in onnx_model.graph.input]
    assert inputs == [("X", 30)]
    props = _props(onnx_model)
    assert props["helpers.feature_names"] == list(frame.columns) and "helpers.columns" not in props
    predictor = helpers.OnnxPredictor(onnx_model)
    expected = model.predict_proba(frame)
    np.testing.assert_allclose(predictor.predict_proba(frame), expected, atol=1e-5)
    np.testing.assert_allclose(predictor.predict_proba(frame.to_numpy()), expected, atol=1e-5)
    shuffled = frame[frame.columns[::-1]]  # matched by name
    np.testing.assert_allclose(predictor.predict_proba(shuffled), expected, atol=1e-5)
    with pytest.raises(helpers.InputError, match=r"missing columns \['f3'\]"):
        predictor.predict_proba(frame.drop(columns="f3"))


def test_sample_in_another_order_gives_the_fitted_order(numeric_frame):
    frame, y = numeric_frame
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(frame, y)
    shuffled = frame[frame.columns[::-1]]
    predictor = helpers.OnnxPredictor(helpers.convert(model, shuffled[:1]))
    expected = model.predict_proba(frame)
    np.testing.assert_allclose(predictor.predict_proba(shuffled), expected, atol=1e-5)
    np.testing.assert_allclose(predictor.predict_proba(frame.to_numpy()), expected, atol=1e-5)


def test_nan_and_infinity_are_recorded_by_position(numeric_frame):
    """One input: the predictor reads the refused columns as positions, integer columns included
    (they are floats in the ONNX model, so they can hold NaN)."""
    frame, y = numeric_frame
    logistic = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(frame, y)
    props = _props(helpers.convert(logistic, frame[:1]))
    assert props["helpers.nan_rejected"] == props["helpers.inf_rejected"] == list(range(30))
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(frame, y)
    props = _props(helpers.convert(forest, frame[:5]))
    assert props["helpers.nan_rejected"] == []  # scikit-learn's forest takes NaN, its ONNX model differs
    assert props["helpers.nan_mismatched"] == list(range(30))
    predictor = helpers.OnnxPredictor(helpers.convert(logistic, frame[:1]))
    with pytest.raises(helpers.InputError, match="contain NaN"):
        predictor.predict(frame[:3].assign(f29=np.nan))


def test_imputed_columns_take_nan_through_the_one_input(numeric_frame):
    frame, y = numeric_frame
    model = make_pipeline(SimpleImputer(), LogisticRegression(max_iter=1000)).fit(frame, y)
    onnx_model = helpers.convert(model, frame[:1])
    assert _props(onnx_model)["helpers.nan_rejected"] == []
    holes = frame[:20].astype(float).assign(f5=np.nan)
    helpers.assert_agrees(model, helpers.OnnxPredictor(onnx_model), holes)


def test_integer_frame_gets_a_float_input():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"rooms": rng.integers(1, 6, 200), "floor": rng.integers(0, 10, 200)})
    target = (frame["rooms"] + frame["floor"] > 7).astype(int)
    model = RandomForestClassifier(n_estimators=5, random_state=0).fit(frame, target)
    onnx_model = helpers.convert(model, frame[:1])
    assert [i.type.tensor_type.elem_type for i in onnx_model.graph.input] == [1]  # float
    helpers.assert_agrees(model, helpers.OnnxPredictor(onnx_model), frame)


def test_columns_selected_by_name_or_text_keep_one_input_per_column(numeric_frame, mixed_frame):
    frame, y = numeric_frame
    by_name = ColumnTransformer([("scaled", StandardScaler(), ["f0", "f1"])], remainder="passthrough")
    model = make_pipeline(by_name, LogisticRegression(max_iter=1000)).fit(frame, y)
    assert len(helpers.convert(model, frame[:1]).graph.input) == 30
    mixed, target = mixed_frame
    forest = make_pipeline(
        ColumnTransformer([("numbers", SimpleImputer(), ["age", "visits"])]), RandomForestClassifier()
    ).fit(mixed, target)
    assert [i.name for i in helpers.convert(forest, mixed[:1]).graph.input] == ["age", "visits", "city"]


def test_a_mixed_frame_model_also_takes_an_array_in_the_fitted_column_order(mixed_frame):
    """One input per column, fed from ``frame.to_numpy()``: the columns in the order the model was fitted."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    frame, target = mixed_frame
    columns = ColumnTransformer(
        [("numbers", SimpleImputer(), ["age", "visits"]), ("city", OneHotEncoder(), ["city"])]
    )
    model = make_pipeline(columns, LogisticRegression()).fit(frame, target)
    predictor = helpers.OnnxPredictor(helpers.convert(model, frame[:1]))
    assert len(predictor.input_names) == 3
    np.testing.assert_array_equal(predictor.predict(frame.to_numpy()), model.predict(frame))
    with pytest.raises(helpers.InputError, match="one input per column"):
        predictor.predict(frame.to_numpy()[:, :2])


def test_nan_in_one_named_column_is_refused_by_its_name(mixed_frame):
    """One input per column: the error names the column, in the singular."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    frame, target = mixed_frame
    frame = frame.fillna(40.0)
    columns = ColumnTransformer(
        [("numbers", "passthrough", ["age", "visits"]), ("city", OneHotEncoder(), ["city"])]
    )
    model = make_pipeline(columns, LogisticRegression(max_iter=1000)).fit(frame, target)
    predictor = helpers.OnnxPredictor(helpers.convert(model, frame[:1]))
    np.testing.assert_array_equal(predictor.predict(frame), model.predict(frame))
    holes = frame[:5].assign(age=[1.0, np.nan, 2.0, np.nan, 3.0])
    with pytest.raises(
        helpers.InputError, match=r"^column 'age' contains NaN in 2 row\(s\) \(first: row 1\)"
    ):
        predictor.predict(holes)
