"""
.. _pipelines_dataframes:

Pipelines and DataFrames
========================

Real models take a DataFrame with numbers, strings and missing values, and
preprocess it in a ``ColumnTransformer``. You will learn how skl2onnx gives
such a pipeline one ONNX input per column, which tensor type each column
needs, how to feed a DataFrame to the ONNX model, and how to check that
imputed missing values and categories never seen in training give the same
predictions as scikit-learn. It continues :ref:`with_helpers`.

It runs in under a second on the machine that builds these pages.
"""

# %%
# A DataFrame with missing values and strings
# -------------------------------------------
# A seeded synthetic table of customers: two float columns with missing
# values, an integer column, and two string columns. The target depends on
# all of them, so every branch of the preprocessing matters.
import numpy as np
import pandas as pd

rng = np.random.default_rng(0)
n_rows = 2_000
frame = pd.DataFrame(
    {
        "income": rng.lognormal(10, 0.5, n_rows),
        "age": rng.uniform(18, 80, n_rows),
        "visits": rng.poisson(3, n_rows).astype(np.int64),
        "plan": rng.choice(["basic", "plus", "pro"], n_rows, p=[0.6, 0.3, 0.1]),
        "city": rng.choice(["paris", "lyon", "nice", "lille"], n_rows),
    }
)
score = (
    np.log(frame["income"]) / 2
    - frame["age"] / 40
    + frame["visits"] / 3
    + frame["plan"].map({"basic": 0.0, "plus": 0.5, "pro": 1.5})
    + rng.normal(0, 0.5, n_rows)
)
target = (score > np.median(score)).astype(int)
frame.loc[rng.random(n_rows) < 0.1, "income"] = np.nan
frame.loc[rng.random(n_rows) < 0.05, "age"] = np.nan
frame.dtypes

# %%
# The pipeline
# ------------
# Numbers are imputed with the median, then scaled; strings are one-hot
# encoded. ``handle_unknown="ignore"`` makes a category that was not in the
# training data encode as all zeros instead of raising, which is what a
# service that meets a new city needs.
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

numeric_columns = ["income", "age", "visits"]
string_columns = ["plan", "city"]
preprocess = ColumnTransformer(
    [
        (
            "numbers",
            make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
            numeric_columns,
        ),
        ("strings", OneHotEncoder(handle_unknown="ignore"), string_columns),
    ]
)
model = make_pipeline(preprocess, LogisticRegression(max_iter=1000))
frame_train, frame_test, target_train, target_test = train_test_split(
    frame, target, test_size=0.25, random_state=0
)
model.fit(frame_train, target_train)
print(f"test accuracy {model.score(frame_test, target_test):.3f}")

# %%
# One ONNX input per column
# -------------------------
# An ONNX tensor has a single element type, so a table that mixes numbers
# and strings cannot be one input. skl2onnx gives the model one input per
# DataFrame column, named after it, of shape ``[None, 1]``, and the
# ``ColumnTransformer`` converter picks its columns by those names. You say
# what each column holds with ``initial_types``:
#
# * ``FloatTensorType`` for float columns (float32, as the walkthrough
#   explains; NaN is a float, so columns with missing values are floats);
# * ``Int64TensorType`` for integer columns;
# * ``StringTensorType`` for strings (object, ``string`` or category columns).
from skl2onnx import to_onnx
from skl2onnx.common.data_types import (
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)

raw_initial_types = [
    ("income", FloatTensorType([None, 1])),
    ("age", FloatTensorType([None, 1])),
    ("visits", Int64TensorType([None, 1])),
    ("plan", StringTensorType([None, 1])),
    ("city", StringTensorType([None, 1])),
]
raw_onnx = to_onnx(model, initial_types=raw_initial_types, options={"zipmap": False})
[(item.name, item.type.tensor_type.elem_type) for item in raw_onnx.graph.input]

# %%
# The numbers are ONNX element types: 1 is float, 7 is int64, 8 is string.
#
# Feeding it: one array per column
# --------------------------------
# ``session.run`` wants a dict of arrays, one per input, each of shape
# ``(n_rows, 1)`` and of the declared type: float32 for the float columns,
# int64 for the integers, and an object array of Python strings for the
# string columns.
import onnxruntime

session = onnxruntime.InferenceSession(
    raw_onnx.SerializeToString(), providers=["CPUExecutionProvider"]
)
column_dtypes = {
    "income": np.float32,
    "age": np.float32,
    "visits": np.int64,
    "plan": object,
    "city": object,
}
feed = {
    name: frame_test[name].to_numpy().astype(dtype).reshape(-1, 1)
    for name, dtype in column_dtypes.items()
}
raw_labels, raw_proba = session.run(["label", "probabilities"], feed)
raw_proba[:3]

# %%
# The same labels and probabilities as scikit-learn, to float32 rounding
# (``1e-5`` on probabilities between 0 and 1), including the rows where
# ``income`` or ``age`` was missing and the imputer filled it in:
np.testing.assert_array_equal(raw_labels, model.predict(frame_test))
np.testing.assert_allclose(
    raw_proba, model.predict_proba(frame_test), atol=1e-5, rtol=0
)
missing_rows = int(frame_test[["income", "age"]].isna().any(axis=1).sum())
print(f"{len(frame_test)} rows agree, {missing_rows} of them with a missing value")

# %%
# The same with ``helpers``
# -------------------------
# :func:`helpers.convert` builds that ``initial_types`` list from the
# DataFrame's dtypes (float to ``FloatTensorType``, integer to
# ``Int64TensorType``, object, string and category to ``StringTensorType``)
# and turns ZipMap off. One row of the frame is enough.
import helpers
from helpers.conversion import initial_types

