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
10,000, against ``InferenceSession(model)`` as onnxruntime sets it up, see
what a spinning thread pool costs, and check the ``helpers`` presets against
the verdicts of this run. It follows :ref:`running_inspect_model`.

It runs in about 25 seconds on the machine that builds these pages.
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
# instead of busy-waiting for the next call (onnxruntime's default is to
# spin), so they leave the cores to the rest of the process. The session
# below sets every knob by hand; the defaults are what
# ``InferenceSession(model)`` gets when you pass no options.
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
# :class:`helpers.OnnxPredictor` passes it to ``InferenceSession``. The
# presets (``"default"`` changes nothing):
import pandas as pd

pd.DataFrame(helpers.PRESETS).T.astype(str)

# %%
# Threads: one, or onnxruntime's pool?
# ------------------------------------
# With one intra-op thread every operator runs on the calling thread. By
# default, onnxruntime splits an operator's work over a pool of one thread
# per physical core, whose idle threads spin for a while after each call so
# that the next call finds them awake. (For a tree ensemble,
# :class:`helpers.OnnxPredictor` with the throughput preset splits the
# batch's rows itself instead, :ref:`cores_and_batch_size`; here we time
# session settings alone.)
#
# Three sessions per model, each called with the public ``session.run``:
# ``InferenceSession(model)`` with no options, one thread, and the default
# pool with spinning off. First each is checked against scikit-learn: the
# same probabilities up to float32 rounding (``atol=1e-5``).


def make_session(onnx_model, options=None):
    """``InferenceSession`` with ``options`` (None: no options at all)."""
    content = onnx_model.SerializeToString()
    if options is None:
        return onnxruntime.InferenceSession(content, providers=["CPUExecutionProvider"])
    return onnxruntime.InferenceSession(
        content, options, providers=["CPUExecutionProvider"]
    )


def probabilities(session):
    """``session.run`` for the probabilities, as a function of a batch."""
    return lambda batch: session.run(["probabilities"], {"X": batch})[0]


DEFAULT, ONE, NO_SPIN = "InferenceSession(model)", "one thread", "pool, no spinning"
settings = {
    DEFAULT: None,
    ONE: helpers.session_options("latency"),
    NO_SPIN: helpers.session_options(None, allow_spinning=False),
}
thread_calls = {}
for name, onnx_model in onnx_models.items():
    expected = sklearn_models[name].predict_proba(X[:500])
    thread_calls[name] = {}
    for label, options in settings.items():
        call = probabilities(make_session(onnx_model, options))
        np.testing.assert_allclose(call(X32[:500]), expected, atol=1e-5)
        thread_calls[name][label] = call

# %%
# Where were the timings of this page measured?
helpers.machine_summary()

# %%
# :func:`helpers.benchmark` times the three sessions in interleaved rounds at
# each batch size, the batches prepared (float32) before timing, and waits
# before each timing until the process is idle, so that a pool still
# spinning after one call does not slow the next
# (:func:`helpers.timing.settle`). For each batch size it reports each
# session's speed-up over ``InferenceSession(model)``, the median of the
# rounds' paired ratios, with its 95% interval, and a verdict: "faster" or
# "slower" only when the whole interval is beyond a 5% margin, "no clear
# difference" otherwise. The control times the default session twice: if it
# is not "no clear difference", the machine drifted during the run. A batch
# larger than the data repeats its rows (``take_rows``, imported with
# ``from helpers.benchmark import take_rows``; the first line below says how
# often), so at 10,000 rows the forest walks the same paths again, which may
# flatter its large-batch times, for every session alike.
batch_sizes = (1, 16, 100, 1_000, 10_000)
thread_results = {
    name: helpers.benchmark(
        calls, X32, batch_sizes=batch_sizes, budget=2.0, control=True
    )
    for name, calls in thread_calls.items()
}
print(
    f"{len(X32):,} distinct rows, repeated {batch_sizes[-1] / len(X32):.3g} times "
    f"over to fill the {batch_sizes[-1]:,}-row batch"
)
thread_results["forest"]

