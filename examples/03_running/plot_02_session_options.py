"""
.. _running_session_options:

Session options
===============

An ``InferenceSession`` takes a ``SessionOptions`` object: how many threads
share one operator (``intra_op_num_threads``), whether independent operators
run side by side (``execution_mode``, ``inter_op_num_threads``), how much the
graph is rewritten at load time (``graph_optimization_level``), and where the
rewritten model is saved (``optimized_model_filepath``). You will measure
each on a logistic regression and a 100-tree random forest, from one row to
10,000, and pick a ``helpers`` preset from the numbers of this run. It
follows :ref:`running_inspect_model` and runs in about 15 seconds.
"""

# %%
# Two models
# ----------
# A linear model, whose prediction is one small matrix product, and a forest,
# whose prediction walks 100 trees per row: the two ends of what threads can
# do. Synthetic, seeded data; the forest's depth is capped to keep the lesson
# fast.
import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

import helpers

X, y = make_classification(n_samples=2000, n_features=20, n_informative=10, random_state=0)
X32 = X.astype(np.float32)  # prepared once, outside every timing
logistic_model = LogisticRegression(max_iter=1000).fit(X, y)
forest_model = RandomForestClassifier(n_estimators=100, max_depth=8, random_state=0, n_jobs=2).fit(X, y)
onnx_models = {
    "logistic": helpers.convert(logistic_model, X[:1]),
    "forest": helpers.convert(forest_model, X[:1]),
}
sklearn_models = {"logistic": logistic_model, "forest": forest_model}

# %%
# The raw options
# ---------------
# Options are attributes of ``onnxruntime.SessionOptions``, set before the
# session is created; a session never changes them afterwards. Besides the
# attributes, string *config entries* reach settings that have no attribute:
# ``session.intra_op.allow_spinning = "0"`` lets idle pool threads sleep
# instead of busy-waiting for work, so they leave the cores to the rest of
# the process.
import onnxruntime

options = onnxruntime.SessionOptions()
options.intra_op_num_threads = 1  # threads that share one operator; 0 = one per physical core
options.inter_op_num_threads = 1  # threads that run independent operators, in parallel mode only
options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL  # the default
options.add_session_config_entry("session.intra_op.allow_spinning", "0")
session = onnxruntime.InferenceSession(
    onnx_models["forest"].SerializeToString(), options, providers=["CPUExecutionProvider"]
)
session.run(["probabilities"], {"X": X32[:2]})[0]

# %%
# :func:`helpers.session_options` builds the same object from a preset name
# plus overrides, and :class:`helpers.OnnxPredictor` passes it to
# ``InferenceSession``. The two presets:
import pandas as pd

pd.DataFrame(helpers.PRESETS).T

# %%
# Threads: one, or one per core?
# ------------------------------
# ``"latency"`` runs every operator on the calling thread; ``"throughput"``
# lets onnxruntime split an operator's rows over a pool of one thread per
# physical core. Splitting has a cost, handing work to the pool and waiting
# for it, that only a large enough batch pays back. Both candidates are timed
# in turns at each batch size (:func:`helpers.benchmark`); first, each is
# checked against scikit-learn.
predictors = {
    (name, preset): helpers.OnnxPredictor(onnx_model, preset=preset)
    for name, onnx_model in onnx_models.items()
    for preset in ("latency", "throughput")
}
for (name, _), predictor in predictors.items():
    helpers.assert_agrees(sklearn_models[name], predictor, X[:500])

batch_sizes = (1, 10, 100, 1_000, 10_000)
thread_results = {
    name: helpers.benchmark(
        {preset: predictors[name, preset].predict_proba for preset in ("latency", "throughput")},
        X32,
        batch_sizes=batch_sizes,
        budget=2.0,
    )
    for name in onnx_models
}
thread_results["forest"]

# %%
# The logistic regression, for comparison:
thread_results["logistic"]

# %%
# The speed-up of the throughput preset over the latency preset, per model.
# Above the dashed line, more threads paid off.
import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained", sharey=True)
for ax, (name, result) in zip(axes, thread_results.items(), strict=True):
    result.plot("speedup", ax=ax, title=f"{name}: throughput / latency preset")
forest_gain = thread_results["forest"].speedup("throughput", 10_000)
logistic_gain = thread_results["logistic"].speedup("throughput", 10_000)
fig.suptitle(
    f"At 10,000 rows, one thread per core is {forest_gain:.2f}x as fast for the forest, "
    f"{logistic_gain:.2f}x for the logistic regression"
)
plt.show()

# %%
# Which preset, from these numbers
# --------------------------------
# The rule the presets encode: one thread for single requests, because one
# row is too little work to share; a thread per core for large batches of
# models with much work per row, such as forests. The verdicts below are
# computed from this run: ``throughput`` only where its verdict is "faster"
# (its whole 95% interval beyond the 5% margin), ``latency`` otherwise, since
# it leaves cores free. On a busy or
# small machine the gain of more threads shrinks or vanishes, which is why
# you should rerun this lesson on your server.
verdicts = []
for name, result in thread_results.items():
    for batch_size in batch_sizes:
        ratio = result.speedup("throughput", batch_size)
        clear = result.verdict("throughput", batch_size) == "faster"
        verdicts.append(
            {
                "model": name,
                "rows": batch_size,
                "throughput / latency": ratio,
                "use": "throughput" if clear else "latency",
            }
        )
verdicts = pd.DataFrame(verdicts)
verdicts.pivot(index="rows", columns="model", values="use")

