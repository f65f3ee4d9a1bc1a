"""Hostile input to the predictor and to convert (issue 11): each case agrees with scikit-learn
or ends in an InputError that names the rows or columns and the fix, never NaN or a traceback."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from sklearn.ensemble import HistGradientBoostingClassifier

import helpers
from helpers import InputError

FLOAT32_MAX = float(np.finfo(np.float32).max)


def _sklearn_raises(model, X) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.predict(X)
    except (ValueError, TypeError):
        return True
    return False


# -- infinity, and float64 values beyond float32 -------------------------------------------
@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_infinity_is_refused_where_sklearn_refuses_it(logistic, forest, iris, value):
    X, _ = iris
    row = X[:3].copy()
    row[1, 2] = value
    for model, predictor in (logistic, forest):
        assert _sklearn_raises(model, row)
        for method in (predictor.predict, predictor.predict_proba, predictor.predict_with_proba):
            with pytest.raises(InputError, match=r"infinit.*row 1.*column 2"):
                method(row)
        with pytest.raises(InputError, match="infinit"):
            predictor.predict_proba(row.astype(np.float32))  # the ready-made fast path too


def test_infinity_is_answered_where_sklearn_answers_it(boosting, iris):
    model, predictor = boosting  # HistGradientBoosting takes inf (as a value beyond every threshold)
    X, _ = iris
    rows = X[:4].copy()
    rows[0, 0], rows[1, 3] = np.inf, -np.inf
    assert not _sklearn_raises(model, rows)
    np.testing.assert_array_equal(predictor.predict(rows), model.predict(rows))
    np.testing.assert_allclose(predictor.predict_proba(rows), model.predict_proba(rows), atol=1e-5)


def test_float64_beyond_float32_is_refused_with_the_fix(logistic, iris):
    model, predictor = logistic
    X, _ = iris
    rows = X[:3].copy()
    rows[2, 1] = 1e39  # finite in float64; the cast to the model's float32 would make it inf
    with pytest.raises(InputError, match=r"(?s)row 2.*column 1.*float32.*dtype=np.float64"):
        predictor.predict_proba(rows)
    double = helpers.OnnxPredictor(helpers.convert(model, X[:1], dtype=np.float64))
    np.testing.assert_allclose(double.predict_proba(rows), model.predict_proba(rows), atol=1e-6)


def test_overflow_inside_the_float32_graph_names_the_rows_and_the_fix(logistic, iris):
    model, predictor = logistic
    X, _ = iris
    rows = X[:3].copy()
    rows[1] = 3e38  # finite in float32, but the linear scores overflow it
    sklearn_proba = model.predict_proba(rows)
    assert np.isfinite(sklearn_proba).all()  # scikit-learn answers, in float64
    with pytest.raises(InputError, match=r"(?s)row 1\b.*overflow.*dtype=np.float64"):
        predictor.predict_proba(rows)
    with pytest.raises(InputError, match="overflow"):
        predictor.predict_with_proba(rows.astype(np.float32))
    double = helpers.OnnxPredictor(helpers.convert(model, X[:1], dtype=np.float64))
    np.testing.assert_allclose(double.predict_proba(rows), sklearn_proba, atol=1e-6)


def test_overflow_in_a_regressor_output(ridge):
    _, predictor, X = ridge
    rows = X[:2].copy()
    rows[0] = FLOAT32_MAX / 2
    with pytest.raises(InputError, match=r"row 0\b.*overflow"):
        predictor.predict(rows)


def test_large_finite_answers_are_never_refused(forest):
    model, predictor = forest  # trees compare, never multiply: huge rows stay finite
    rows = np.full((2, 4), 3e38)
    rows[1] = -3e38
    np.testing.assert_array_equal(predictor.predict(rows), model.predict(rows))
    np.testing.assert_allclose(predictor.predict_proba(rows), model.predict_proba(rows), atol=1e-5)


# -- what is not a dense table -------------------------------------------------------------
def test_sparse_matrix_is_named(logistic, iris):
    _, predictor = logistic
    X, _ = iris
    for sparse in (scipy.sparse.csr_matrix(X[:2]), scipy.sparse.csc_array(X[:2])):
        with pytest.raises(InputError, match=r"scipy sparse .*\(2, 4\).*toarray\(\)"):
            predictor.predict(sparse)


def test_ragged_rows_and_objects_are_named(logistic):
    _, predictor = logistic
    with pytest.raises(InputError, match="rows of different lengths"):
        predictor.predict([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0]])
    with pytest.raises(InputError, match="got a dict"):
        predictor.predict({"a": 1})
    with pytest.raises(InputError, match="got a list such as"):
        predictor.predict(np.array([[1.0, 2.0, 3.0, [4.0]]], dtype=object))


# -- DataFrames: missing values, types, duplicated names ---------------------------------
def test_pd_na_is_a_missing_value(pipeline, mixed_frame):
    model, predictor = pipeline
    frame, _ = mixed_frame
    rows = frame[:3].astype({"visits": "Int64"})
    rows.loc[1, "visits"] = pd.NA
    with pytest.raises(InputError, match=r"column 'visits'.*integers.*missing values.*row 1"):
        predictor.predict(rows)
    rows = frame[:3].astype({"age": "Float64"})
    rows.loc[0, "age"] = pd.NA  # the pipeline imputes age: answered as NaN is
    expected = model.predict(frame[:3].assign(age=[np.nan, *frame["age"][1:3]]))
    np.testing.assert_array_equal(predictor.predict(rows), expected)


@pytest.mark.parametrize("rows", [3, 100])  # a small frame goes through one to_numpy call
def test_numbers_for_a_text_column_are_named(pipeline, mixed_frame, rows):
    model, predictor = pipeline
    frame, _ = mixed_frame
    for city in (np.arange(rows), pd.Categorical(np.ones(rows, dtype=int))):
        given = frame[:rows].assign(city=city)
        assert _sklearn_raises(model, given)
        with pytest.raises(InputError, match=r"column 'city'.*text.*integer.*astype\(str\)"):
            predictor.predict(given)


@pytest.mark.parametrize("rows", [3, 100])
def test_duplicated_column_names_are_refused_like_sklearn(pipeline, mixed_frame, rows):
    model, predictor = pipeline
    frame, _ = mixed_frame
    given = frame[:rows].assign(extra=frame["age"][:rows] + 100)
    given.columns = ["age", "visits", "city", "age"]
    assert _sklearn_raises(model, given)
    with pytest.raises(InputError, match=r"duplicated column names.*'age' 2 times"):
        predictor.predict(given)


def test_duplicated_columns_for_an_array_model_fitted_on_names(iris):
    from sklearn.linear_model import LogisticRegression

    X, y = iris
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = LogisticRegression(max_iter=500).fit(frame, y)
    predictor = helpers.OnnxPredictor(helpers.convert(model, X[:1]))
    given = frame[["a", "b", "c", "d", "d"]]
    assert _sklearn_raises(model, given)
    with pytest.raises(InputError, match="'d' 2 times"):
        predictor.predict(given)


# -- convert's sample and options ----------------------------------------------------------
def test_convert_refuses_a_sample_of_another_width(logistic, iris):
    model, _ = logistic
    X, _ = iris
    with pytest.raises(InputError, match=r"3 columns.*fitted on 4 features"):
        helpers.convert(model, X[:1, :3])


def test_convert_refuses_a_frame_without_the_fitted_columns(pipeline, mixed_frame):
    model, _ = pipeline
    frame, _ = mixed_frame
    with pytest.raises(InputError, match=r"missing columns \['city'\]"):
        helpers.convert(model, frame[["age", "visits"]][:1])


def test_an_empty_sample_does_not_mark_every_column(iris):
    X, y = iris
    model = HistGradientBoostingClassifier(max_iter=5, random_state=0).fit(X, y)
    with pytest.raises(InputError, match=r"no rows.*X\[:1\]"):
        helpers.convert(model, X[:0])
    predictor = helpers.OnnxPredictor(helpers.convert(model, X[:1]))
    row = X[:1].copy()
    row[0, 0] = np.nan  # scikit-learn answers: so must the predictor
    np.testing.assert_array_equal(predictor.predict(row), model.predict(row))


@pytest.mark.parametrize("opset", ["x", 2.5, True, -1, {"": "x"}])
def test_target_opset_is_checked(logistic, iris, opset):
    model, _ = logistic
    X, _ = iris
    with pytest.raises((TypeError, ValueError), match="target_opset must be"):
        helpers.convert(model, X[:1], target_opset=opset)
