"""
.. _running_session_options:

Session options
===============

An ``InferenceSession`` takes a ``SessionOptions`` object: how many threads
share one operator (``intra_op_num_threads``), whether idle threads spin,
whether independent operators run side by side (``execution_mode``), how much
the graph is rewritten at load time (``graph_optimization_level``), and where
the rewritten model is saved (``optimized_model_filepath``). You will measure
each on a logistic regression and a 100-tree random forest, from one row to
10,000, and pick a ``helpers`` preset from the verdicts of this run. It
follows :ref:`running_inspect_model`.
"""

# %%
# Two models
# ----------
# A linear model, whose prediction is one small matrix product, and a forest,
# whose prediction walks 100 trees per row: the two ends of what threads can
# do. Synthetic, seeded data; the forest's depth is capped to keep the lesson
# fast.
import helpers
import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

X, y = make_classification(
    n_samples=2000,
    n_features=20,
    n_informative=10,
    random_state=0,
)
X32 = X.astype(np.float32)  # prepared once, outside every timing
sklearn_models = {
    "logistic": LogisticRegression(max_iter=1000).fit(X, y),
    "forest": RandomForestClassifier(
        n_estimators=100,
        max_depth=8,
        random_state=0,
    ).fit(X, y),
}
onnx_models = {}
for name, model in sklearn_models.items():
    onnx_models[name] = helpers.convert(model, X[:1])

# %%
# The raw options
# ---------------
# Options are attributes of ``onnxruntime.SessionOptions``, set before the
# session is created; a session never changes them afterwards. Besides the
# attributes, string *config entries* reach settings that have no attribute:
# ``session.intra_op.allow_spinning = "0"`` lets idle pool threads sleep
# instead of busy-waiting for work, so they leave the cores to the rest of
# the process. Every session this lesson times has spinning off: a spinning
# session would slow down whatever is timed after it on the same cores.
import onnxruntime

options = onnxruntime.SessionOptions()
options.intra_op_num_threads = 1  # threads sharing one operator; 0: one per core
options.inter_op_num_threads = 1  # threads for independent operators (parallel mode)
options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
options.graph_optimization_level = (
    onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL  # the default
)
options.add_session_config_entry("session.intra_op.allow_spinning", "0")
session = onnxruntime.InferenceSession(
    onnx_models["forest"].SerializeToString(),
    options,
    providers=["CPUExecutionProvider"],
)
session.run(["probabilities"], {"X": X32[:2]})[0]

# %%
# :func:`helpers.session_options` builds the same object from a preset name
# plus overrides (``allow_spinning=False`` sets the config entry), and
# :class:`helpers.OnnxPredictor` passes it to ``InferenceSession``. The two
# presets:
import pandas as pd

pd.DataFrame(helpers.PRESETS).T.astype(str)

# %%
# Threads: one, or one per core?
# ------------------------------
# ``"latency"`` runs every operator on the calling thread; ``"throughput"``
# lets onnxruntime split an operator's rows over a pool of one thread per
# physical core. (For a tree ensemble, :class:`helpers.OnnxPredictor` with
# the throughput preset goes further and splits the batch's rows itself,
# :ref:`cores_and_batch_size`; here we time the session settings alone.)
# Splitting has a cost, handing work to the pool and waiting for it, that
# only a large enough batch pays back.
#
# We time the public ``session.run``, the call you would copy, of one session
# per preset. First each session is checked against scikit-learn: the same
# probabilities up to float32 rounding (``atol=1e-5``).


def make_session(onnx_model, **settings):
    """A session with ``helpers.session_options(**settings)``; spinning is off."""
    return onnxruntime.InferenceSession(
        onnx_model.SerializeToString(),
        helpers.session_options(**settings),
        providers=["CPUExecutionProvider"],
    )


def probabilities(session):
    """``session.run`` for the probabilities, as a function of a batch."""
    return lambda batch: session.run(["probabilities"], {"X": batch})[0]


