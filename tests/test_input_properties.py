"""Property-based tests of the predictor's input handling (hypothesis): arrays of any float dtype,
byte order, memory order and strides, of any shape, holding NaN, infinity and huge values, and
DataFrames with shuffled, missing, extra and duplicated columns.

The property: the predictor either agrees with scikit-learn or raises an InputError with a message;
it never answers NaN where scikit-learn answers, never answers where scikit-learn refuses (but for
an empty batch, which gets an empty answer), and never lets an onnxruntime error through.

"Agrees" is checked value by value where values are of the data's scale (|x| <= 1e4). Beyond it a
float32 model cannot be compared with scikit-learn's float64 value by value: rounding the input
alone moves a linear score by more than any tolerance. There, the answer must be well formed:
finite, probabilities in [0, 1] summing to 1, and, for the trees, the labels scikit-learn gives.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("hypothesis")
from hypothesis import event, given, settings
from hypothesis import strategies as st

from helpers import InputError

EXAMPLES = 120
MODERATE = 1e4

SPECIAL = [0.0, -0.0, np.nan, np.inf, -np.inf, 5e-324, 1e-300, 1e30, -1e30, 3e38, -3e38, 3.5e38, 1e39, -1e300]
MODERATE_VALUES = st.floats(-10, 10)  # the scale of the iris features
VALUES = st.one_of(
    MODERATE_VALUES,
    st.sampled_from(SPECIAL),
    st.floats(allow_nan=False, allow_infinity=False),  # anything finite
)
DTYPES = ["float16", "float32", "float64", ">f4", ">f8", "longdouble", "int64", "int32", "bool"]


def _quiet(function, *args):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # scikit-learn's overflow warnings, feature-name warnings
        return function(*args)


@st.composite
def arrays(draw, width=4):
    """An array (or list of rows) of ``width`` columns, mostly, in any layout."""
    n_rows = draw(st.integers(0, 6))
    n_columns = draw(st.sampled_from([width] * 6 + [width - 1, width + 1]))
    kind = draw(st.sampled_from([MODERATE_VALUES, VALUES]))  # half the arrays hold no special value
    values = np.array(draw(st.lists(kind, min_size=n_rows * n_columns, max_size=n_rows * n_columns)))
    X = _quiet(lambda: values.reshape(n_rows, n_columns).astype(draw(st.sampled_from(DTYPES))))
    layout = draw(st.sampled_from(["C", "C", "F", "F", "strided", "strided", "list", "1-D", "3-D"]))
    event(f"layout {layout}")
    if layout == "F":
        return np.asfortranarray(X)
    if layout == "strided":  # every other row and column of a larger array: not contiguous
        larger = np.zeros((2 * n_rows, 2 * n_columns), dtype=X.dtype)
        larger[::2, ::2] = X
        return larger[::2, ::2]
    if layout == "list":
        return X.tolist()
    if layout == "1-D":
        return X.ravel()
    if layout == "3-D":
        return X[None]
    return X


def _moderate(X) -> bool:
    """Whether every number of ``X`` is of the data's scale (NaN counts as moderate)."""
    if isinstance(X, pd.DataFrame):
        numbers = X.select_dtypes("number").to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        numbers = np.asarray(X, dtype=np.float64)
    return bool(np.all(np.abs(np.nan_to_num(numbers, nan=0.0)) <= MODERATE))