# %%
# The logistic regression, for comparison:
thread_results["logistic"]

# %%
# The speed-up of one thread, and of the pool without spinning, over
# ``InferenceSession(model)``, with the intervals shaded. Below the dashed
# line, onnxruntime's default was faster.
import matplotlib.pyplot as plt


def with_interval(result, candidate, batch_size, baseline=None):
    """'1.8x [1.6x, 2.0x], faster': a speed-up, its interval and its verdict
    (against the first candidate, or ``baseline``)."""
    ratio, low, high = result.interval(candidate, batch_size, baseline)
    verdict = result.verdict(candidate, batch_size, baseline)
    return f"{ratio:.2f}x [{low:.2f}x, {high:.2f}x], {verdict}"


fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained", sharey=True)
for ax, (name, result) in zip(axes, thread_results.items(), strict=True):
    result.plot("speedup", ax=ax, title=f"{name}: against InferenceSession(model)")
fig.suptitle(
    "One thread against onnxruntime's default at 1 row: forest "
    f"{with_interval(thread_results['forest'], ONE, 1)};\n"
    "at 10,000 rows: forest "
    f"{with_interval(thread_results['forest'], ONE, 10_000)}"
)
plt.show()

# %%
# Which preset, from these verdicts
# ---------------------------------
# :func:`helpers.session.preset_for` picks ``"latency"`` (one thread) below
# ``helpers.session.SMALL_BATCH`` rows per call, onnxruntime's ``"default"``
# from there, and ``"throughput"`` (the default's session settings, plus the
# row split for trees) from ``helpers.session.AUTO_BATCH`` rows on. The
# table tests that rule on this run: for each model and batch size, the
# speed-ups over the default, and any session faster than the preset's own
# beyond its interval (its verdict against the preset's session).
from helpers.session import AUTO_BATCH, SMALL_BATCH, preset_for

preset_session = {"latency": ONE, "default": DEFAULT, "throughput": DEFAULT}
rows = []
for name, result in thread_results.items():
    for batch_size in batch_sizes:
        chosen = preset_session[preset_for(batch_size)]
        faster = [
            other
            for other in (DEFAULT, ONE, NO_SPIN)
            if result.verdict(other, batch_size, chosen) == "faster"
        ]
        rows.append(
            {
                "model": name,
                "rows": batch_size,
                "preset_for": preset_for(batch_size),
                "one thread": with_interval(result, ONE, batch_size),
                "no spinning": with_interval(result, NO_SPIN, batch_size),
                "faster than the preset": ", ".join(faster) or "none",
            }
        )
choices = pd.DataFrame(rows)
choices

# %%
# The table in words. These verdicts hold for this machine and its load at
# build time (:ref:`tuning` measures more settings for one model): rerun
# the lesson on your server before you rely on a preset there. The last
# line compares two settings that :ref:`cores_and_batch_size` also times
# (its "ONNX threads" at the usable cores against one), in a run of its own.
beaten = choices[choices["faster than the preset"] != "none"]
print(
    f"{helpers.usable_cpus()} usable cores; preset_for switches at {SMALL_BATCH} "
    f"and {AUTO_BATCH:,} rows. Its preset's session was beaten beyond the "
    f"interval in {len(beaten)} of {len(choices)} cases" + (":" if len(beaten) else ".")
)
for row in beaten.itertuples():
    print(f"  {row.model} at {row.rows:,} rows: {row._6} was faster")
forest_pool = with_interval(thread_results["forest"], NO_SPIN, 10_000, ONE)
print(f"forest, 10,000 rows, pool without spinning against one thread: {forest_pool}")

# %%
# What spinning costs
# -------------------
# Spinning is a trade. A pool that sleeps pays to wake its threads at every
# call: the "pool, no spinning" column above prices that for the model. A
# pool that spins keeps a core busy for a while after the call, which work
# the process does next may need: parsing the next request, a second model,
# your own numpy code. To price that, we time two fixed pieces
# of work right after a 1,000-row call of each session, with no pause, and
# right after the process has been idle: sorting 200,000 numbers (one core),
# and the forest on 1,000 rows split over every usable core
# (:class:`helpers.OnnxPredictor` with ``row_workers=0``, one chunk per core).
# The paired ratio over interleaved rounds is the slowdown.
import time