preset_calls = {}
for name, onnx_model in onnx_models.items():
    for preset in ("latency", "throughput"):
        call = probabilities(make_session(onnx_model, preset=preset))
        expected = sklearn_models[name].predict_proba(X[:500])
        np.testing.assert_allclose(call(X32[:500]), expected, atol=1e-5)
        preset_calls[name, preset] = call

# %%
# Where were the timings of this page measured?
helpers.machine_summary()

# %%
# :func:`helpers.benchmark` times the two sessions in interleaved rounds at
# each batch size, the batches prepared (float32) before timing. For each
# batch size it reports the speed-up of the throughput preset over the
# latency preset, the median of the rounds' paired ratios, with its 95%
# interval, and a verdict: "faster" or "slower" only when the whole interval
# is beyond a 5% margin, "no clear difference" otherwise.
batch_sizes = (1, 100, 1_000, 10_000)
thread_results = {
    name: helpers.benchmark(
        {
            "latency preset": preset_calls[name, "latency"],
            "throughput preset": preset_calls[name, "throughput"],
        },
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
# The speed-up of the throughput preset over the latency preset, per model,
# with its interval shaded. Above the dashed line, more threads paid off.
import matplotlib.pyplot as plt


def with_interval(result, candidate, batch_size):
    """'1.8x [1.6x, 2.0x], faster': a speed-up, its interval and its verdict."""
    ratio, low, high = result.interval(candidate, batch_size)
    verdict = result.verdict(candidate, batch_size)
    return f"{ratio:.2f}x [{low:.2f}x, {high:.2f}x], {verdict}"


fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained", sharey=True)
for ax, (name, result) in zip(axes, thread_results.items(), strict=True):
    result.plot("speedup", ax=ax, title=f"{name}: throughput / latency preset")
fig.suptitle(
    "At 10,000 rows, throughput against latency preset: forest "
    f"{with_interval(thread_results['forest'], 'throughput preset', 10_000)};\n"
    "logistic regression "
    f"{with_interval(thread_results['logistic'], 'throughput preset', 10_000)}"
)
plt.show()

# %%
# Which preset, from these verdicts
# ---------------------------------
# The presets start from a guess: one thread for single requests, because
# one row is too little work to share, and onnxruntime's pool (a thread per
# physical core) for large batches (``helpers.session.preset_for`` picks
# ``"throughput"`` from ``helpers.session.AUTO_BATCH`` rows on). The table
# below tests the guess on this run: ``throughput`` only where its verdict
# is "faster", ``latency`` otherwise, since it leaves cores free for other
# work.
choices = []
for name, result in thread_results.items():
    for batch_size in batch_sizes:
        ratio, low, high = result.interval("throughput preset", batch_size)
        verdict = result.verdict("throughput preset", batch_size)
        choices.append(
            {
                "model": name,
                "rows": batch_size,
                "throughput / latency": ratio,
                "low": low,
                "high": high,
                "verdict": verdict,
                "use": "throughput" if verdict == "faster" else "latency",
            }
        )
choices = pd.DataFrame(choices)
ratio_columns = ["throughput / latency", "low", "high"]
choices.style.format("{:.2f}x", subset=ratio_columns).hide(axis="index")

# %%
# The table in words, with the cores it was measured on. These verdicts hold
# for this machine and its load at build time: rerun the lesson on your
# server before you pick a preset there.
from helpers.session import AUTO_BATCH

throughput_cells = choices[choices["use"] == "throughput"]
won = [f"{row.model} at {row.rows:,} rows" for row in throughput_cells.itertuples()]
print(f"{helpers.usable_cpus()} usable cores; the throughput preset was faster for:")
print(f"  {', '.join(won) if won else 'no model at any batch size measured'}")
large = choices[choices["rows"] >= AUTO_BATCH]
agree = (large["use"] == "throughput").sum()
print(
    f"From {AUTO_BATCH:,} rows on, where preset_for picks 'throughput', this run "
    f"supports it in {agree} of {len(large)} cases."
)

# %%
# Execution mode and graph optimisation
# -------------------------------------
# ``ORT_PARALLEL`` runs independent branches of a graph at the same time on
# ``inter_op_num_threads`` threads. Graph optimisation rewrites the graph when
# the session is created: the *basic* level folds constants and removes
# redundant nodes, *extended* fuses known patterns into onnxruntime's own
# operators, *all* adds layout changes for this CPU (:ref:`running_optimizer`
# shows each level at work on a neural network). Both need a graph with
# something to work on; here is what the converted forest holds:
GraphOptimizationLevel = onnxruntime.GraphOptimizationLevel
forest_onnx = onnx_models["forest"]
[node.op_type for node in forest_onnx.graph.node]

# %%
# The same session settings as the latency preset, one knob changed at a
# time, timed against it in one interleaved benchmark, each session checked
# first:
knob_sessions = {
    "latency preset": make_session(forest_onnx, preset="latency"),
    "optimisations off": make_session(
        forest_onnx, graph_optimization_level=GraphOptimizationLevel.ORT_DISABLE_ALL
    ),
    "basic optimisations": make_session(
        forest_onnx, graph_optimization_level=GraphOptimizationLevel.ORT_ENABLE_BASIC
    ),
    "parallel, 2 inter-op threads": make_session(
        forest_onnx,
        execution_mode=onnxruntime.ExecutionMode.ORT_PARALLEL,
        inter_op_num_threads=2,
    ),
}
knob_calls = {name: probabilities(s) for name, s in knob_sessions.items()}
for call in knob_calls.values():
    expected = sklearn_models["forest"].predict_proba(X[:500])
    np.testing.assert_allclose(call(X32[:500]), expected, atol=1e-5)
knob_result = helpers.benchmark(knob_calls, X32, batch_sizes=(1, 1_000), budget=1.5)
knob_result

# %%
# The verdicts of this run, each from its interval against the latency
# preset:
for name in list(knob_calls)[1:]:
    for batch_size in (1, 1_000):
        measured = with_interval(knob_result, name, batch_size)
        print(f"{name:>28}, {batch_size:>5,} rows: {measured}")

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
make_session(
    forest_onnx,
    optimized_model_filepath=str(optimized_path),
    graph_optimization_level=GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
)
optimized_bytes = optimized_path.read_bytes()
original_bytes = forest_onnx.SerializeToString()
optimized_predictor = helpers.OnnxPredictor(
    optimized_bytes, graph_optimization_level=GraphOptimizationLevel.ORT_DISABLE_ALL
)
helpers.assert_agrees(sklearn_models["forest"], optimized_predictor, X[:500])
sizes = {"original": len(original_bytes), "optimised": len(optimized_bytes)}
{name: f"{size:,} bytes" for name, size in sizes.items()}

# %%
# How much creation time does it save? :func:`helpers.benchmark` times any
# function of a batch; here the batch is ignored and each call creates a
# session, the two candidates in turns.
no_optimisation = helpers.session_options(
    "latency", graph_optimization_level=GraphOptimizationLevel.ORT_DISABLE_ALL
)


def create(content, session_options):
    return lambda _: onnxruntime.InferenceSession(
        content, session_options, providers=["CPUExecutionProvider"]
    )


creation = helpers.benchmark(
    {
        "original, optimised at load": create(
            original_bytes,
            helpers.session_options("latency"),
        ),
        "saved optimised, optimisations off": create(optimized_bytes, no_optimisation),
    },
    X32,
    batch_sizes=(1,),
    budget=1.0,
)
creation

# %%
# Creating a forest's session includes building the trees from the node's
# attributes, which a saved file does not skip, and a one-node graph leaves the
# optimiser little to do. The verdict of this run, by the same rule as above:
creation_ms = creation.median("original, optimised at load", 1) * 1e3
print(
    "session from the saved optimised model: "
    f"{with_interval(creation, 'saved optimised, optimisations off', 1)} "
    f"(creation took {creation_ms:.1f} ms before)"
)

# %%
# A graph with many rewrites may gain more; measure it for your model the
# same way before adding a build step for it.
#
# Next, :ref:`running_profiling` shows where the time of a run goes. Clean up:
import shutil

shutil.rmtree(workdir)