def _check(model, predictor, X, method, trees=False):
    """The property, for one input: returns what happened (for hypothesis' statistics)."""
    given = X
    names = getattr(model, "feature_names_in_", None)
    if isinstance(X, pd.DataFrame) and names is not None and sorted(map(str, X.columns)) == sorted(names):
        given = X[list(names)]  # the predictor matches columns by name, scikit-learn wants their order
    try:
        expected = _quiet(getattr(model, method), given)
        refused_by_sklearn = None
    except (ValueError, TypeError) as error:
        expected, refused_by_sklearn = None, error
    try:
        answer = _quiet(getattr(predictor, method), X)
    except InputError as error:
        assert str(error).strip(), "an InputError without a message"
        return "refused (InputError)"
    # anything but an InputError (an onnxruntime error, a RuntimeError, a numpy error) fails the test
    if refused_by_sklearn is not None:
        assert len(answer) == 0, f"answered where scikit-learn refuses ({refused_by_sklearn}): {answer}"
        return "empty batch"
    assert answer.shape == np.shape(expected)
    if answer.dtype.kind == "f":
        assert np.isfinite(answer).all() or not np.isfinite(expected).all(), "NaN where scikit-learn answers"
    moderate = _quiet(_moderate, X)
    if method == "predict_proba":
        np.testing.assert_allclose(answer.sum(axis=1), 1.0, atol=1e-4)
        assert ((answer >= 0) & (answer <= 1 + 1e-6)).all()
    if moderate:
        np.testing.assert_allclose(answer, expected, rtol=1e-3, atol=1e-4)
        return "agrees"
    if trees and method == "predict":
        np.testing.assert_array_equal(answer, expected)
    return "well formed (values beyond 1e4)"


@pytest.fixture(scope="module")
def classifiers(logistic, forest, boosting):
    return {"logistic": logistic, "forest": forest, "boosting": boosting}


@pytest.mark.parametrize("name", ["logistic", "forest", "boosting"])
@pytest.mark.parametrize("method", ["predict", "predict_proba"])
@settings(max_examples=EXAMPLES)
@given(X=arrays())
def test_arrays_agree_with_sklearn_or_are_refused(classifiers, name, method, X):
    model, predictor = classifiers[name]
    event(_check(model, predictor, X, method, trees=name != "logistic"))


@settings(max_examples=EXAMPLES)
@given(X=arrays(width=10))
def test_a_regressor_agrees_or_refuses(ridge, X):
    model, predictor, _ = ridge
    event(_check(model, predictor, X, "predict"))


COLUMN_EDITS = ["as is", "as is", "shuffled", "shuffled", "missing", "extra", "duplicated", "renamed"]


@st.composite
def frames(draw, base: pd.DataFrame):
    """Rows of ``base`` with edited values and columns."""
    n_rows = draw(st.integers(1, 5))
    rows = base.iloc[:n_rows].copy()
    for column in rows.columns:
        if pd.api.types.is_float_dtype(rows[column]) and draw(st.booleans()):
            rows[column] = draw(st.lists(VALUES, min_size=n_rows, max_size=n_rows))
    edit = draw(st.sampled_from(COLUMN_EDITS))
    event(f"columns {edit}")
    columns = list(rows.columns)
    if edit == "shuffled":
        rows = rows[draw(st.permutations(columns))]
    elif edit == "missing":
        rows = rows.drop(columns=draw(st.sampled_from(columns)))
    elif edit == "extra":
        rows = rows.assign(extra=1.0)
    elif edit == "duplicated":
        copy = draw(st.sampled_from(columns))
        rows = pd.concat([rows, rows[[copy]]], axis=1)
    elif edit == "renamed":
        rows = rows.rename(columns={columns[0]: columns[0].upper()})
    return rows


@pytest.fixture(scope="module")
def named_logistic(iris):
    """A logistic regression fitted on a DataFrame (feature names), converted from an array."""
    from sklearn.linear_model import LogisticRegression

    import helpers

    X, y = iris
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = LogisticRegression(max_iter=1000).fit(frame, y)
    return model, helpers.OnnxPredictor(helpers.convert(model, X[:1])), frame


@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_dataframes_for_a_model_fitted_on_names(named_logistic, data):
    model, predictor, frame = named_logistic
    event(_check(model, predictor, data.draw(frames(frame)), "predict_proba"))


@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_dataframes_for_a_pipeline_with_one_input_per_column(pipeline, mixed_frame, data):
    model, predictor = pipeline
    frame, _ = mixed_frame
    event(_check(model, predictor, data.draw(frames(frame)), "predict_proba"))