# %%
# Execution mode and graph optimisation
# -------------------------------------
# ``ORT_PARALLEL`` runs independent branches of a graph at the same time on
# ``inter_op_num_threads`` threads. A converted scikit-learn model is usually
# a single chain, here a single ``TreeEnsembleClassifier`` node, so there is
# nothing to run side by side and the extra pool is pure overhead.
#
# Graph optimisation rewrites the graph when the session is created: the
# *basic* level folds constants and removes redundant nodes, *extended*
# fuses known patterns into onnxruntime's own operators, *all* adds layout
# changes for this CPU. A one-node graph gives them little to do. Measured on
# the forest, against the latency preset (all optimisations on, sequential):
GraphOptimizationLevel = onnxruntime.GraphOptimizationLevel
forest_onnx = onnx_models["forest"]
knob_predictors = {
    "latency preset": predictors["forest", "latency"],
    "optimisations off": helpers.OnnxPredictor(
        forest_onnx, graph_optimization_level=GraphOptimizationLevel.ORT_DISABLE_ALL
    ),
    "basic optimisations": helpers.OnnxPredictor(
        forest_onnx, graph_optimization_level=GraphOptimizationLevel.ORT_ENABLE_BASIC
    ),
    "parallel, 2 inter-op threads": helpers.OnnxPredictor(
        forest_onnx, execution_mode=onnxruntime.ExecutionMode.ORT_PARALLEL, inter_op_num_threads=2
    ),
}
for predictor in knob_predictors.values():
    helpers.assert_agrees(forest_model, predictor, X[:500])
knob_result = helpers.benchmark(
    {name: predictor.predict_proba for name, predictor in knob_predictors.items()},
    X32,
    batch_sizes=(1, 1_000),
    budget=1.5,
)
knob_result

# %%
# Read the ``speedup`` column against the latency preset together with its
# interval: with a one-node graph, a difference between optimisation levels
# that stays inside the interval is noise. The verdicts, computed from this
# run, call a candidate faster or slower only when its whole 95% interval is
# beyond the 5% margin:
for name in list(knob_predictors)[1:]:
    for batch_size in (1, 1_000):
        ratio, low, high = knob_result.interval(name, batch_size)
        verdict = knob_result.verdict(name, batch_size)
        print(
            f"{name:>28}, {batch_size:>5} rows: {ratio:.3g}x the latency preset "
            f"[{low:.3g}, {high:.3g}], {verdict}"
        )

# %%
# Save the optimised model
# ------------------------
# Optimising is done each time a session is created. With
# ``optimized_model_filepath``, onnxruntime also writes the optimised graph to
# a file; a later session can load that file with optimisations off and skip
# the work. Save at the *extended* level at most: a model saved at *all* may
# hold layouts for this CPU, and any level above *basic* may use operators
# that only onnxruntime knows (its ``com.microsoft`` domain), so load the
# file with the onnxruntime version that wrote it.
import tempfile
from pathlib import Path

workdir = Path(tempfile.mkdtemp(prefix="session-options-"))
optimized_path = workdir / "forest.optimized.onnx"
helpers.OnnxPredictor(
    forest_onnx,
    optimized_model_filepath=str(optimized_path),
    graph_optimization_level=GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
)
optimized_bytes = optimized_path.read_bytes()
original_bytes = forest_onnx.SerializeToString()
optimized_predictor = helpers.OnnxPredictor(
    optimized_bytes, graph_optimization_level=GraphOptimizationLevel.ORT_DISABLE_ALL
)
helpers.assert_agrees(forest_model, optimized_predictor, X[:500])
print(f"original {len(original_bytes):,} bytes, optimised {len(optimized_bytes):,} bytes")

# %%
# How much creation time does it save? :func:`helpers.benchmark` times any
# function of a batch; here the batch is ignored and each call creates a
# session, the two candidates in turns.
no_optimisation = helpers.session_options(
    "latency", graph_optimization_level=GraphOptimizationLevel.ORT_DISABLE_ALL
)
creation = helpers.benchmark(
    {
        "original, optimised at load": lambda _: onnxruntime.InferenceSession(
            original_bytes, helpers.session_options("latency"), providers=["CPUExecutionProvider"]
        ),
        "saved optimised, optimisations off": lambda _: onnxruntime.InferenceSession(
            optimized_bytes, no_optimisation, providers=["CPUExecutionProvider"]
        ),
    },
    X32,
    batch_sizes=(1,),
    budget=1.0,
)
saving = creation.speedup("saved optimised, optimisations off", 1)
creation_ms = creation.median("original, optimised at load", 1) * 1e3
print(
    f"session from the saved optimised model: {saving:.2f}x as fast to create ({creation_ms:.1f} ms before)"
)
creation

# %%
# Creating a forest's session is mostly building the trees from the node's
# attributes, which no saved file skips, so expect a modest saving for
# converted scikit-learn models. The option pays most for large graphs with
# many rewrites (neural networks, long preprocessing pipelines). The
# verdict of this run, by the same rule as above (the whole interval beyond
# the margin):
clear_gain = creation.verdict("saved optimised, optimisations off", 1) == "faster"
verdict = "a clear saving" if clear_gain else "no clear saving, not worth a build step"
print(f"saved optimised model: {saving:.2f}x faster session creation, {verdict} for this forest")

# %%
# Next, :ref:`running_profiling` shows where the time of a run goes. Clean up:
import shutil

shutil.rmtree(workdir)
