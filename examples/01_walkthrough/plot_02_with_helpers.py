"""
.. _with_helpers:

The same, with ``helpers``
==========================

Everything :ref:`train_convert_predict` did by hand, in a handful of lines,
on another dataset and model: a gradient-boosting classifier on the breast
cancer data bundled with scikit-learn. Each step names the raw skl2onnx or
onnxruntime call its helper hides, so you know what to reach for without
the package. It then explains the timing method that the walkthrough used
briefly: paired rounds, medians, the speed-up's interval, the verdict, the
idle pause and a control.

It runs in about 10 seconds on the machine that builds these pages.
"""

# %%
# Train
# -----
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X,
    y,
    test_size=0.3,
    stratify=y,
    random_state=0,
)
model = HistGradientBoostingClassifier(max_iter=100, random_state=0)
model.fit(X_train, y_train)
accuracy = model.score(X_test, y_test)
print(f"accuracy {accuracy:.3f} on {len(X_test)} test rows, {X.shape[1]} features")

# %%
# Convert: :func:`helpers.convert`
# --------------------------------
# Hides ``skl2onnx.to_onnx(model, X[:1].astype(np.float32),
# options={"zipmap": False})``: the input type comes from the sample (float32
# for floating-point data, as the walkthrough explains), and probabilities
# come as a plain array. It also records, as model metadata, where the
# scikit-learn model rejects NaN, so that the predictor can do the same.
import helpers
from helpers.benchmark import take_rows

onnx_model = helpers.convert(model, X_train[:1])
{prop.key: prop.value for prop in onnx_model.metadata_props}

# %%
# Load and predict: :class:`helpers.OnnxPredictor`
# ------------------------------------------------
# Hides ``onnxruntime.InferenceSession(..., options,
# providers=["CPUExecutionProvider"])`` and ``session.run(["probabilities"],
# {"X": X.astype(np.float32)})``. It accepts what the scikit-learn model
# accepted (here a float64 array, cast to the model's float32), checks the
# shape, and has ``predict`` and ``predict_proba``. The session itself stays
# available as ``.session``. ``preset="latency"`` (the default) makes
# ``options`` for one request at a time (:data:`helpers.PRESETS` lists each
# preset's settings): ``intra_op_num_threads=1``, ``inter_op_num_threads=1``,
# ``execution_mode=ORT_SEQUENTIAL``, and thread spinning off.
predictor = helpers.OnnxPredictor(onnx_model, preset="latency")
predictor

# %%
predictor.predict_proba(X_test[:3])

# %%
# Without the package, the same session is this; its probabilities are the
# predictor's, bit for bit. (``predict_proba`` calls the session through a
# private fast path that skips ``session.run``'s Python checks, falling back
# to ``session.run``; the section *Measure* times both.)
import onnxruntime

options = onnxruntime.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
options.add_session_config_entry("session.intra_op.allow_spinning", "0")
options.add_session_config_entry("session.inter_op.allow_spinning", "0")
session = onnxruntime.InferenceSession(
    onnx_model.SerializeToString(), options, providers=["CPUExecutionProvider"]
)
(raw_proba,) = session.run(["probabilities"], {"X": X_test[:3].astype(np.float32)})
np.testing.assert_array_equal(raw_proba, predictor.predict_proba(X_test[:3]))

# %%
# Check agreement: :func:`helpers.assert_agrees`
# ----------------------------------------------
# Hides the ``assert_array_equal`` on labels and ``assert_allclose`` on
# probabilities. The report says how many labels agree, the largest absolute
# and relative differences, and the tolerance used: absolute ``1e-5`` plus
# relative ``1e-4``, room for float32 rounding and nothing more. It raises
# ``AssertionError`` with the same report if anything is outside.
report = helpers.assert_agrees(model, predictor, X_test)
report

