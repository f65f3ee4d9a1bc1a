"""
.. _tuning:

Tune a session for your model and batch size
============================================

How many threads should an ONNX Runtime session use? This lesson measures
why no fixed rule answers that, then lets :func:`helpers.tune` measure the
settings that matter (intra-op threads, spinning, sequential or parallel
execution, graph optimisation level) for a linear model and a random forest,
at one row and at 10,000 rows. It ends with the cost of the call itself:
bare ``session.run`` against :class:`helpers.OnnxPredictor` and its opt-in
fast path. It follows :ref:`model_grid` and builds on
:ref:`running_session_options`, which measures each setting on its own; it
runs in about 10 seconds.
"""

# %%
# Two models on the same data
# ---------------------------
# Synthetic data with 20 features, seeded. A logistic regression does one
# small matrix product per batch; a forest walks each of its 50 trees for
# every row: the two ends of how much work a row costs. The forest is kept
# small (50 trees, depth 8) so that timing it at 10,000 rows stays fast.
import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

X, y = make_classification(n_samples=6_000, n_features=20, n_informative=10, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)
models = {
    "logistic": LogisticRegression(max_iter=1_000).fit(X_train, y_train),
    "forest": RandomForestClassifier(n_estimators=50, max_depth=8, random_state=0).fit(X_train, y_train),
}
{name: f"accuracy {model.score(X_test, y_test):.3f}" for name, model in models.items()}

# %%
# Convert, and check each ONNX model against scikit-learn with
# :func:`helpers.assert_agrees` (labels equal, probabilities within float32
# rounding: ``atol=1e-5``, ``rtol=1e-4``).
import helpers

onnx_models = {name: helpers.convert(model, X_train[:1]) for name, model in models.items()}
reports = {
    name: helpers.assert_agrees(model, helpers.OnnxPredictor(onnx_models[name]), X_test)
    for name, model in models.items()
}
reports["forest"]

# %%
# Why fixed rules for threads fail
# --------------------------------
# Two rules are common: "one thread per core" (onnxruntime's default) and
# "one thread, and run requests side by side". Whether either holds depends
# on the case. We time both on both models at one row and at 10,000 rows (the
# 3,000 test rows, repeated), interleaved in one run with
# :func:`helpers.benchmark`; the rows are converted to float32 before timing.
#
# A third candidate is a control: a second session with the very same
# setting as the first. Any gap between the two is noise (other work on the
# machine, where memory landed), so it tells how large a gap must be before
# it means something.
import os

import pandas as pd

cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
X_test32 = X_test.astype(np.float32)
ALL_CORES = f"{cores} threads"
rows = []
for name, onnx_model in onnx_models.items():
    result = helpers.benchmark(
        {
            "1 thread": helpers.OnnxPredictor(onnx_model, preset="latency").predict_proba,
            "1 thread, again": helpers.OnnxPredictor(onnx_model, preset="latency").predict_proba,
            ALL_CORES: helpers.OnnxPredictor(
                onnx_model, preset="latency", intra_op_num_threads=cores
            ).predict_proba,
        },
        X_test32,
        batch_sizes=(1, 10_000),
        repeat=25,
        min_time=0.001,
        budget=1.2,
    )
    for batch_size in result.batch_sizes:
        rows.append(
            {
                "model": name,
                "rows per call": batch_size,
                "1 thread (µs)": result.median("1 thread", batch_size) * 1e6,
                f"{ALL_CORES} (µs)": result.median(ALL_CORES, batch_size) * 1e6,
                f"{ALL_CORES}, speed-up": result.speedup(ALL_CORES, batch_size),
                "same setting twice": result.speedup("1 thread, again", batch_size),
            }
        )
threads = pd.DataFrame(rows)
threads.style.format(
    {
        "1 thread (µs)": "{:,.1f}",
        f"{ALL_CORES} (µs)": "{:,.1f}",
        f"{ALL_CORES}, speed-up": "{:.2f}x",
        "same setting twice": "{:.2f}x",
    }
).hide(axis="index")


# %%
# Above 1, all cores beat one thread. A gap counts only when it is 10% wider
# than the control's, in this run:
def rows_label(rows):
    return f"{rows:,} row" + "s" * (rows > 1)


def verdict(ratio, control):
    noise = max(control, 1 / control) * 1.1
    return "help" if ratio > noise else ("hurt" if ratio < 1 / noise else "within the noise")


