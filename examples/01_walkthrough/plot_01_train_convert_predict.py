"""
.. _train_convert_predict:

Train, convert, predict
=======================

Train two scikit-learn classifiers, convert them to ONNX with skl2onnx, run
them with ONNX Runtime, check that the ONNX models give the same answers, and
measure when ONNX Runtime is faster: one request at a time, large batches,
and forests of growing size. Only ``skl2onnx`` and ``onnxruntime`` are used,
so you can copy any cell into your own code.

You will learn what the input types and the opset of a converted model are,
why classifiers return a list of dicts by default (ZipMap) and how to get a
plain array instead, and how to time predictions fairly: interleaved rounds,
a speed-up with its confidence interval, and a verdict only beyond the noise.
"""

# %%
# Train two models
# ----------------
# Iris is small and ships with scikit-learn, so nothing is downloaded. The
# split is seeded, so every run trains the same models.
import numpy as np
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

X, y = load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X,
    y,
    test_size=0.3,
    stratify=y,
    random_state=0,
)

logistic_model = LogisticRegression(max_iter=1000).fit(X_train, y_train)
forest_model = RandomForestClassifier(n_estimators=100, random_state=0)
forest_model.fit(X_train, y_train)
print(f"test accuracy: logistic {logistic_model.score(X_test, y_test):.3f}")
print(f"test accuracy: forest   {forest_model.score(X_test, y_test):.3f}")

# %%
# Convert to ONNX
# ---------------
# :func:`skl2onnx.to_onnx` needs to know what the model's input looks like.
# Give it one row of data: it reads the element type (float32 here) and the
# number of columns (4), and leaves the number of rows free, so the ONNX model
# accepts any batch size.
#
# Why float32? The ONNX-ML operators that implement trees and linear
# classifiers compute in single precision, and so does most of ONNX Runtime's
# fast code. Converting with the float64 training data would ask for double
# inputs, which some converters support and others do not (the float versus
# double lesson goes into it). We convert with float32 and will check the
# price in precision below.
#
# The option ``zipmap=False`` is explained in a moment; first we keep the
# default to see what it does.
from skl2onnx import to_onnx

X_train32 = X_train.astype(np.float32)
X_test32 = X_test.astype(np.float32)

no_zipmap = {"zipmap": False}
logistic_onnx_zipmap = to_onnx(logistic_model, X_train32[:1])
logistic_onnx = to_onnx(logistic_model, X_train32[:1], options=no_zipmap)
forest_onnx = to_onnx(forest_model, X_train32[:1], options=no_zipmap)

# %%
# An ONNX model declares the operator sets (opsets) it uses: a version of the
# standard ``ai.onnx`` domain (shown as ``""``) and of ``ai.onnx.ml``, where the
# classical machine-learning operators live. The version stamped on a domain
# tells a runtime how to read every operator of that domain, and a runtime
# that does not know that version refuses the model. Left to itself, skl2onnx
# stamps versions no newer than the newest it was tested with; to deploy to an
# older ONNX Runtime, ask for older ones with ``to_onnx(..., target_opset=...)``
# (:ref:`opsets_versions` shows what the stamp means in detail).
{opset.domain or "ai.onnx": opset.version for opset in logistic_onnx.opset_import}

# %%
# Save, then load an inference session
# ------------------------------------
# In production the model travels as a file. We write it into a temporary
# directory, never the current one, and load it with
# :class:`onnxruntime.InferenceSession`. The ``providers`` argument says which
# *execution provider* runs the model; we name the CPU one.
import tempfile
from pathlib import Path

import onnxruntime

workdir = Path(tempfile.mkdtemp(prefix="train-convert-predict-"))
model_path = workdir / "logistic.onnx"
model_path.write_bytes(logistic_onnx.SerializeToString())

cpu = ["CPUExecutionProvider"]
logistic_session = onnxruntime.InferenceSession(model_path, providers=cpu)
forest_bytes = forest_onnx.SerializeToString()  # a model can also come as bytes
forest_session = onnxruntime.InferenceSession(forest_bytes, providers=cpu)
print(f"{model_path.name}: {model_path.stat().st_size:,} bytes")
print(f"session providers: {logistic_session.get_providers()}")
print(f"available providers: {onnxruntime.get_available_providers()}")

