"""
.. _train_convert_predict:

Train, convert, predict
=======================

Train a random forest with scikit-learn, convert it to ONNX with skl2onnx, run
it with ONNX Runtime, check that both give the same answers, and measure how
much faster ONNX Runtime answers one request, on the machine that runs this
page. Only scikit-learn, skl2onnx, onnxruntime, numpy, matplotlib and the
standard library are imported, so every cell runs as it is in your own
notebook. It runs in about 10 seconds on the machine that builds these
pages, most of them timing. The next lesson, :ref:`with_helpers`, does the
same in a few lines and explains the timing method in full.
"""

# %%
# Train
# -----
# To run this page yourself: ``pip install scikit-learn skl2onnx onnxruntime
# matplotlib``. Iris ships with scikit-learn, so nothing is downloaded, and the
# split and the forest are seeded, so every run trains the same model.
import numpy as np
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

X, y = load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
model = RandomForestClassifier(n_estimators=100, random_state=0)
model.fit(X_train, y_train)
print(f"test accuracy {model.score(X_test, y_test):.3f} on {len(X_test)} rows")

# %%
# Convert
# -------
# :func:`skl2onnx.to_onnx` reads the input type from one row of data: float32
# (what scikit-learn's trees read: a forest casts X to float32 before it
# walks them, and skl2onnx stores thresholds that split float32 values as
# scikit-learn's do) and 4 columns, with the number of rows left free.
# ``zipmap: False`` makes the probabilities a plain ``(rows, classes)``
# array, like ``predict_proba``, instead of one dict per row
# (:ref:`output_options` shows the default, :ref:`opsets_versions` what else
# a converted model declares).
from skl2onnx import to_onnx

onnx_model = to_onnx(
    model, X_train[:1].astype(np.float32), options={id(model): {"zipmap": False}}
)
[output.name for output in onnx_model.graph.output]

# %%
# Predict
# -------
# An :class:`onnxruntime.InferenceSession` loads the model (from bytes here, a
# file path works too) and ``session.run`` predicts. We name the CPU execution
# provider rather than rely on whatever this onnxruntime build lists first,
# and set nothing else: this is ONNX Runtime's default session.
import onnxruntime

session = onnxruntime.InferenceSession(
    onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
)
input_name = session.get_inputs()[0].name
X_test32 = X_test.astype(np.float32)
onnx_labels, onnx_proba = session.run(
    ["label", "probabilities"], {input_name: X_test32}
)
onnx_proba[:3]

# %%
# Check that ONNX Runtime agrees with scikit-learn
# ------------------------------------------------
# The labels must be the same, and the probabilities the same up to float32
# rounding: scikit-learn averages the trees' probabilities in float64, the
# ONNX model returns float32, which keeps about seven significant digits.
# For probabilities between 0 and 1, an absolute tolerance of ``1e-5`` leaves
# room for that rounding and nothing else.
sklearn_proba = model.predict_proba(X_test)
np.testing.assert_array_equal(onnx_labels, model.predict(X_test))
np.testing.assert_allclose(onnx_proba, sklearn_proba, atol=1e-5, rtol=0)
largest = np.abs(onnx_proba - sklearn_proba).max()
print(f"{len(onnx_labels)} labels agree; largest probability difference {largest:.1e}")

# %%
# How much faster is one request?
# -------------------------------
# A web service predicts one row per request. Each library gets the row as it
# would in your code: scikit-learn the float64 row it was trained on, ONNX
# Runtime a float32 copy made *before* timing, so the copy is not timed. The
# two take turns in 30 *rounds*, alternating which goes first. In a round,
# each one's call is repeated to last about 20 ms (one call is too short for
# a clock to time well), after an idle pause of 50 ms so that one's threads do
# not slow the next (the threads of a default session keep spinning for a
# while after a call). A slow moment of the machine hits both timings of a
# round alike, so we keep each round's ratio, scikit-learn's time over ONNX
# Runtime's, and report their median.
import time
import timeit

one_row = X_test[:1]
feed = {input_name: one_row.astype(np.float32)}
candidates = {
    "scikit-learn": lambda: model.predict_proba(one_row),
    "ONNX Runtime": lambda: session.run(["probabilities"], feed),
}
calls = {}  # calls per timing, so that one timing lasts about 20 ms
for name, call in candidates.items():
    call()  # warm-up: the first call allocates and fills caches
    calls[name] = max(1, round(0.02 / timeit.timeit(call, number=1)))