# %%
# Missing values are part of the contract: this model handles NaN, and the
# ONNX model must send a row with a missing value down the same branches.
X_missing = X_test.copy()
X_missing[::3, 0] = np.nan
helpers.assert_agrees(model, predictor, X_missing).ok

# %%
# Measure: :func:`helpers.benchmark`
# ----------------------------------
# Hides the paired rounds that the walkthrough wrote by hand. It prepares each
# batch before timing, warms every candidate up, times them in rounds (each
# candidate once per round, in a shuffled order), and gives each candidate's
# speed-up over the first one with its 95% interval and a verdict: "faster"
# or "slower" only when the whole interval is beyond a 5% margin. A time
# budget keeps the docs build fast; raise it for narrower intervals.
# ``control=True`` times the baseline a second time, as one more candidate
# (the section *A control* below says why).
#
# The candidates, each given what it would get in your code:
#
# * ``scikit-learn``: ``model.predict_proba`` on the float64 rows it was
#   trained on. Its gradient boosting predicts on every core through OpenMP;
#   it has no ``n_jobs`` to set.
# * ``session.run, latency``: the public ``session.run`` of the predictor's
#   session, created with the ``"latency"`` preset (one thread, for one
#   request at a time), on a float32 copy of the rows made before timing;
# * ``session.run, throughput``: the same with the ``"throughput"`` preset,
#   which keeps onnxruntime's own defaults: a pool of one thread per physical
#   core whose idle threads spin. For a tree ensemble like this one, the
#   predictor with that preset also splits the rows itself; ``row_workers=1``
#   below turns that off, so that this candidate is the session alone;
# * ``OnnxPredictor (helpers)``: ``predictor.predict_proba`` on the float64
#   rows, as above. It casts them inside the call, checks them, and calls the
#   session through a private fast path that skips ``session.run``'s Python
#   checks, so it is a candidate of its own, not "ONNX Runtime".
#
# The throughput preset's pool spins after a call, as onnxruntime's default
# does; :func:`helpers.benchmark` waits before each timing until the process
# is idle again, so that no candidate pays for the one before. It hands
# every candidate the same rows (here the float64 ones); the ``session.run``
# candidates look up the float32 copy of the same rows instead, made once
# with :func:`~helpers.benchmark.take_rows` (imported above: ``from
# helpers.benchmark import take_rows``), which is how the benchmark makes its
# batches.
X_test32 = X_test.astype(np.float32)
# row_workers=1: the session alone, without the predictor's row split
# (:ref:`cores_and_batch_size` measures it)
batch_predictor = helpers.OnnxPredictor(onnx_model, preset="throughput", row_workers=1)
batch_sizes = (1, 100, 10_000)
float32_batches = {size: take_rows(X_test32, size) for size in batch_sizes}


def session_run(session):
    """``session.run`` on the float32 copy of the batch, made before timing."""
    return lambda batch: session.run(
        ["probabilities"],
        {"X": float32_batches[len(batch)]},
    )


result = helpers.benchmark(
    {
        "scikit-learn": model.predict_proba,
        "session.run, latency": session_run(predictor.session),
        "session.run, throughput": session_run(batch_predictor.session),
        "OnnxPredictor (helpers)": predictor.predict_proba,
    },
    X_test,
    batch_sizes=batch_sizes,
    budget=6,
    control=True,
)
result

# %%
# The timings describe this machine, measured while the page was built:
helpers.machine_summary()

# %%
# The figure is the result's own :meth:`~helpers.benchmark.BenchmarkResult.plot`: the
# median time per call with the middle half of the rounds shaded, and each
# candidate's speed-up with its 95% interval shaded. Its title is formatted
# from this run.
import matplotlib.pyplot as plt


def ratio(value):
    """``0.87x``, ``4.2x``, ``1,988x``: the digits that matter."""
    if value < 1:
        return f"{value:.2f}x"
    return f"{value:,.1f}x" if value < 10 else f"{value:,.0f}x"