onnx_model = helpers.convert(model, frame_train[:1])
assert [(i.name, i.type.tensor_type.elem_type) for i in onnx_model.graph.input] == [
    (i.name, i.type.tensor_type.elem_type) for i in raw_onnx.graph.input
]
initial_types(frame_train[:1])

# %%
# :class:`helpers.OnnxPredictor` hides the per-column ``feed`` dict: it takes
# the DataFrame, matches its columns to the model's inputs **by name**, and
# casts each one to the input's type.
predictor = helpers.OnnxPredictor(onnx_model)
predictor

# %%
# Check agreement
# ---------------
# :func:`helpers.assert_agrees` compares labels and probabilities on the
# test rows, with its default tolerance: ``1e-5`` absolute plus ``1e-4``
# relative (the report shows both), a little looser than the check above,
# which had no relative part.
helpers.assert_agrees(model, predictor, frame_test)

# %%
# Columns in another order, and what the model never saw
# ------------------------------------------------------
# Columns are matched by name, so a DataFrame whose columns come in another
# order, as they often do after a database query, still gives the same
# predictions. We add rows the model never saw in training: a city that is
# not in the training data (encoded as all zeros by
# ``handle_unknown="ignore"``, in scikit-learn and in ONNX alike), a plan
# that is not either, and missing values in both float columns.
new_rows = frame_test[:6].copy()
new_rows.loc[new_rows.index[0], "city"] = "marseille"
new_rows.loc[new_rows.index[1], "plan"] = "enterprise"
new_rows.loc[new_rows.index[2], ["income", "age"]] = np.nan
new_rows.loc[new_rows.index[3], ["city", "income"]] = ["bordeaux", np.nan]
reordered = new_rows[["city", "visits", "plan", "age", "income"]]
report = helpers.assert_agrees(model, predictor, reordered)
assert report.ok and report.n_rows == len(new_rows)
pd.DataFrame(
    {
        "city": reordered["city"],
        "plan": reordered["plan"],
        "income": reordered["income"].round(0),
        "age": reordered["age"].round(1),
        "scikit-learn": model.predict_proba(new_rows)[:, 1],
        "onnxruntime": predictor.predict_proba(reordered)[:, 1],
    }
)

# %%
# The raw session needs the same care by hand: its inputs are named, so
# build the feed by name from the model's ``get_inputs()``, never by
# position. A DataFrame with a column missing gets a clear error from the
# predictor rather than onnxruntime's:
try:
    predictor.predict(reordered.drop(columns="visits"))
except helpers.InputError as error:
    print(f"InputError: {error}")

# %%
# Missing strings
# ---------------
# The imputer fills missing numbers, but nothing in this pipeline fills a
# missing *string*, and an ONNX string tensor holds only text. onnxruntime
# does not refuse one either: it turns each element of the object array into
# text, so ``np.nan`` runs as the string ``"nan"`` and ``None`` as ``"None"``.
# Here they are cities the encoder never learned, so they encode as all zeros
# (``handle_unknown="ignore"``), like an unknown city, and scikit-learn, which
# reads them as missing rather than as text, happens to answer the same. A
# category that was really spelled ``"nan"`` or ``"None"`` would be picked
# instead, without a word. The checks, on the raw session:
missing_city = frame_test[:3].copy()
missing_city["city"] = pd.Series(
    [np.nan, None, "marseille"], index=missing_city.index, dtype=object
)


def raw_proba_of(rows):
    """The raw session's probabilities, fed one column at a time as above."""
    feed = {
        name: rows[name].to_numpy().astype(dtype).reshape(-1, 1)
        for name, dtype in column_dtypes.items()
    }
    return session.run(["probabilities"], feed)[0]


as_text = missing_city.assign(city=["nan", "None", "marseille"])
unknown_city = missing_city.assign(city="marseille")
np.testing.assert_array_equal(raw_proba_of(missing_city), raw_proba_of(as_text))
np.testing.assert_array_equal(raw_proba_of(missing_city), raw_proba_of(unknown_city))
print(f"onnxruntime {onnxruntime.__version__}: NaN ran as 'nan', None as 'None'")

# %%
# :class:`helpers.OnnxPredictor` refuses them with an ``InputError`` instead.
# The fix is to fill them, for example with ``"missing"``, in the training
# data too, so that the model learns what a missing city means and both
# libraries see the same text (this model was trained without it, so here
# ``"missing"`` is one more unknown city):
try:
    predictor.predict(missing_city)
except helpers.InputError as error:
    print(f"InputError: {error}")
filled = missing_city.fillna({"city": "missing"})
helpers.assert_agrees(model, predictor, filled).ok

# %%
# What to remember
# ----------------
# * A ``ColumnTransformer`` pipeline converts to an ONNX model with one input
#   per column; declare float columns (with NaN) as ``FloatTensorType``,
#   integer columns as ``Int64TensorType`` and strings as
#   ``StringTensorType``.
# * Missing values are imputed inside the graph, and unknown categories are
#   ignored inside the graph, exactly as in scikit-learn: check it on rows
#   that contain them, as above.
# * A missing *string* is not refused by onnxruntime: ``np.nan`` and
#   ``None`` run as the texts ``"nan"`` and ``"None"``. Fill it (for example
#   with ``"missing"``, in training too) before predicting;
#   :class:`helpers.OnnxPredictor` raises an ``InputError`` that says so.
