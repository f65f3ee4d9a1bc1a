"""
.. _running_common_errors:

Common errors
=============

The mistakes everyone makes when feeding an ONNX model: float64 data for a
float model, the wrong number of columns, a single row as a 1-D array, a
misspelt input or output name, a missing input, a pickle instead of an
``.onnx`` file. For each you will see the exception onnxruntime raises, its
type and first line, and what :class:`helpers.OnnxPredictor` says or does
instead. Every error is caught and its type asserted, so the lesson checks
itself. It follows :ref:`running_profiling`.

It runs in under a second on the machine that builds these pages.
"""

# %%
# Two models to break
# -------------------
# A logistic regression on iris, with one float input ``X`` of 4 columns, and
# a pipeline on a DataFrame, with one input per column (as in
# :ref:`running_inspect_model`).
import helpers
import numpy as np
import onnxruntime
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

X, y = load_iris(return_X_y=True)
iris_model = LogisticRegression(max_iter=1000).fit(X, y)
iris_onnx = helpers.convert(iris_model, X[:1])
session = onnxruntime.InferenceSession(
    iris_onnx.SerializeToString(), providers=["CPUExecutionProvider"]
)
predictor = helpers.OnnxPredictor(iris_onnx)
X32 = X.astype(np.float32)

rng = np.random.default_rng(0)
frame = pd.DataFrame(
    {"age": rng.normal(40, 12, 200), "city": rng.choice(["lyon", "nice", "paris"], 200)}
)
target = ((frame["age"] > 40) | (frame["city"] == "nice")).astype(int)
frame_model = make_pipeline(
    ColumnTransformer(
        [("age", StandardScaler(), ["age"]), ("city", OneHotEncoder(), ["city"])]
    ),
    LogisticRegression(),
).fit(frame, target)
frame_onnx = helpers.convert(frame_model, frame[:1])
frame_session = onnxruntime.InferenceSession(
    frame_onnx.SerializeToString(), providers=["CPUExecutionProvider"]
)
frame_predictor = helpers.OnnxPredictor(frame_onnx)
[
    (item.name, item.type, item.shape)
    for item in session.get_inputs() + frame_session.get_inputs()
]

# %%
# What onnxruntime raises
# -----------------------
# onnxruntime's own exceptions live in ``onnxruntime.capi.onnxruntime_pybind11_state``
# (``InvalidArgument``, ``InvalidProtobuf``, ``Fail``, ...) and derive from
# ``Exception`` only: ``except ValueError`` does not catch them. A few
# checks done in Python raise a plain ``ValueError``. Every case below is
# caught with the class it should raise, and the class is asserted.
from onnxruntime.capi.onnxruntime_pybind11_state import InvalidArgument, InvalidProtobuf

assert not issubclass(InvalidArgument, ValueError)
cases = []


def record(case, error, expected_type, helper_says):
    """Keep the first line of ``error``, after checking it is an ``expected_type``."""
    assert isinstance(error, expected_type), (
        f"{case}: expected {expected_type.__name__}, got {error!r}"
    )
    cases.append(
        {
            "mistake": case,
            "onnxruntime raises": type(error).__name__,
            "first line": str(error).splitlines()[0],
            "OnnxPredictor": helper_says,
        }
    )
    return pd.Series(cases[-1], name=case)


# %%
# float64 data for a float model
# ------------------------------
# scikit-learn computes in float64 and NumPy arrays are float64 by default,
# but the model was converted for float32 (see :ref:`train_convert_predict`).
# onnxruntime does not cast for you:
try:
    session.run(None, {"X": X[:2]})
    raise AssertionError("onnxruntime accepted float64")
except InvalidArgument as error:
    raw = error
f"{type(raw).__name__}: {str(raw).splitlines()[0]}"

# %%
# :class:`helpers.OnnxPredictor` casts float64 to the model's float32 (the
# precision the model computes in) and predicts, as scikit-learn would:
np.testing.assert_array_equal(predictor.predict(X[:2]), iris_model.predict(X[:2]))
record(
    "float64 for a float model", raw, InvalidArgument, "casts to float32 and predicts"
)

# %%
# The wrong number of columns
# ---------------------------
# A feature dropped upstream, or a DataFrame with an extra id column:
try:
    session.run(None, {"X": X32[:2, :3]})
    raise AssertionError("onnxruntime accepted 3 columns")
except InvalidArgument as error:
    raw = error
try:
    predictor.predict(X[:2, :3])
    raise AssertionError("OnnxPredictor accepted 3 columns")
except helpers.InputError as error:
    helper_error = error
record("3 columns instead of 4", raw, InvalidArgument, str(helper_error))