rounds = 30
seconds = {name: np.empty(rounds) for name in candidates}
for index in range(rounds):
    order = list(candidates) if index % 2 == 0 else list(candidates)[::-1]
    for name in order:
        time.sleep(0.05)  # the idle pause
        total = timeit.timeit(candidates[name], number=calls[name])
        seconds[name][index] = total / calls[name]
ratios = seconds["scikit-learn"] / seconds["ONNX Runtime"]

# %%
# The median ratio is the speed-up. Its 95% interval comes from the ratios
# themselves: each falls below the true median with probability 1/2, so the
# ``k``-th smallest and ``k``-th largest bracket it unless ``k - 1`` or fewer
# fall on one side, a binomial probability we keep under 2.5% per side. The
# verdict reads the interval, never the median alone: "faster" only when the
# whole interval is above 1, "slower" only when it is below 1.
import math


def median_interval(values, confidence=0.95):
    """The k-th smallest and k-th largest value: a distribution-free interval."""
    ordered, n, k, tail = np.sort(values), len(values), 0, 0.0
    while tail + math.comb(n, k) / 2**n <= (1 - confidence) / 2:
        tail, k = tail + math.comb(n, k) / 2**n, k + 1
    return ordered[k - 1], ordered[n - k]  # needs n >= 6 (k >= 1)


def ratio_text(value):
    """``0.87x``, ``4.20x``, ``354x``: the digits that matter."""
    return f"{value:,.0f}x" if value >= 10 else f"{value:.2f}x"


speedup = np.median(ratios)
low, high = median_interval(ratios)
verdict = "faster" if low > 1 else "slower" if high < 1 else "no clear difference"
interval = f"95% interval {ratio_text(low)}-{ratio_text(high)}"
result = f"ONNX Runtime {ratio_text(speedup)} ({interval}), {verdict}"
print(f"One row, against scikit-learn: {result}")
medians = {name: np.median(times) * 1e6 for name, times in seconds.items()}
print(", ".join(f"{name} {us:,.1f} µs" for name, us in medians.items()), "(medians)")

# %%
# The figure shows every measurement behind that sentence: each round's two
# timings, and each round's ratio with the median and its interval.
import matplotlib.pyplot as plt

fig, (time_ax, ratio_ax) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
for name in candidates:
    time_ax.plot(seconds[name] * 1e6, marker="o", linestyle="", label=name)
time_ax.set(yscale="log", xlabel="round", ylabel="time per request (µs)")
time_ax.set_title("Each round times both")
time_ax.legend()
ratio_ax.plot(ratios, marker="o", linestyle="", color="tab:green")
ratio_ax.axhline(speedup, color="tab:green", label=f"median {ratio_text(speedup)}")
ratio_ax.axhspan(low, high, color="tab:green", alpha=0.2, label="95% interval")
ratio_ax.set(yscale="log", xlabel="round", ylabel="scikit-learn / ONNX Runtime time")
ratio_ax.set_title("Speed-up of ONNX Runtime, round by round")
ratio_ax.legend()
fig.suptitle(f"100-tree random forest, one row, against scikit-learn: {result}")
plt.show()

# %%
# Where it was measured
# ---------------------
# These figures describe this machine and these versions, measured while the
# page was built; run the page to get yours. The CPUs counted are those this
# process may use (a container or ``taskset`` may leave it fewer).
import os
import platform

import skl2onnx
import sklearn

cpu = platform.processor() or platform.machine()
try:
    with open("/proc/cpuinfo") as cpuinfo:
        model_names = [line for line in cpuinfo if line.startswith("model name")]
    cpu = model_names[0].split(":", 1)[1].strip() if model_names else cpu
except OSError:
    pass
usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
print(f"CPU: {cpu}, {usable or os.cpu_count()} CPUs usable")
print(
    f"onnxruntime {onnxruntime.__version__}, scikit-learn {sklearn.__version__}, "
    f"skl2onnx {skl2onnx.__version__}"
)

# %%
# What each library does, and what to read next
# ----------------------------------------------
# One row is little arithmetic. scikit-learn checks the input, then makes a
# Python-level call per tree (100 of them); ONNX Runtime runs the whole forest
# in one compiled call. That is the work each does, not a measure of where
# the time goes (a profiler would say). The measurement above is one model,
# one row and one machine: for large batches, other models and your
# hardware, measure again. :ref:`with_helpers` does all of this with the
# ``helpers`` package and explains the timing (why paired rounds and medians,
# how the interval and the verdict are computed, what a spinning thread pool
# does to the next candidate, and a control that times the baseline twice);
# the :doc:`/user_guide` sums it up. Later lessons compare batches
# (:ref:`model_grid`) and session settings (:ref:`running_session_options`).