def said(candidate, batch_size, baseline=None):
    """A speed-up, its 95% interval and its verdict, in words."""
    speedup, low, high = result.interval(candidate, batch_size, baseline)
    outcome = result.verdict(candidate, batch_size, baseline)
    return f"{ratio(speedup)} ({ratio(low)}-{ratio(high)}), {outcome}"


fig, (latency_ax, speedup_ax) = plt.subplots(
    1,
    2,
    figsize=(11, 4.2),
    layout="constrained",
)
result.plot("latency", ax=latency_ax)
result.plot("speedup", ax=speedup_ax)
fig.suptitle(
    "HistGradientBoosting, ONNX Runtime's speed-up over scikit-learn\n"
    f"one row, latency preset: {said('session.run, latency', 1)}; "
    f"10,000 rows, throughput preset: {said('session.run, throughput', 10_000)}",
    fontsize=11,
)
plt.show()

# %%
# What this run shows
# -------------------
# One row is little arithmetic. scikit-learn checks the input, then loops in
# Python over its trees, each a separate call into compiled code; the
# session makes one call for the whole model. That is the work each does, not
# a measure of where the time goes; that the session is faster at one row is
# checked below. A large batch has more arithmetic per call, and the preset
# decides how many cores ONNX Runtime gives it. A wide interval says the
# times moved a lot from round to round, as they do on a busy machine. Every
# sentence is formatted from the benchmark's ``verdict`` column, with the
# speed-up and its interval (the control's come in its own section).
table = result.to_frame()
compared = ~table["candidate"].isin([result.baseline, "scikit-learn (control)"])
for row in table[compared].itertuples():
    rows = f"{row.batch_size:,} row" + ("s" if row.batch_size > 1 else "")
    print(f"{rows}, {row.candidate}: {said(row.candidate, row.batch_size)}")
assert result.verdict("session.run, latency", 1) == "faster"

# %%
# The predictor against the call it wraps
# ---------------------------------------
# ``OnnxPredictor (helpers)`` and ``session.run, latency`` run the same
# session. Comparing them inside the same benchmark (each round timed both)
# says what the predictor's input handling and private fast path add or save
# on this machine: :meth:`~helpers.benchmark.BenchmarkResult.interval` and
# :meth:`~helpers.benchmark.BenchmarkResult.verdict` take another baseline for that.
# Above 1, the predictor was the faster of the two.
for size in batch_sizes:
    rows = f"{size:,} row" + ("s" if size > 1 else "")
    against_run = said("OnnxPredictor (helpers)", size, "session.run, latency")
    print(f"{rows}: OnnxPredictor against session.run {against_run}")

# %%
# How the benchmark times
# -----------------------
# The walkthrough timed one pair by hand; :func:`helpers.benchmark` does the
# same for any candidates and batch sizes (the :doc:`/user_guide` sums it up):
#
# * **Paired, interleaved rounds.** A round times every candidate once, in a
#   new shuffled order, each call looped to last at least 5 ms (one call of a
#   few microseconds is below what a clock measures well), garbage collector
#   off. A slow moment of the machine slows every candidate of that round
#   alike, so the ratio of two times *from the same round* cancels most of it;
#   two medians measured at different moments would not.
# * **The median ratio.** Timings are skewed (a machine only ever slows a
#   call down), so the speed-up is the median of the rounds' ratios, not
#   their mean, which one slow round can move.
# * **An interval from order statistics.** Each ratio falls below the true
#   median with probability 1/2, so the count below it follows
#   ``Binomial(n, 1/2)``. The ``k``-th smallest and ``k``-th largest ratio
#   bracket the median unless ``k - 1`` or fewer fall on one side; the largest
#   ``k`` that keeps this under 2.5% per side gives a 95% interval, whatever
#   the shape of the timings. It needs at least 6 rounds.
# * **A verdict from the interval**, never from the median alone: "faster"
#   only when the whole interval is above ``1 + margin`` (5% by default),
#   "slower" only when it is below ``1 / (1 + margin)``. The walkthrough asks
#   only for the interval to be beyond 1.
#
# :func:`helpers.timing.ratio_interval` computes the interval from two
# candidates' times, and the result keeps every round, so it can be redone:
from helpers.timing import ratio_interval