from helpers.timing import median_interval, settle

rng = np.random.default_rng(0)
split_forest = helpers.OnnxPredictor(onnx_models["forest"], row_workers=0)
works = {
    "sort (one core)": (np.sort, rng.random(200_000)),
    "forest, rows split (every core)": (split_forest.predict_proba, X32[:1_000]),
}
batch = X32[:1_000]
after = {"idle": lambda _: None, **thread_calls["forest"]}
work_ratios = {}
for work_name, (work, data) in works.items():
    seconds = {label: [] for label in after}
    for round_number in range(30):
        for label in np.random.default_rng(round_number).permutation(list(after)):
            settle()  # each timing starts from an idle process
            after[label](batch)
            start = time.perf_counter()
            work(data)
            seconds[label].append(time.perf_counter() - start)
    for label in list(after)[1:]:
        slowdown = np.asarray(seconds[label]) / np.asarray(seconds["idle"])
        work_ratios[work_name, label] = median_interval(slowdown)
slowdowns = pd.DataFrame(work_ratios, index=["slowdown", "low", "high"]).T
slowdowns.style.format("{:.2f}x")


# %%
# The trade in this run's numbers, both halves on the forest: what turning
# spinning off cost the forest itself (its "pool, no spinning" session against
# ``InferenceSession(model)``), and what spinning cost the work after a
# forest call.
def rows_text(batch_size):
    """'1 row', '100 rows'."""
    return "1 row" if batch_size == 1 else f"{batch_size:,} rows"


for batch_size in batch_sizes:
    cost = with_interval(thread_results["forest"], NO_SPIN, batch_size)
    print(f"spinning off, forest at {rows_text(batch_size)}: {cost}")
for (work_name, label), (ratio, low, high) in work_ratios.items():
    print(f"{work_name} right after {label}: {ratio:.2f}x [{low:.2f}x, {high:.2f}x]")

# %%
# What that means for the presets, from this run's verdicts. ``"default"``
# and ``"throughput"`` keep onnxruntime's spinning; turn it off
# (``allow_spinning=False``) where your own measurement shows the work
# beside the model paying for it.
slowed = [key for key, (_, low, _) in work_ratios.items() if low > 1.05]
costs_model = [
    rows_text(batch_size)
    for batch_size in batch_sizes
    if thread_results["forest"].verdict(NO_SPIN, batch_size) == "slower"
]
print(
    "work slowed right after a call: "
    + ("; ".join(f"{work} after {session}" for work, session in slowed) or "none")
)
print(
    "spinning off slowed the forest at: "
    + (", ".join(costs_model) or "no batch size measured")
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
def latency_with(**knob):
    """The latency preset's ``SessionOptions``, one knob changed."""
    return helpers.session_options("latency", **knob)


knob_sessions = {
    "latency preset": make_session(forest_onnx, latency_with()),
    "optimisations off": make_session(
        forest_onnx,
        latency_with(graph_optimization_level=GraphOptimizationLevel.ORT_DISABLE_ALL),
    ),
    "basic optimisations": make_session(
        forest_onnx,
        latency_with(graph_optimization_level=GraphOptimizationLevel.ORT_ENABLE_BASIC),
    ),
    "parallel, 2 inter-op threads": make_session(
        forest_onnx,
        latency_with(
            execution_mode=onnxruntime.ExecutionMode.ORT_PARALLEL,
            inter_op_num_threads=2,
        ),
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
    latency_with(
        optimized_model_filepath=str(optimized_path),
        graph_optimization_level=GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    ),
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
# attributes, which a saved file does not skip; what it can skip is the
# optimiser's passes over the graph, which run even when a one-node graph
# gives them nothing to rewrite. Whether that saves time, the verdict of this
# run says, by the same rule as above:
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
