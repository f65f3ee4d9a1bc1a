"""
.. _output_options:

Classifier outputs: ZipMap, labels, scores
==========================================

A converted classifier returns a label and probabilities, but in which
shape? You will learn the output formats skl2onnx can produce (the ZipMap
list of dicts, a plain matrix, one tensor per class), how to get the class
labels, a single positive-class probability and the raw scores that
``decision_function`` returns, and what ZipMap costs at batch sizes 1, 100
and 10,000. It continues :ref:`pipelines_dataframes`.

It runs in a few seconds on the machine that builds these pages.
"""

# %%
# A classifier with string labels
# -------------------------------
# Iris with its species names as labels, so we can see where the label
# strings go. Its converter accepts these options (skl2onnx keeps this list
# in a private module, ``_registration``: use it to look, not to build on):
import numpy as np
from skl2onnx import get_model_alias
from skl2onnx.common._registration import get_converter
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

X, y = load_iris(return_X_y=True)
species = np.array(["setosa", "versicolor", "virginica"])[y]
X_train, X_test, y_train, y_test = train_test_split(
    X,
    species,
    test_size=0.3,
    stratify=y,
    random_state=0,
)
model = LogisticRegression(max_iter=1000).fit(X_train, y_train)
X_test32 = X_test.astype(np.float32)
get_converter(get_model_alias(LogisticRegression)).get_allowed_options()

# %%
# A small function shows, for each option set, the outputs the session
# declares and what ``run`` returns for two rows.
import onnxruntime
import pandas as pd
from skl2onnx import to_onnx


def make_session(onnx_model):
    model_bytes = onnx_model.SerializeToString()
    return onnxruntime.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])


def describe(options):
    session = make_session(to_onnx(model, X_test32[:1], options=options))
    values = session.run(None, {"X": X_test32[:2]})
    return pd.DataFrame(
        {
            "output": [item.name for item in session.get_outputs()],
            "declared type": [item.type for item in session.get_outputs()],
            "declared shape": [str(item.shape) for item in session.get_outputs()],
            "Python value": [type(value).__name__ for value in values],
        }
    )


# %%
# ZipMap on (the default)
# -----------------------
# Without options, the probabilities pass through a ZipMap operator, which
# builds one dictionary per row, ``{label: probability}``. onnxruntime returns
# them as a Python list of dicts, and its declared type is a sequence of
# maps, not a tensor.
describe({})

# %%
# ZipMap off: ``{"zipmap": False}``
# ---------------------------------
# The probabilities stay a ``(n_rows, n_classes)`` float tensor, a numpy array,
# with columns in the order of ``model.classes_``: exactly the shape of
# ``predict_proba``. This is what :func:`helpers.convert` asks for.
describe({"zipmap": False})

# %%
# One tensor per class: ``{"zipmap": "columns"}``
# -----------------------------------------------
# One output per class, each a 1-D float array named after its label with a
# prefix: skl2onnx writes ``s`` before a string label (``ssetosa`` here) and
# ``i`` before an integer or boolean one (``i0``, ``i1``). It suits a
# consumer that wants named columns (a table, a feature store) rather than
# positions; strip the first letter to get the label back.
per_class = describe({"zipmap": "columns"})
assert list(per_class["output"][1:]) == ["s" + label for label in model.classes_]
per_class

# %%
# The class labels: ``output_class_labels``
# -----------------------------------------
# With ZipMap off, the column order of the probabilities is only implied.
# ``output_class_labels=True`` adds an output holding ``model.classes_``, so
# the order travels with the model; ``nocl=True`` does the opposite and
# returns label *indices* (int64) instead of the strings.
with_labels = {"zipmap": False, "output_class_labels": True}
labelled = make_session(to_onnx(model, X_test32[:1], options=with_labels))
class_labels = labelled.run(["class_labels"], {"X": X_test32[:1]})[0]
assert list(class_labels) == list(model.classes_)
class_labels

# %%
# Raw scores: ``raw_scores`` and ``decision_function``
# ----------------------------------------------------
# ``raw_scores=True`` skips the final softmax (or sigmoid): the
# ``probabilities`` output then holds the linear scores, the values of
# ``decision_function``. For this three-class model they match column for
# column, to float32 rounding (the scores are of order 10, so we allow
# ``1e-4`` absolute).
raw_scores = {"zipmap": False, "raw_scores": True}
scores_session = make_session(to_onnx(model, X_test32[:1], options=raw_scores))
onnx_scores = scores_session.run(["probabilities"], {"X": X_test32})[0]
sklearn_scores = model.decision_function(X_test)
np.testing.assert_allclose(onnx_scores, sklearn_scores, atol=1e-4, rtol=1e-5)
onnx_scores[:3]