sklearn_times = result.timings["scikit-learn", 1]
run_times = result.timings["session.run, latency", 1]
speedup, low, high = ratio_interval(sklearn_times, run_times)
assert (speedup, low, high) == result.interval("session.run, latency", 1)
ratios = np.sort(np.asarray(sklearn_times) / np.asarray(run_times))
n, k = len(ratios), int(np.searchsorted(ratios, low)) + 1
print(f"{n} rounds at one row: the 95% interval runs from ratio {k} to {n - k + 1}")

# %%
# Threads that keep spinning
# --------------------------
# After a run, onnxruntime's thread pool keeps its threads *spinning* for a
# while by default, busy-waiting for the next run on cores that the next
# candidate needs. The walkthrough times a default session, so it pauses
# 50 ms before each timing for them to stop. :func:`helpers.benchmark`
# waits as long as it takes: before each timing it sleeps until the process
# has used no CPU for a moment (:func:`helpers.timing.settle`, at most half a
# second). The latency preset has one thread and no pool to spin; the
# throughput preset keeps onnxruntime's spinning. Each session says what it
# was given (``"0"``: off; no entry: onnxruntime's default, on):
SPINNING = "session.intra_op.allow_spinning"
for session_name, session in (
    ("latency", predictor.session),
    ("throughput", batch_predictor.session),
):
    options = session.get_session_options()
    try:
        spinning = repr(options.get_session_config_entry(SPINNING))
    except RuntimeError:  # no such entry: the default
        spinning = "not set (on)"
    threads = options.intra_op_num_threads
    print(f"{session_name}: intra_op_num_threads={threads}, spinning {spinning}")

# %%
# A control
# ---------
# An interval accounts for rounds that differ at random. It does not see a
# candidate that is slowed by its place in the rounds (threads left spinning
# by the one before, a machine that drifts while the rounds run): that would
# be read as a difference between the candidates. ``control=True`` times the
# baseline twice, the second time as ``"scikit-learn (control)"``. The two
# run the same code, so a verdict other than "no clear difference" for the
# control shows such an effect, and a close verdict of the same run should
# not be trusted. The verdict gives the control the margin's benefit of the
# doubt, so each line below also warns when its interval leaves out 1, or
# its median is beyond the margin: a drift the verdict alone would let pass.
margin = result.margin
for size in batch_sizes:
    rows = f"{size:,} row" + ("s" if size > 1 else "")
    speedup, low, high = result.interval("scikit-learn (control)", size)
    if not low <= 1 <= high:
        note = "WARNING: its interval leaves out 1, the rounds drifted"
    elif not 1 / (1 + margin) <= speedup <= 1 + margin:
        note = f"WARNING: its median is beyond the {margin:.0%} margin, a likely drift"
    else:
        note = "no sign of drift"
    print(f"{rows}: control {said('scikit-learn (control)', size)}; {note}")

# %%
# Which helper hides which call
# -----------------------------
#
# ==============================  ==================================================
# helper                          raw call
# ==============================  ==================================================
# :func:`helpers.convert`         ``skl2onnx.to_onnx(model, X[:1].astype(np.float32),
#                                 options={"zipmap": False})``
# :class:`helpers.OnnxPredictor`  ``onnxruntime.InferenceSession(..., options)``,
#                                 the preset's ``options`` spelled out above,
#                                 and ``session.run(...)`` (through a private
#                                 fast path)
# :func:`helpers.assert_agrees`   ``np.testing.assert_array_equal`` and
#                                 ``assert_allclose``
# :func:`helpers.benchmark`       the walkthrough's paired rounds, speed-up
#                                 intervals and verdicts
# ==============================  ==================================================