# %%
# One row as a 1-D array
# ----------------------
# ``X[0]`` is one row, but of shape ``(4,)``; a model takes a 2-D batch, so
# one row is ``X[:1]`` or ``X[0].reshape(1, -1)``:
try:
    session.run(None, {"X": X32[0]})
    raise AssertionError("onnxruntime accepted a 1-D array")
except InvalidArgument as error:
    raw = error
try:
    predictor.predict(X[0])
    raise AssertionError("OnnxPredictor accepted a 1-D array")
except helpers.InputError as error:
    helper_error = error
record("1-D array for one row", raw, InvalidArgument, str(helper_error))

# %%
# Strings where numbers are expected
# ----------------------------------
# A CSV column read as text gives an object array:
text_rows = X[:1].astype(str).astype(object)
try:
    session.run(None, {"X": text_rows})
    raise AssertionError("onnxruntime accepted strings")
except InvalidArgument as error:
    raw = error
try:
    predictor.predict(np.array([["5.1", "3.5", "n/a", "0.2"]], dtype=object))
    raise AssertionError("OnnxPredictor accepted 'n/a'")
except helpers.InputError as error:
    helper_error = error
record("strings for a float input", raw, InvalidArgument, str(helper_error))

# %%
# Numbers written as text are fine, though: the predictor converts them,
# and only a value that is not a number is refused, by name.
np.testing.assert_array_equal(predictor.predict(text_rows), iris_model.predict(X[:1]))

# %%
# A misspelt input name
# ---------------------
# The feed dict is keyed by input name; ``"x"`` is not ``"X"``. Read the
# names from ``session.get_inputs()`` instead of typing them. This check is
# done in Python, hence a ``ValueError``:
try:
    session.run(None, {"x": X32[:2]})
    raise AssertionError("onnxruntime accepted the input name 'x'")
except ValueError as error:
    raw = error
f"{type(raw).__name__}: {str(raw).splitlines()[0]}"

# %%
# With one input per column, a renamed column is the same mistake.
# :class:`helpers.OnnxPredictor` matches DataFrame columns by name, in any
# order, and names what is missing and what is unexpected:
renamed = frame[:2].rename(columns={"city": "town"})
try:
    frame_predictor.predict(renamed)
    raise AssertionError("OnnxPredictor accepted a renamed column")
except helpers.InputError as error:
    helper_error = error
record("misspelt input name", raw, ValueError, str(helper_error))

# %%
# A missing input
# ---------------
# Feeding only some of a multi-input model's columns:
try:
    frame_session.run(None, {"age": frame[["age"]].to_numpy(np.float32)})
    raise AssertionError("onnxruntime ran without the 'city' input")
except ValueError as error:
    raw = error
try:
    frame_predictor.predict(frame[["age"]])
    raise AssertionError("OnnxPredictor accepted a frame without 'city'")
except helpers.InputError as error:
    helper_error = error
record("missing input", raw, ValueError, str(helper_error))

# %%
# A misspelt output name
# ----------------------
# ``run(["probability"], ...)`` instead of ``"probabilities"``. The
# predictor has no output names to misspell: ``predict`` and
# ``predict_proba`` find the outputs themselves.
try:
    session.run(["probability"], {"X": X32[:2]})
    raise AssertionError("onnxruntime accepted the output name 'probability'")
except InvalidArgument as error:
    raw = error
record(
    "misspelt output name",
    raw,
    InvalidArgument,
    "predict / predict_proba pick the outputs",
)

# %%
# A pickle instead of an ONNX file
# --------------------------------
# A ``model.pkl`` next to ``model.onnx`` is easy to mix up. onnxruntime fails
# to parse it; the predictor recognises a pickle and refuses it, without
# loading it (unpickling runs code from the file).
import pickle

pickled = pickle.dumps(iris_model)
try:
    onnxruntime.InferenceSession(pickled, providers=["CPUExecutionProvider"])
    raise AssertionError("onnxruntime loaded a pickle")
except InvalidProtobuf as error:
    raw = error
try:
    helpers.OnnxPredictor(pickled)
    raise AssertionError("OnnxPredictor loaded a pickle")
except helpers.ModelFileError as error:
    helper_error = error
record("a pickle instead of a model", raw, InvalidProtobuf, str(helper_error))

# %%
# All the cases
# -------------
# :class:`helpers.InputError` and :class:`helpers.ModelFileError` are
# ``ValueError`` subclasses, so code that catches ``ValueError`` for bad
# input keeps working, and each message says what was expected and what
# came.
assert issubclass(helpers.InputError, ValueError) and issubclass(
    helpers.ModelFileError, ValueError
)
summary = pd.DataFrame(cases)
assert len(summary) == 8
summary.style.hide(axis="index").set_properties(**{"text-align": "left"})

# %%
# Next, :ref:`running_large_forests` measures what a large forest costs.
