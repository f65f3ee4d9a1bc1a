"""
.. _missing_converter:

Models without a converter
==========================

skl2onnx converts the estimators it knows; a step of your own in a pipeline
stops the conversion. You will learn to recognise the error skl2onnx raises
(``MissingShapeCalculator``), what :func:`helpers.convert` says instead, and
the two ways out: replace the step with one skl2onnx can convert, or teach
skl2onnx your step with a short converter and shape calculator registered by
``update_registered_converter``. It continues :ref:`float_vs_double`.

It runs in under a second on the machine that builds these pages.
"""

# %%
# A pipeline with a step of our own
# ---------------------------------
# The breast cancer features are positive and skewed, and a log transform is
# a common first step for a linear model on such features. ``LogTransformer``
# computes ``log(1 + x)`` for every value: a custom scikit-learn transformer,
# as many projects have.
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


class LogTransformer(TransformerMixin, BaseEstimator):
    """``log(1 + x)`` of every value; expects values above -1."""

    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X):
        return np.log1p(np.asarray(X))


X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
model = make_pipeline(
    LogTransformer(), StandardScaler(), LogisticRegression(max_iter=1000)
)
model.fit(X_train, y_train)
print(f"test accuracy {model.score(X_test, y_test):.3f}")

# %%
# The error skl2onnx raises
# -------------------------
# skl2onnx walks the pipeline and looks up, for each step's class, a *shape
# calculator* (what the step outputs: type and shape) and a *converter*
# (which ONNX nodes compute it). It finds neither for ``LogTransformer`` and
# raises ``MissingShapeCalculator``, a ``RuntimeError`` whose message starts
# with "Unable to find a shape calculator for type" and names the class. That
# first line is how to recognise it; the rest is general advice.
from skl2onnx import to_onnx
from skl2onnx.common.exceptions import MissingShapeCalculator

try:
    to_onnx(model, X_train[:1].astype(np.float32))
except MissingShapeCalculator as error:
    raw_error = error
print(f"{type(raw_error).__name__}:\n{raw_error}")

# %%
# What ``helpers.convert`` says
# -----------------------------
# :func:`helpers.convert` catches that error and raises
# :class:`helpers.UnsupportedModelError` (a ``TypeError``) with a message
# that names the estimator and the two ways out.
import helpers

try:
    helpers.convert(model, X_train[:1])
except helpers.UnsupportedModelError as error:
    helpers_error = error
assert "LogTransformer" in str(helpers_error)
print(helpers_error)

# %%
# ``FunctionTransformer`` is no way round it: skl2onnx converts it only
# without a function (the identity), and says so with a plain
# ``RuntimeError``.
from sklearn.preprocessing import FunctionTransformer

function_model = make_pipeline(
    FunctionTransformer(np.log1p), LogisticRegression(max_iter=1000)
)
function_model.fit(X_train, y_train)
try:
    to_onnx(function_model, X_train[:1].astype(np.float32))
except RuntimeError as error:
    print(error)

# %%
# Way out 1: a step skl2onnx can convert
# --------------------------------------
# Look for a scikit-learn estimator that does the same job and that skl2onnx
# lists among its converters. ``PowerTransformer`` (Yeo-Johnson) learns a
# transform per feature that includes ``log(1 + x)`` as a special case, and
# it has a converter. The model changes, so retrain it, compare the accuracy
# with the original, and check the conversion.
from sklearn.preprocessing import PowerTransformer

replaced = make_pipeline(PowerTransformer(), LogisticRegression(max_iter=1000)).fit(
    X_train, y_train
)
replaced_predictor = helpers.OnnxPredictor(helpers.convert(replaced, X_train[:1]))
print(
    f"test accuracy: {model.score(X_test, y_test):.3f} with LogTransformer, "
    f"{replaced.score(X_test, y_test):.3f} with PowerTransformer"
)
helpers.assert_agrees(replaced, replaced_predictor, X_test)

# %%
# Way out 2: register a converter
# -------------------------------
# To keep the model as it is, give skl2onnx the two functions it missed.
#
# * The **shape calculator** sets the type of the step's output from its
#   input: ``log(1 + x)`` keeps the type (float or double) and the shape.
# * The **converter** adds the ONNX nodes: ``Log(Add(X, 1))``. The constant
#   ``1`` must have the input's element type, which ``guess_numpy_type``
#   reads, so the converter works for float and double inputs alike.
#   ``container.target_opset`` is the opset the user asked for; every node
#   is built for it.
#
# ``update_registered_converter`` ties both to the class, under an alias of
# our choice.
from skl2onnx import update_registered_converter
from skl2onnx.algebra.onnx_ops import OnnxAdd, OnnxLog
from skl2onnx.common.data_types import guess_numpy_type


def log_transformer_shape(operator):
    input_type = operator.inputs[0].type
    operator.outputs[0].type = input_type.__class__(input_type.shape)


def log_transformer_converter(scope, operator, container):
    opset = container.target_opset
    X_input = operator.inputs[0]
    one = np.array([1], dtype=guess_numpy_type(X_input.type))
    plus_one = OnnxAdd(X_input, one, op_version=opset)
    OnnxLog(plus_one, op_version=opset, output_names=operator.outputs).add_to(
        scope, container
    )


update_registered_converter(
    LogTransformer,
    "LessonLogTransformer",
    log_transformer_shape,
    log_transformer_converter,
)

# %%
# The original model now converts. The graph shows our two nodes ahead of
# the scaler and the classifier:
onnx_model = helpers.convert(model, X_train[:1])
[node.op_type for node in onnx_model.graph.node]

# %%
# Check agreement
# ---------------
# With float32 inputs, ``Log(1 + x)`` is computed in float32; for values as
# small as ``1e-3`` (some of these features are), adding 1 first loses a few
# digits that ``np.log1p`` keeps. The check with the usual tolerance (``1e-5``
# absolute on probabilities) says whether that matters here:
predictor = helpers.OnnxPredictor(onnx_model)
report = helpers.assert_agrees(model, predictor, X_test)
report

# %%
# The converter also serves double inputs: with ``dtype=np.float64`` the
# whole graph computes in float64 and agrees to ``1e-9``, well beyond float32.
double_predictor = helpers.OnnxPredictor(
    helpers.convert(model, X_train[:1], dtype=np.float64)
)
helpers.assert_agrees(model, double_predictor, X_test, atol=1e-9, rtol=1e-9)

# %%
# What to remember
# ----------------
# * ``MissingShapeCalculator`` ("Unable to find a shape calculator for type
#   ...") names the class skl2onnx does not know.
# * Replace the step with a convertible estimator if one does the job (and
#   check the accuracy), or register a shape calculator and a converter.
# * A converter reads the input type instead of assuming float32, and is
#   checked like any conversion: labels and probabilities against
#   scikit-learn.
# * Registration lives in the Python process: run
#   ``update_registered_converter`` before every conversion, for example in
#   the module that defines the transformer.