threads["more threads"] = [
    verdict(ratio, control)
    for ratio, control in zip(threads[f"{ALL_CORES}, speed-up"], threads["same setting twice"], strict=True)
]
for _, row in threads.iterrows():
    print(
        f"{row.model:>8}, {rows_label(row['rows per call']):>11}: {row[f'{ALL_CORES}, speed-up']:.2f}x "
        f"(control {row['same setting twice']:.2f}x): more threads {row['more threads']}"
    )

# %%
# The figure puts the four cases side by side, each next to its control; the
# title counts the verdicts of this run.
import matplotlib.pyplot as plt

positions = np.arange(len(threads))
fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
# sphinx_gallery_thumbnail_number = 1
ax.bar(positions - 0.2, threads[f"{ALL_CORES}, speed-up"], width=0.4, label=f"{ALL_CORES} against 1")
control_label = "control: 1 thread, twice"
ax.bar(positions + 0.2, threads["same setting twice"], width=0.4, label=control_label, color="grey")
ax.axhline(1, color="black", linestyle="--", linewidth=1)
ax.set_xticks(positions, (threads.model + "\n" + threads["rows per call"].map(rows_label)).tolist())
ax.set_ylabel("speed-up (x, ratio of medians)")
fig.legend(loc="outside lower center", ncols=2)
counts = threads["more threads"].value_counts()
fig.suptitle(
    f"{ALL_CORES} against 1: they help in {counts.get('help', 0)} of {len(threads)} cases, "
    f"hurt in {counts.get('hurt', 0)},\nand are within the noise in {counts.get('within the noise', 0)}"
)
plt.show()

# %%
# What to expect, and why. At one row there is too little work to share:
# waking a second thread costs about as much as it could save. At 10,000
# rows, a forest's rows are independent and can be split across threads,
# which pays off when cores are free (the comment on
# :data:`helpers.PRESETS` records such a measurement); a linear
# model's one matrix product is short, so splitting it may cost more than it
# saves. On a machine busy with other work, extra threads wait for cores, and
# the control strays from 1. So each rule fails somewhere, and which one
# fails depends on the model, the batch size *and* the machine (its cores,
# and who else uses them): measure rather than assume.
#
# The settings, by hand
# ---------------------
# Every setting tried below is a ``SessionOptions`` attribute or config
# entry, each explained and measured on its own in
# :ref:`running_session_options`. Written out without ``helpers``:
import onnxruntime

options = onnxruntime.SessionOptions()
options.intra_op_num_threads = 1  # threads that split one operator's work; 0: one per core
options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL  # or ORT_PARALLEL: branches at once
options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # idle threads sleep
forest_session = onnxruntime.InferenceSession(
    onnx_models["forest"].SerializeToString(), options, providers=["CPUExecutionProvider"]
)
forest_session.get_session_options().intra_op_num_threads

# %%
# :func:`helpers.session_options` hides these lines (``allow_spinning=False``
# sets the config entry), and :class:`helpers.Setting` is one combination of
# them.
#
# Let the machine choose: :func:`helpers.tune`
# --------------------------------------------
# ``tune`` changes one knob at a time, keeping the best so far: threads
# (1 up to the cores), then spinning (only with more than one thread), then
# sequential against parallel execution, then the optimisation level. Each
# round interleaves its candidates, and a candidate must be more than 5%
# faster to win, so that noise does not buy an extra thread. A last round
# times the winner against both presets in one run, and has the last word
# (a preset faster by more than the margin is chosen). Only ``session.run``
# is timed, on a batch prepared beforehand. A budget bounds the whole search.
#
# Two knobs deserve a word. Parallel execution runs independent branches of
# a graph at the same time; a converted classifier is mostly one chain of
# operators, so expect it to lose. Spinning keeps idle pool threads
# busy-waiting for the next call: it can win a benchmark while slowing down
# everything else on the machine (the comment on
# :data:`helpers.PRESETS` gives a measurement), which is one more
# reason a winner must clear the margin.
tunings = {
    (name, batch_size): helpers.tune(onnx_model, X_test, batch_size=batch_size, budget=0.8)
    for name, onnx_model in onnx_models.items()
    for batch_size in (1, 10_000)
}
tunings["forest", 10_000]

# %%
# The chosen setting for each case, and its speed-up over each preset,
# measured in the same final round:
summary = pd.DataFrame(
    [
        {
            "model": name,
            "rows per call": batch_size,
            "best setting": tuning.best.label,
            "vs latency preset": tuning.speedup("latency"),
            "vs throughput preset": tuning.speedup("throughput"),
            "seconds": tuning.seconds,
        }
        for (name, batch_size), tuning in tunings.items()
    ]
)
summary.style.format(
    {"vs latency preset": "{:.2f}x", "vs throughput preset": "{:.2f}x", "seconds": "{:.1f}"}
).hide(axis="index")