# %%
# :func:`onnxruntime.get_available_providers` lists the providers this build
# of onnxruntime was compiled with, in its order of preference. It says
# nothing about your hardware or about this model. The pip package usually
# lists ``AzureExecutionProvider`` before the CPU: a provider for operators
# that call a model hosted on Azure, not a device that runs ours. Passing the
# whole list would make the session depend on whatever the installed package
# happens to include (a GPU build puts ``CUDAExecutionProvider`` first, and
# the timings below would then be about another device). Name the provider
# you mean.
#
# Inputs and outputs
# ------------------
# Ask the session, rather than guess, what it takes and returns. ``None`` (or a
# name) in a shape is a dimension left free: here, the number of rows.
for item in logistic_session.get_inputs():
    print(f"input  {item.name!r}: {item.type} {item.shape}")
for item in logistic_session.get_outputs():
    print(f"output {item.name!r}: {item.type} {item.shape}")

input_name = logistic_session.get_inputs()[0].name

# %%
# The ZipMap default: where are my probabilities?
# -----------------------------------------------
# Without options, skl2onnx ends a classifier with a *ZipMap* operator. It
# turns the probability matrix into one dictionary per row, ``{class label:
# probability}``, which is what the second output then holds: a Python list
# of dicts, not an array.
zipmap_bytes = logistic_onnx_zipmap.SerializeToString()
zipmap_session = onnxruntime.InferenceSession(zipmap_bytes, providers=cpu)
print([output.type for output in zipmap_session.get_outputs()])
zipmap_labels, zipmap_proba = zipmap_session.run(None, {input_name: X_test32[:2]})
zipmap_proba

# %%
# That list has to be built element by element, which is slow for large
# batches (:ref:`output_options` measures it), and it must be turned back
# into an array for almost any use. With ``options={"zipmap": False}``, as for
# ``logistic_onnx`` and ``forest_onnx`` above, the output is a plain
# ``(n_rows, n_classes)`` float tensor, columns in the order of
# ``model.classes_``, exactly like ``predict_proba``. The two outputs hold the
# same numbers:
assert list(zipmap_proba[0]) == list(logistic_model.classes_)
np.testing.assert_allclose(
    [[row[label] for label in logistic_model.classes_] for row in zipmap_proba],
    logistic_session.run(["probabilities"], {input_name: X_test32[:2]})[0],
)

# %%
# Predict, fetching outputs by name
# ---------------------------------
# ``session.run(output_names, feed)`` returns the outputs you name, in that
# order. Naming them (rather than taking ``run(None, ...)[1]``) keeps the
# code right if a model has its outputs in another order, and computes only
# what you ask for.
feed = {input_name: X_test32}
onnx_labels, onnx_proba = logistic_session.run(["label", "probabilities"], feed)
onnx_labels[:5], onnx_proba[:2]

# %%
# Check agreement with scikit-learn
# ---------------------------------
# The ONNX model must give the same labels, and the same probabilities up to
# float32 rounding. float32 keeps about seven significant digits, so for
# probabilities between 0 and 1 an absolute tolerance of ``1e-5`` leaves room
# for rounding and nothing else. The forest is checked the same way: its
# probabilities are the mean of 100 trees' votes, and a vote can only change
# if a feature value falls between a threshold and its float32 rounding.
ATOL = 1e-5
for name, model, session in [
    ("logistic", logistic_model, logistic_session),
    ("forest", forest_model, forest_session),
]:
    labels, proba = session.run(["label", "probabilities"], {input_name: X_test32})
    sklearn_proba = model.predict_proba(X_test)
    np.testing.assert_array_equal(labels, model.predict(X_test))
    np.testing.assert_allclose(proba, sklearn_proba, atol=ATOL, rtol=0)
    largest = np.abs(proba - sklearn_proba).max()
    agree = f"{name}: {len(labels)} labels agree"
    print(f"{agree}, largest probability difference {largest:.1e} <= {ATOL:g}")

# %%
# Time it fairly
# --------------
# A fair timing compares the two libraries on the same machine, in the same
# run, and keeps everything else out of the timed call:
#
# * the inputs are prepared first: the float32 copy for ONNX Runtime is made
#   once, outside the timing, and scikit-learn gets the float64 array it was
#   trained on, as in your code;
# * each timing loops over enough calls to last at least 10 ms, because one
#   call of a few microseconds is below what a clock measures well
#   (:func:`timeit.timeit` also turns the garbage collector off meanwhile);
# * the candidates take turns: a *round* times each once, in a shuffled
#   order, and we run 21 rounds. A busy moment of the machine then slows both
#   candidates of a round alike, and their *paired ratio*, scikit-learn's time
#   over ONNX Runtime's in the same round, cancels most of it.
#
# Both sides get the same threads. A single request runs on one thread:
# scikit-learn's forest does by default (``n_jobs=None``), and ONNX Runtime
# does with ``intra_op_num_threads = 1``. A batch may use every core:
# ``n_jobs=-1`` for the forest (a copy of the trained one), onnxruntime's
# default pool of one thread per core for the session.
#
# One more setting matters when libraries take turns on the same cores. After
# a run, onnxruntime's pool threads keep *spinning* for a while, busy-waiting
# for the next run, and the cores they hold are taken from whatever runs next:
# here, scikit-learn. ``session.intra_op.allow_spinning = "0"`` makes them sleep
# instead. Every session we time is created that way.
import copy
import timeit


