"""
.. _running_optimizer:

What the optimiser does to your model
=====================================

ONNX Runtime rewrites a graph when it creates a session: it folds, removes
and fuses operators before the first prediction. You will save the graph
that each ``graph_optimization_level`` produces for a neural network, a
random forest and a logistic regression, count its operators, see which
fused operators appear, and measure what each level is worth. Then you will
quantise the network's weights to 8-bit integers and measure what that
gains and what it costs in agreement. It follows :ref:`running_large_forests`;
:ref:`running_session_options` showed the option itself on a forest.

It runs in about 10 seconds on the machine that builds these pages.
"""

# %%
# Three models, one dataset
# -------------------------
# A multi-layer perceptron (two hidden layers of 128 units), a random forest
# and a logistic regression, trained on the same synthetic, seeded data. The
# perceptron trains with one BLAS thread (``threadpool_limits(1)``), which
# leaves the machine's other cores to the rest of its work: this lesson
# times prediction, not training.
import helpers
import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

X, y = make_classification(
    n_samples=3000,
    n_features=40,
    n_informative=20,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(
    X,
    y,
    test_size=0.3,
    stratify=y,
    random_state=0,
)
X_test32 = X_test.astype(np.float32)  # prepared once, outside every timing
with threadpool_limits(1):
    mlp = MLPClassifier((128, 128), max_iter=300, random_state=0)
    mlp.fit(X_train, y_train)
sklearn_models = {
    "mlp": mlp,
    "forest": RandomForestClassifier(50, max_depth=8, random_state=0, n_jobs=2),
    "logistic": LogisticRegression(max_iter=1000),
}
for name in ("forest", "logistic"):
    sklearn_models[name].fit(X_train, y_train)
onnx_models = {
    name: helpers.convert(model, X_train[:1])  # float32 input, probabilities array
    for name, model in sklearn_models.items()
}
{name: f"{model.score(X_test, y_test):.3f}" for name, model in sklearn_models.items()}

# %%
# The graph after each level
# --------------------------
# ``optimized_model_filepath`` makes the session write the graph it will run
# into a file. Set it together with each ``graph_optimization_level``, from
# ``ORT_DISABLE_ALL`` (the graph as converted) to ``ORT_ENABLE_ALL`` (the
# default), and read the file back with ``onnx.load``. At the *all* level
# onnxruntime warns that the saved file may hold layouts for this CPU only;
# ``log_severity_level = 3`` (errors only) keeps that warning off the page.
import tempfile
from collections import Counter
from pathlib import Path

import onnx
import onnxruntime
import pandas as pd

Level = onnxruntime.GraphOptimizationLevel
LEVELS = {
    "disabled": Level.ORT_DISABLE_ALL,
    "basic": Level.ORT_ENABLE_BASIC,
    "extended": Level.ORT_ENABLE_EXTENDED,
    "all": Level.ORT_ENABLE_ALL,
}
workdir = Path(tempfile.mkdtemp(prefix="optimizer-"))


def optimised_graph(onnx_model, level_name, model_name):
    """The graph a session runs at ``level_name``, read from the file it saves."""
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = LEVELS[level_name]
    path = workdir / f"{model_name}.{level_name}.onnx"
    options.optimized_model_filepath = str(path)
    options.log_severity_level = 3  # errors only
    onnxruntime.InferenceSession(
        onnx_model.SerializeToString(),
        options,
        providers=["CPUExecutionProvider"],
    )
    return onnx.load(path)


def op_counts(onnx_model):
    """Nodes per operator, as ``"op_type (domain)"``."""
    nodes = onnx_model.graph.node
    return Counter(f"{node.op_type} ({node.domain or 'ai.onnx'})" for node in nodes)


graphs = {
    (model_name, level_name): optimised_graph(onnx_model, level_name, model_name)
    for model_name, onnx_model in onnx_models.items()
    for level_name in LEVELS
}


def count_table(model_name):
    """Operators (rows) by level (columns), with the total number of nodes."""
    counts = {level: op_counts(graphs[model_name, level]) for level in LEVELS}
    table = pd.DataFrame(counts)
    table = table.fillna(0).astype(int).sort_values("disabled", ascending=False)
    table.loc["total nodes"] = table.sum()
    return table


mlp_counts = count_table("mlp")
mlp_counts

# %%
# What changed, level by level
# ----------------------------
# The converted perceptron is one ``MatMul``, ``Add`` and activation per
# layer, then the steps that turn the last layer into a label and two
# probabilities. Read the table column by column:
#
# * **basic** removes nodes that do nothing (the converter's first ``Cast``
#   turns the float input into float) and merges each ``MatMul`` + ``Add``
#   into one ``Gemm`` (matrix product plus bias, a standard ONNX operator);
# * **extended** merges each ``Gemm`` with the activation that follows it
#   into ``FusedGemm``, an operator of onnxruntime's own ``com.microsoft``
#   domain: the product, the bias and the activation in one pass over the
#   data;
# * **all** adds layout changes for convolutions, which a perceptron does not
#   have: the same graph as *extended*.
#
# The asserts check each of these statements on the graphs this run saved.
n_layers = len(mlp.coefs_)
original = op_counts(onnx_models["mlp"])
by_level = {level: op_counts(graphs["mlp", level]) for level in LEVELS}
assert by_level["disabled"] == original  # level "disabled" saves the graph as given
assert by_level["basic"]["MatMul (ai.onnx)"] == 0
assert by_level["basic"]["Gemm (ai.onnx)"] == n_layers
assert by_level["extended"]["FusedGemm (com.microsoft)"] == n_layers
assert by_level["extended"]["Relu (ai.onnx)"] == 0
assert by_level["all"] == by_level["extended"]
total = mlp_counts.loc["total nodes"]
print(
    f"{total['disabled']} nodes as converted, {total['basic']} after basic, "
    f"{total['extended']} after extended and all"
)

# %%
# Each ``FusedGemm`` names the activation it absorbed in its ``activation``
# attribute: ``Relu`` for the hidden layers, and, for the output layer of this
# two-class perceptron, the ``Sigmoid`` that gives the probability of class 1.
fused = [
    {
        "node": node.name,
        "activation": onnx.helper.get_attribute_value(
            next(a for a in node.attribute if a.name == "activation")
        ).decode(),
        "weights": " x ".join(
            str(dim)
            for init in graphs["mlp", "extended"].graph.initializer
            if init.name == node.input[1]
            for dim in init.dims
        ),
    }
    for node in graphs["mlp", "extended"].graph.node
    if node.op_type == "FusedGemm"
]
assert [row["activation"] for row in fused] == ["Relu"] * (n_layers - 1) + ["Sigmoid"]
pd.DataFrame(fused)

# %%
# What each level is worth
# ------------------------
# One session per level, each with one thread and spinning off
# (:func:`helpers.session_options` with the ``"latency"`` preset), timed in
# turns with the public ``session.run`` at 1, 100 and 10,000 rows; the
# baseline is the unoptimised graph. Each session is first checked against
# scikit-learn: probabilities within ``1e-5``, the room float32 rounding
# needs. The 10,000-row batch is the test rows repeated (``take_rows``,
# imported with ``from helpers.benchmark import take_rows``), as the line
# printed after the benchmark says.
mlp_bytes = onnx_models["mlp"].SerializeToString()
sessions = {
    level: onnxruntime.InferenceSession(
        mlp_bytes,
        helpers.session_options("latency", graph_optimization_level=LEVELS[level]),
        providers=["CPUExecutionProvider"],
    )
    for level in LEVELS
}
sklearn_proba = mlp.predict_proba(X_test)
for session in sessions.values():
    onnx_proba = session.run(["probabilities"], {"X": X_test32})[0]
    np.testing.assert_allclose(onnx_proba, sklearn_proba, atol=1e-5)


def runner(session):
    """The call a reader would write, for one batch."""
    return lambda batch: session.run(["probabilities"], {"X": batch})


level_result = helpers.benchmark(
    {level: runner(session) for level, session in sessions.items()},
    X_test32,
    batch_sizes=(1, 100, 10_000),
    budget=5.0,
)
print(f"{len(X_test32):,} test rows, repeated to fill the 10,000-row batch")
helpers.machine_summary()

# %%
# The speed-up of each level against the unoptimised graph, with its 95%
# interval, and the verdict the interval gives:
level_frame = level_result.to_frame()


def with_interval(frame):
    """``"1.23x (1.10-1.35)"``: the speed-up and its 95% interval."""
    return frame.apply(
        lambda r: f"{r.speedup:.2f}x ({r.speedup_low:.2f}-{r.speedup_high:.2f})",
        axis=1,
    )


optimised = level_frame[level_frame.candidate != "disabled"]
optimised = optimised.assign(speedup=with_interval)
columns = ["speedup", "verdict"]
table = optimised.pivot(index="candidate", columns="batch_size", values=columns)
table.reindex(["basic", "extended", "all"])

# %%
# The same speed-ups drawn with their intervals; an interval that crosses the
# dashed line is no evidence of a difference.
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
for index, (level, rows) in enumerate(optimised.groupby("candidate", sort=False)):
    rows = level_frame.loc[rows.index]
    x = rows.batch_size * 1.15**index  # side by side at each batch size
    ax.errorbar(
        x,
        rows.speedup,
        yerr=[rows.speedup - rows.speedup_low, rows.speedup_high - rows.speedup],
        marker="o",
        capsize=3,
        linestyle="none",
        label=level,
    )
ax.axhline(1, color="grey", linestyle="--", linewidth=1)
ax.set_xscale("log")
ax.set_xlabel("batch size (rows per call)")
ax.set_ylabel("speed-up over no optimisation (x)")
ax.legend(title="level")
counts = Counter(optimised.verdict)
ax.set_title(
    f"{counts['faster']} of {len(optimised)} comparisons faster, "
    f"{counts['slower']} slower, {counts['no clear difference']} no clear difference"
)
plt.show()

# %%
# The verdicts as sentences, computed from the table:
for level, rows in optimised.groupby("candidate", sort=False):
    sizes_by_verdict = rows.groupby("verdict", sort=False).batch_size.apply(
        lambda sizes: ", ".join(f"{size:,}" for size in sizes)
    )
    parts = [f"{verdict} at {n} rows" for verdict, n in sizes_by_verdict.items()]
    print(f"{level:>8}: " + "; ".join(parts))

# %%
# Where a gain can come from: fewer nodes save a fixed cost per node on
# every call, which weighs most at one row; a fused activation saves a pass
# over each layer's output, a saving that grows with the rows, as the matrix
# products themselves do. The sentences above say at which batch sizes this
# run saw a gain. "No clear difference" means that this run could not tell the
# level from no optimisation beyond the 5% margin; rerun the lesson on the
# machine you deploy to.
#
# Why the forest and the logistic regression gain nothing
# -------------------------------------------------------
# Their graphs are one operator each, from the ``ai.onnx.ml`` domain: the
# whole model is a single kernel, ``TreeEnsembleClassifier`` or
# ``LinearClassifier``, with its trees or coefficients as attributes. There
# is nothing to remove and no neighbour to fuse with, so every level leaves
# the graph as it is:
for model_name in ("forest", "logistic"):
    counts = {level: op_counts(graphs[model_name, level]) for level in LEVELS}
    (operator,) = counts["disabled"]  # exactly one node
    assert operator.endswith("(ai.onnx.ml)") and counts["disabled"][operator] == 1
    assert all(count == counts["disabled"] for count in counts.values())
pd.concat({name: count_table(name) for name in ("forest", "logistic")})

# %%
# Their speed comes from the kernel itself and from threads, not from the
# optimiser: :ref:`running_session_options` times the levels on a forest.
#
# Dynamic int8 quantisation
# -------------------------
# ``onnxruntime.quantization.quantize_dynamic`` stores the weights of every
# matrix product as 8-bit integers with a scale, and quantises the
# activations when the model runs, with a scale computed from each call's
# batch. It reads and writes files. A first try, on the converted model:
import logging

from onnxruntime.quantization import QuantType, quant_pre_process, quantize_dynamic

float_path = workdir / "mlp.onnx"
onnx.save(onnx_models["mlp"], float_path)


def quantise(source, target):
    """``quantize_dynamic`` to int8 weights; returns what it logged."""
    logged = []
    handler = logging.Handler()
    handler.emit = lambda record: logged.append(record.getMessage())
    logging.getLogger().addHandler(handler)
    try:
        quantize_dynamic(source, target, weight_type=QuantType.QInt8)
    finally:
        logging.getLogger().removeHandler(handler)
    return logged


quantise(float_path, workdir / "mlp.int8.direct.onnx")

# %%
# It works, and logs a request to pre-process the model first.
# ``quant_pre_process`` infers the shape of every intermediate result and
# runs onnxruntime's basic optimisations, so that the quantiser knows what it
# quantises. Its *symbolic* shape inference, meant for models whose sizes
# depend on named dimensions (sequence lengths in language models), needs
# ``sympy``, which recent onnxruntime releases no longer install; a converted
# scikit-learn model has one free dimension, the number of rows, that ONNX's
# own shape inference handles, so skip it. The request is then gone:
preprocessed_path = workdir / "mlp.preprocessed.onnx"
quant_pre_process(float_path, preprocessed_path, skip_symbolic_shape=True)
int8_path = workdir / "mlp.int8.onnx"
assert not quantise(preprocessed_path, int8_path)
int8_model = onnx.load(int8_path)
pd.DataFrame(
    {
        "pre-processed": op_counts(onnx.load(preprocessed_path)),
        "quantised": op_counts(int8_model),
    }
).fillna(0).astype(int)

# %%
# Pre-processing merged ``MatMul`` + ``Add`` into ``Gemm``, as the basic level
# did. Quantisation replaced each ``Gemm`` with ``DynamicQuantizeLinear``
# (the activations to uint8, with a scale computed for each call), an integer
# ``MatMulInteger`` and the ``Cast`` / ``Mul`` / ``Add`` nodes that scale the
# result back to float. At session creation onnxruntime fuses them again, into
# ``DynamicQuantizeMatMul`` where it can:
int8_counts = op_counts(optimised_graph(int8_model, "extended", "mlp-int8"))
assert int8_counts["DynamicQuantizeMatMul (com.microsoft)"] >= 1
dict(int8_counts)

# %%
# Size, agreement and speed
# -------------------------
# Each weight now takes one byte instead of four, plus one scale and one
# zero point per matrix; the file shrinks less, since the biases and the
# graph itself stay as they were.


def stored_bytes(onnx_model):
    """Bytes of the stored tensors (weights, biases, scales), by element type."""
    totals = Counter()
    for init in onnx_model.graph.initializer:
        array = onnx.numpy_helper.to_array(init)
        totals[f"{array.dtype} tensors (bytes)"] += array.nbytes
    return totals


stored = {
    "float32 model": stored_bytes(onnx_models["mlp"]),
    "int8 model": stored_bytes(int8_model),
}
sizes = pd.DataFrame(stored).T.fillna(0).astype(int)
file_bytes = [float_path.stat().st_size, int8_path.stat().st_size]
sizes.insert(0, "file (bytes)", file_bytes)
n_weights = sum(coefficients.size for coefficients in mlp.coefs_)
int8_bytes = sizes.loc["int8 model", "int8 tensors (bytes)"]
assert int8_bytes == n_weights + n_layers  # a byte per weight, a zero point per matrix
size_ratio = file_bytes[0] / file_bytes[1]
assert size_ratio > 1
print(f"the int8 file is {size_ratio:.1f}x smaller")
sizes.style.format("{:,}")

# %%
# Agreement is no longer a matter of rounding: the quantised model computes
# with coarser numbers. Compare it with the float model, on the test rows,
# the way that matters to a user: how many labels flip, and how far the
# probabilities move.
float_session = sessions["all"]
int8_session = onnxruntime.InferenceSession(
    int8_path, helpers.session_options("latency"), providers=["CPUExecutionProvider"]
)
outputs = ["label", "probabilities"]
float_label, float_proba = float_session.run(outputs, {"X": X_test32})
int8_label, int8_proba = int8_session.run(outputs, {"X": X_test32})
flipped = int(np.sum(int8_label != float_label))
moves = np.abs(int8_proba[:, 1] - float_proba[:, 1])  # probability of class 1
largest_difference = float(moves.max())
accuracy = {
    "float32": float(np.mean(float_label == y_test)),
    "int8": float(np.mean(int8_label == y_test)),
}
assert flipped <= 0.05 * len(X_test)  # at most 1 row in 20
print(
    f"{flipped} of {len(X_test)} labels flipped; probabilities moved by "
    f"{np.median(moves):.1g} for half the rows, {np.percentile(moves, 99):.2g} "
    f"for 1 row in 100, {largest_difference:.2g} at most; accuracy "
    f"{accuracy['float32']:.3f} (float32), {accuracy['int8']:.3f} (int8)"
)

# %%
# Which rows flip? A row's *margin* is how far the float model's probability
# of class 1 is from 0.5, the decision boundary. For each flipped row, the
# share of all test rows with a smaller margin says how close to the
# boundary it was (a flip also needs the probability to move by at least
# the margin, so the largest move above bounds every flipped row's margin):
margins = np.abs(float_proba[:, 1] - 0.5)
flipped_margins = margins[int8_label != float_label]
assert (flipped_margins <= moves[int8_label != float_label]).all()
if flipped:
    nearest = max(np.mean(margins <= margin) for margin in flipped_margins)
    print(
        f"flipped rows: margins {flipped_margins.min():.2g} to "
        f"{flipped_margins.max():.2g}, against a median margin of "
        f"{np.median(margins):.2g} over all rows; every flipped row is among "
        f"the {nearest:.1%} of rows nearest the boundary"
    )
else:
    print("no label flipped: no row to locate")

# %%
# Speed, at one row and at 10,000, the float model (all optimisations) as the
# baseline, both sessions with one thread:
quant_result = helpers.benchmark(
    {"float32": runner(float_session), "int8": runner(int8_session)},
    X_test32,
    batch_sizes=(1, 10_000),
    budget=3.0,
)
quant_frame = quant_result.to_frame()
int8_rows = quant_frame[quant_frame.candidate == "int8"].assign(speedup=with_interval)
int8_rows = int8_rows[["batch_size", "median_us", "speedup", "verdict"]]
int8_rows.style.format({"median_us": "{:,.1f}"}).hide(axis="index")

# %%
# The verdict for this model, from the numbers of this run
# --------------------------------------------------------
verdict = int8_rows.set_index("batch_size").verdict
print(
    f"int8 at one row: {verdict[1]}; at 10,000 rows: {verdict[10_000]}; "
    f"file {size_ratio:.1f}x smaller; {flipped} labels flipped, probabilities "
    f"moved by up to {largest_difference:.2g}."
)

# %%
# Quantisation can pay when matrix products dominate the time and weights
# dominate the size: large layers, large batches, a model shipped to many
# devices. It also adds work to every call (quantising the activations, then
# scaling the results back), so the verdicts above, not the smaller file,
# decide. And it changes answers: the flips, and the margins of the rows
# they hit, are printed above for this model. Measure both on your own data
# before you ship an int8 model.
#
# Next, :ref:`running_gpu` asks whether a GPU would help. Clean up:
import shutil

shutil.rmtree(workdir)