# %%
# A binary classifier, in a pipeline
# ----------------------------------
# For two classes, scikit-learn's ``decision_function`` returns one number
# per row, the score of the positive class (``classes_[1]``). This model is a
# pipeline, a scaler then the classifier, and here is a trap: options given
# without saying which estimator they are for are meant for the pipeline, and
# not all of them reach its steps. skl2onnx 1.20 hands ``zipmap`` to the
# classifier but not ``raw_scores``, silently: the output still holds
# probabilities, rows summing to one. A later version may pass it on, so the
# cell checks which of the two the installed skl2onnx does, and prints it.
import skl2onnx
from sklearn.datasets import load_breast_cancer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

X_cancer, y_cancer = load_breast_cancer(return_X_y=True)
binary_model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
binary_model.fit(X_cancer, y_cancer)
X_cancer32 = X_cancer.astype(np.float32)
unkeyed = make_session(to_onnx(binary_model, X_cancer32[:1], options=raw_scores))
unkeyed_output = unkeyed.run(["probabilities"], {"X": X_cancer32})[0]
sums_to_one = np.allclose(unkeyed_output.sum(axis=1), 1, atol=1e-5)
if sums_to_one:  # raw_scores did not reach the classifier
    proba = binary_model.predict_proba(X_cancer)
    np.testing.assert_allclose(unkeyed_output, proba, atol=1e-5)
else:  # it did: columns [-score, score], as the next cell explains
    decision = binary_model.decision_function(X_cancer)
    np.testing.assert_allclose(unkeyed_output[:, 1], decision, atol=1e-4, rtol=1e-5)
reached = "did not reach" if sums_to_one else "reached"
print(f"skl2onnx {skl2onnx.__version__}: raw_scores {reached} the classifier")
unkeyed_output[:3]

# %%
# Key the options by the estimator they are for, its class or
# ``id(estimator)``, and they apply, whatever the version. The ONNX model
# still returns two columns: ``[-score, score]``, so the score of
# ``decision_function`` is column 1 (scores of order 10, hence ``1e-4``
# absolute).
keyed_options = {LogisticRegression: {"zipmap": False, "raw_scores": True}}
keyed = make_session(to_onnx(binary_model, X_cancer32[:1], options=keyed_options))
binary_scores = keyed.run(["probabilities"], {"X": X_cancer32})[0]
binary_decision = binary_model.decision_function(X_cancer)
np.testing.assert_allclose(binary_scores[:, 1], binary_decision, atol=1e-4, rtol=1e-5)
np.testing.assert_allclose(binary_scores[:, 0], -binary_scores[:, 1])
binary_scores[:3]

# %%
# The positive-class probability only
# -----------------------------------
# A service often needs one number per row: the probability of the positive
# class. In Python, ``proba[:, 1]`` on the ``zipmap=False`` output is the
# cheapest correct way, a numpy view that copies nothing. When the consumer
# is not Python, or the model's contract should be that one number, select
# the column inside the graph: a ``Gather`` node on axis 1, and the graph's
# only output is now ``positive_probability``, a 1-D tensor.
import onnx
from onnx import TensorProto, helper, numpy_helper

binary_onnx = to_onnx(binary_model, X_cancer32[:1], options={"zipmap": False})
graph = binary_onnx.graph
column = numpy_helper.from_array(np.array(1, dtype=np.int64), name="positive_column")
graph.initializer.append(column)
graph.node.append(
    helper.make_node(
        "Gather",
        ["probabilities", "positive_column"],
        ["positive_probability"],
        axis=1,
    )
)
del graph.output[:]
float_vector = ("positive_probability", TensorProto.FLOAT, [None])
positive_output = helper.make_tensor_value_info(*float_vector)
graph.output.append(positive_output)
onnx.checker.check_model(binary_onnx)

positive_session = make_session(binary_onnx)
positive_probability = positive_session.run(None, {"X": X_cancer32})[0]
sklearn_positive = binary_model.predict_proba(X_cancer)[:, 1]
np.testing.assert_allclose(positive_probability, sklearn_positive, atol=1e-5)
[(item.name, item.type, item.shape) for item in positive_session.get_outputs()]