def timing_session(onnx_model, threads):
    """A CPU session, ``threads`` intra-op threads (0: one per core), no spinning."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    model_bytes = onnx_model.SerializeToString()
    return onnxruntime.InferenceSession(model_bytes, options, providers=cpu)


def paired_timings(candidates, rounds=21, min_seconds=0.01, seed=0):
    """Seconds per call, shape (rounds, candidates): every round times each once."""
    functions = list(candidates.values())
    loops = []
    for function in functions:
        function()  # warm-up: a first call allocates and fills caches
        once = timeit.timeit(function, number=1)
        loops.append(max(1, int(min_seconds / once)))
    order = np.random.default_rng(seed)
    times = np.empty((rounds, len(functions)))
    for round_index in range(rounds):
        for index in order.permutation(len(functions)):
            total = timeit.timeit(functions[index], number=loops[index])
            times[round_index, index] = total / loops[index]
    return times


# %%
# From paired ratios to a speed-up with its interval
# --------------------------------------------------
# The speed-up is the median of the 21 paired ratios; above 1, ONNX Runtime
# was faster. How far can the true median be from it? Each ratio lands below
# the true median with probability one half, so the number that do follows a
# binomial law, ``Binomial(n, 1/2)``. The ``k``-th smallest and the ``k``-th
# largest ratio then bracket the true median unless ``k - 1`` or fewer ratios
# fall on one side of it, which happens with probability
# ``2 * P(B <= k - 1)``. Taking the largest ``k`` that keeps this at most 5%
# gives a 95% confidence interval, whatever the shape of the timings'
# distribution (they are skewed: a machine is only ever slowed down); it needs
# at least 6 rounds. For 21 rounds, ``k`` is 6.
#
# The verdict follows from the interval, not from the median: "faster" only
# when the whole interval lies above 1.05 (a 5% margin), "slower" only when it
# lies below 1 / 1.05, otherwise "no clear difference".
from scipy.stats import binom

MARGIN = 0.05


def speedup_interval(baseline_times, candidate_times, confidence=0.95):
    """Median of the paired ratios baseline / candidate, and its interval."""
    ratios = np.sort(np.asarray(baseline_times) / np.asarray(candidate_times))
    n = len(ratios)
    k = int(binom.ppf((1 - confidence) / 2, n, 0.5))  # P(B <= k - 1) <= 2.5%
    return float(np.median(ratios)), float(ratios[k - 1]), float(ratios[n - k])


def verdict(low, high):
    if low > 1 + MARGIN:
        return "faster"
    if high < 1 / (1 + MARGIN):
        return "slower"
    return "no clear difference"


def summary(times):
    """A table row from paired timings: medians, speed-up, its interval, verdict."""
    speedup, low, high = speedup_interval(times[:, 0], times[:, 1])
    return {
        "scikit-learn (µs)": np.median(times[:, 0]) * 1e6,
        "onnxruntime (µs)": np.median(times[:, 1]) * 1e6,
        "speed-up": speedup,
        "low": low,
        "high": high,
        "verdict": verdict(low, high),
    }


# %%
# The helpers package, used from the next lesson on, computes the same
# interval (``helpers.timing.ratio_interval``, which takes the
# :func:`helpers.timing.median_interval` of the ratios); a quick check on
# made-up timings that both agree:
from helpers.timing import ratio_interval

made_up = np.random.default_rng(1).lognormal(size=(2, 21))
assert np.allclose(speedup_interval(*made_up), ratio_interval(*made_up))
k = int(binom.ppf(0.025, 21, 0.5))
print(f"21 rounds: the interval runs from ratio {k} to ratio {21 - k + 1} in order")

# %%
# Where the timings were measured
# -------------------------------
# The figures below describe this machine and these versions, measured while
# this page was built. :func:`helpers.machine_summary` says which: the CPU
# model, the CPUs this process may use (a container or ``taskset`` can leave
# it fewer than the machine has) and the versions that matter. Apart from the
# check above, it is the only helper this lesson uses.
import helpers

helpers.machine_summary()

# %%
# One request and a batch
# -----------------------
# The two cases that matter are a *single request*, one row, as a web service
# sees it, and a *batch*: iris has only 45 test rows, so we repeat them to make
# 10,000.
import pandas as pd

one_row, one_row32 = X_test[:1], X_test32[:1]
batch = np.resize(X_test, (10_000, X_test.shape[1]))
batch32 = batch.astype(np.float32)
forest_all_cores = copy.deepcopy(forest_model).set_params(n_jobs=-1)

cases = [
    # model, case, scikit-learn model, onnxruntime threads, rows (float64, float32)
    ("logistic", "1 row", logistic_model, logistic_onnx, 1, one_row, one_row32),
    ("logistic", "10,000 rows", logistic_model, logistic_onnx, 0, batch, batch32),
    ("forest", "1 row", forest_model, forest_onnx, 1, one_row, one_row32),
    ("forest", "10,000 rows", forest_all_cores, forest_onnx, 0, batch, batch32),
]
rows = []
for name, case, model, onnx_model, threads, data, data32 in cases:
    session = timing_session(onnx_model, threads)
    times = paired_timings(
        {
            "scikit-learn": lambda model=model, data=data: model.predict_proba(data),
            "onnxruntime": lambda session=session, data32=data32: session.run(
                ["probabilities"], {input_name: data32}
            ),
        }
    )
    rows.append({"model": name, "case": case, **summary(times)})
speed = pd.DataFrame(rows)


def ratio_format(value):
    """``0.87x``, ``4.2x``, ``1,988x``: the digits that matter."""
    if value < 1:
        return f"{value:.2f}x"
    return f"{value:,.1f}x" if value < 10 else f"{value:,.0f}x"


speed_formats = {
    "scikit-learn (µs)": "{:,.1f}",
    "onnxruntime (µs)": "{:,.1f}",
    "speed-up": ratio_format,
    "low": ratio_format,
    "high": ratio_format,
}
caption = "ONNX Runtime's speed-up: median of 21 paired ratios, 95% interval"
speed.style.format(speed_formats).hide(axis="index").set_caption(caption)

# %%
# Reading the table
# -----------------
# For one row, scikit-learn spends its time around the arithmetic rather than
# in it: validating the input, and, for the forest, a Python loop over the
# 100 trees (with ``n_jobs=None``, joblib calls each tree's ``predict_proba``
# in turn, on one thread). ONNX Runtime runs the whole model in one compiled
# call. For a batch, both spend their time in compiled loops, and the ratio
# is the one to read before switching for batch scoring alone. The sentences
# below are formatted from the table's ``verdict`` column:
summary_lines = [
    f"{row['model']}, {row['case']}: ONNX Runtime {ratio_format(row['speed-up'])} "
    f"(95% interval {ratio_format(row['low'])}-{ratio_format(row['high'])}): "
    f"{row['verdict']}"
    for _, row in speed.iterrows()
]
print("\n".join(summary_lines))

# %%
# The single requests are where the gap is wide, and it is asserted here for
# both models: the whole interval lies above 1.
one_request = speed[speed["case"] == "1 row"]
assert (one_request["verdict"] == "faster").all(), one_request

# %%
# More trees, a wider gap
# -----------------------
# A forest's single-request cost in scikit-learn grows with the number of
# trees, one Python-level call per tree; ONNX Runtime's cost per tree is far
# smaller, and its base cost too. We train forests of growing size and time
# one request on each, with the same one-thread settings as the table. The
# 100-tree forest is the table's own model, so that point can be compared
# with the table's row.
import matplotlib.pyplot as plt

tree_counts = [1, 10, 30, 100, 300]
sweep_rows = []
for n_trees in tree_counts:
    if n_trees == 100:
        model, onnx_model = forest_model, forest_onnx
    else:
        model = RandomForestClassifier(n_estimators=n_trees, random_state=0)
        model.fit(X_train, y_train)
        onnx_model = to_onnx(model, X_train32[:1], options=no_zipmap)
    session = timing_session(onnx_model, threads=1)
    onnx_proba = session.run(["probabilities"], {input_name: X_test32})[0]
    np.testing.assert_allclose(onnx_proba, model.predict_proba(X_test), atol=ATOL)
    times = paired_timings(
        {
            "scikit-learn": lambda model=model: model.predict_proba(one_row),
            "onnxruntime": lambda session=session: session.run(
                ["probabilities"],
                {input_name: one_row32},
            ),
        },
        rounds=15,
    )
    sweep_rows.append({"trees": n_trees, **summary(times)})
sweep = pd.DataFrame(sweep_rows).set_index("trees")
first, last = sweep.loc[tree_counts[0]], sweep.loc[tree_counts[-1]]

fig, (latency_ax, speedup_ax) = plt.subplots(
    1,
    2,
    figsize=(10, 4),
    layout="constrained",
)
for column in ["scikit-learn (µs)", "onnxruntime (µs)"]:
    latency_ax.plot(sweep.index, sweep[column], marker="o", label=column.split(" ")[0])
latency_ax.set(
    xscale="log",
    yscale="log",
    xlabel="trees in the forest",
    ylabel="time per request (µs, median)",
    title="Latency, one row",
)
latency_ax.legend()
speedup_ax.plot(sweep.index, sweep["speed-up"], marker="o", color="tab:green")
speedup_ax.fill_between(
    sweep.index,
    sweep["low"],
    sweep["high"],
    color="tab:green",
    alpha=0.2,
    label="95% interval",
)
speedup_ax.axhline(1, color="grey", linestyle="--", linewidth=1)
speedup_ax.set(
    xscale="log",
    yscale="log",
    xlabel="trees in the forest",
    ylabel="speed-up of onnxruntime (x)",
    title="Speed-up, one row",
)
speedup_ax.legend()
fig.suptitle(
    f"One request: ONNX Runtime {ratio_format(first['speed-up'])} faster with "
    f"{tree_counts[0]} tree, "
    f"{ratio_format(last['speed-up'])} with {tree_counts[-1]} trees"
)
plt.show()

# %%
# The facts this figure shows, checked on this run: ONNX Runtime is faster at
# every size, and the gap at the largest forest is wider than at the smallest
# (their intervals do not overlap).
assert (sweep["verdict"] == "faster").all(), sweep
assert last["low"] > first["high"], sweep
sweep.reset_index().style.format(speed_formats).hide(axis="index")

# %%
# Each extra tree costs scikit-learn, at one row, about the slope between the
# smallest and the largest forest; the same slope for ONNX Runtime shows how
# much cheaper a tree is there. And the 100-tree point repeats the table's
# forest row in a separate set of rounds: the two medians say how far a
# re-measurement moves on this machine.
trees_added = tree_counts[-1] - tree_counts[0]
per_tree = {
    library: (last[f"{library} (µs)"] - first[f"{library} (µs)"]) / trees_added
    for library in ["scikit-learn", "onnxruntime"]
}
table_forest = speed.set_index(["model", "case"]).loc[("forest", "1 row")]
print(
    f"per extra tree, one row: scikit-learn {per_tree['scikit-learn']:,.2f} µs, "
    f"ONNX Runtime {per_tree['onnxruntime']:,.3f} µs"
)
print(
    f"100-tree forest, one row: table {table_forest['onnxruntime (µs)']:,.1f} µs "
    f"and sweep {sweep.loc[100, 'onnxruntime (µs)']:,.1f} µs for ONNX Runtime; "
    f"table {table_forest['scikit-learn (µs)']:,.0f} µs and "
    f"sweep {sweep.loc[100, 'scikit-learn (µs)']:,.0f} µs for scikit-learn"
)

# %%
# When ONNX Runtime is not the faster choice
# ------------------------------------------
# The measurements above say where the gain is. Read them for your case:
#
# * the gain is widest for **single requests**, and it widens with the
#   number of trees, where scikit-learn's per-call and per-tree Python work
#   dominates;
# * for **large batches**, both libraries end up in compiled loops, and the
#   batch rows of the table, with their intervals, are the ones to read
#   before you switch for batch scoring alone;
# * a model converted with the **ZipMap default** pays for building a dict
#   per row (:ref:`output_options` measures it);
# * the session's **threads** and settings matter (the session-options
#   lesson measures them), and some models convert into graphs that are
#   slower than their scikit-learn counterpart: measure yours with the next
#   lesson's :func:`helpers.benchmark`.
#
# The next lesson, :ref:`sphx_glr_auto_examples_01_walkthrough_plot_02_with_helpers.py`,
# does all of this in a few lines with ``helpers``. Clean up the temporary
# directory:
import shutil

shutil.rmtree(workdir)