# %%
# Each chosen setting is one that was tried, and a session built with it
# predicts what scikit-learn predicts. ``OnnxPredictor.tuned(onnx_model, X,
# batch_size=...)`` does the tuning and this construction in one call.
for (name, _), tuning in tunings.items():
    columns = ["threads", "mode", "optimization", "spinning"]
    tried = {helpers.Setting(*row) for row in tuning.to_frame()[columns].itertuples(index=False)}
    assert tuning.best in tried
    tuned = helpers.OnnxPredictor(onnx_models[name], preset=None, **tuning.options)
    helpers.assert_agrees(models[name], tuned, X_test)
print("every tuned session agrees with scikit-learn")

# %%
# Read the speed-ups with their spread in mind: a tuned setting that equals a
# preset shows 1.00x against it, and gains of a few percent are within the
# noise of a shared machine. Tune on the machine that serves, with the batch
# size it serves, and tune again when either changes.
#
# The cost of the call itself
# ---------------------------
# At one row, a logistic regression has almost nothing to compute, so the
# work around the computation (Python, the bindings, the checks) is a large
# share of each call. Three ways to call the same one-thread session:
#
# * ``session.run(None, feed)``, as most tutorials write it: it fetches every
#   output and re-checks, in Python, the feed against the model;
# * :class:`helpers.OnnxPredictor`: its own input checks (shape, type, NaN)
#   take a fast path for a float32 C-contiguous array, then it calls the
#   compiled session that ``session.run`` wraps, fetching only the output
#   asked for, with a ``RunOptions`` made once;
# * the same with ``reuse_buffers=True``: input and output buffers bound
#   once (``session.io_binding()``), the row copied in, the output buffer
#   returned.
session = onnxruntime.InferenceSession(
    onnx_models["logistic"].SerializeToString(),
    helpers.session_options("latency"),
    providers=["CPUExecutionProvider"],
)
predictor = helpers.OnnxPredictor(onnx_models["logistic"], preset="latency")
fast_predictor = helpers.OnnxPredictor(onnx_models["logistic"], preset="latency", reuse_buffers=True)
row = X_test32[:1]
calls = {
    "session.run(None, feed)": lambda batch: session.run(None, {"X": batch}),
    "OnnxPredictor": predictor.predict_proba,
    "OnnxPredictor, reuse_buffers": fast_predictor.predict_proba,
}
bare_labels, bare_proba = calls["session.run(None, feed)"](row)
for name in ["OnnxPredictor", "OnnxPredictor, reuse_buffers"]:  # the same probabilities, bit for bit
    np.testing.assert_array_equal(calls[name](row), bare_proba, err_msg=name)
overhead = helpers.benchmark(calls, row, batch_sizes=(1,), repeat=101, budget=1.5, min_time=0.001)
overhead

# %%
# Many short interleaved timings make the median robust to bursts of other
# work on the machine. The figure's title is formatted from this run.
names = list(calls)
medians = [overhead.median(name, 1) * 1e6 for name in names]
fig, ax = plt.subplots(figsize=(8, 3), layout="constrained")
ax.barh(names, medians, color=["tab:grey", "tab:blue", "tab:green"])
ax.invert_yaxis()
ax.set_xlabel("median time per one-row call (µs)")
fig.suptitle(
    f"One row: OnnxPredictor {overhead.speedup('OnnxPredictor', 1):.2f}x as fast as bare session.run,\n"
    f"{overhead.speedup('OnnxPredictor, reuse_buffers', 1):.2f}x with reuse_buffers"
)
plt.show()

# %%
# A wide-margin check only (timings on a shared machine are noisy): the
# predictor's checks must not make it much slower than the bare call.
assert overhead.speedup("OnnxPredictor", 1) > 0.5
for name in names[1:]:
    print(f"{name}: {overhead.speedup(name, 1):.2f}x the speed of bare session.run(None, feed)")

# %%
# What ``reuse_buffers`` costs you
# --------------------------------
# The returned array *is* the output buffer: the next call with the same
# number of rows, on the same thread, overwrites it. Copy what you keep.
# Threads never share buffers, and it stays off unless you ask for it.
first = fast_predictor.predict_proba(X_test32[:1])
kept = first.copy()
second = fast_predictor.predict_proba(X_test32[1:2])
assert second is first and not np.array_equal(first, kept)
np.testing.assert_allclose(kept, models["logistic"].predict_proba(X_test[:1]), atol=1e-5)
pd.DataFrame({"kept copy": kept[0], "first, after the second call": first[0]})