# %%
# The tolerance is the usual one for float32 probabilities: ``1e-5`` absolute.
#
# What ZipMap costs
# -----------------
# ZipMap builds a Python dict per row, inside ``session.run``; the tensor
# output is one array. We time both sessions of the iris model with
# :func:`helpers.benchmark` (the walkthrough's interleaved, paired rounds,
# with a speed-up's 95% interval and a verdict) at three batch sizes. The
# float32 batch is prepared before timing, so only ``session.run`` is timed.
# Both sessions get the same settings, one thread and no spinning
# (:func:`helpers.session_options` with the ``"latency"`` preset), so that
# the output format is the only difference.
import helpers

latency_options = helpers.session_options("latency")
zipmap_session, plain_session = (
    onnxruntime.InferenceSession(
        to_onnx(model, X_test32[:1], options=options).SerializeToString(),
        latency_options,
        providers=["CPUExecutionProvider"],
    )
    for options in ({}, {"zipmap": False})
)
result = helpers.benchmark(
    {
        "ZipMap on": lambda batch: zipmap_session.run(None, {"X": batch}),
        "ZipMap off": lambda batch: plain_session.run(None, {"X": batch}),
    },
    X_test32,
    batch_sizes=(1, 100, 10_000),
    budget=5,
    min_time=0.02,  # a one-row call takes microseconds: loop over 20 ms of calls
)
result

# %%
# The timings describe this machine, measured while the page was built:
helpers.machine_summary()

# %%
# The ``speedup`` column is ZipMap-on time divided by ZipMap-off time: how
# many times faster the plain tensor output is, with its 95% interval. The
# share of a ZipMap call spent on the dicts follows from it, ``1 - 1 /
# speedup``, and so does its interval.
import matplotlib.pyplot as plt


def ratio(value):
    """``0.87x``, ``4.2x``, ``1,988x``: the digits that matter."""
    if value < 1:
        return f"{value:.2f}x"
    return f"{value:,.1f}x" if value < 10 else f"{value:,.0f}x"


def said(batch_size):
    """ZipMap off against on at ``batch_size`` rows: speed-up, interval, verdict."""
    speedup, low, high = result.interval("ZipMap off", batch_size)
    outcome = result.verdict("ZipMap off", batch_size)
    return f"{ratio(speedup)} ({ratio(low)}-{ratio(high)}), {outcome}"


fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
result.plot("latency", ax=ax)
ax.set_title(
    f"ZipMap off against on\n1 row: {said(1)}\n10,000 rows: {said(10_000)}",
    fontsize=10,
)
plt.show()

# %%
# The cost of ZipMap grows with the number of rows, because every row becomes
# a Python dict. The sentences below are formatted from the benchmark's
# verdicts and intervals: at each size, the share of a ZipMap call spent on
# the dicts, or that it does not show beyond the margin. The assertions check
# the largest batch, where the dicts must show, and that their share grows
# (the intervals at 1 and 10,000 rows do not overlap).
for size in result.batch_sizes:
    speedup, low, high = result.interval("ZipMap off", size)
    rows = f"{size:,} row" + ("s" if size > 1 else "")
    if result.verdict("ZipMap off", size) == "faster":
        share = f"{1 - 1 / speedup:.0%} ({1 - 1 / low:.0%} to {1 - 1 / high:.0%})"
        dicts = f"the dicts take {share} of a ZipMap call"
    else:
        dicts = f"the dicts do not show beyond the {result.margin:.0%} margin"
    print(f"{rows}: tensor output {said(size)}; {dicts}")
assert result.verdict("ZipMap off", 10_000) == "faster", result
assert result.interval("ZipMap off", 10_000)[1] > result.interval("ZipMap off", 1)[2]

# %%
# Which output to ask for
# -----------------------
# * ``{"zipmap": False}``: a probability matrix like ``predict_proba``; the
#   default choice, and what :func:`helpers.convert` does.
# * ``{"zipmap": "columns"}``: one named output per class.
# * ``output_class_labels=True``: the label order travels with the model.
# * ``raw_scores=True``: the scores of ``decision_function``; for a binary
#   model, column 1.
# * one positive-class probability: ``proba[:, 1]`` in Python, or a
#   ``Gather`` node in the graph.
# * ZipMap on: only when a consumer needs the list of dicts, and never for
#   large batches.
