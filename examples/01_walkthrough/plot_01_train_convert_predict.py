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
plain array instead, and how to time predictions fairly.
The lesson runs in about 10 seconds.
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
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)

logistic_model = LogisticRegression(max_iter=1000).fit(X_train, y_train)
forest_model = RandomForestClassifier(n_estimators=100, random_state=0).fit(X_train, y_train)
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

logistic_onnx_zipmap = to_onnx(logistic_model, X_train32[:1])
logistic_onnx = to_onnx(logistic_model, X_train32[:1], options={"zipmap": False})
forest_onnx = to_onnx(forest_model, X_train32[:1], options={"zipmap": False})

# %%
# An ONNX model declares the operator sets (opsets) it uses: a version of the
# standard ``ai.onnx`` domain (shown as ``""``) and of ``ai.onnx.ml``, where the
# classical machine-learning operators live. skl2onnx picks the newest
# versions it knows; a runtime must support them to load the model. If you
# deploy to an older ONNX Runtime, pin an older opset with
# ``to_onnx(..., target_opset=...)``.
{opset.domain or "ai.onnx": opset.version for opset in logistic_onnx.opset_import}

# %%
# Save, then load an inference session
# ------------------------------------
# In production the model travels as a file. We write it into a temporary
# directory, never the current one, and load it with
# :class:`onnxruntime.InferenceSession`. The ``providers`` argument says where
# to run it; the CPU is always available, and
# :func:`onnxruntime.get_available_providers` lists what this installation
# can use.
import tempfile
from pathlib import Path

import onnxruntime

workdir = Path(tempfile.mkdtemp(prefix="train-convert-predict-"))
model_path = workdir / "logistic.onnx"
model_path.write_bytes(logistic_onnx.SerializeToString())

logistic_session = onnxruntime.InferenceSession(model_path, providers=onnxruntime.get_available_providers())
forest_session = onnxruntime.InferenceSession(
    forest_onnx.SerializeToString(), providers=onnxruntime.get_available_providers()
)
print(f"{model_path.name}: {model_path.stat().st_size:,} bytes, providers {logistic_session.get_providers()}")

# %%
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
zipmap_session = onnxruntime.InferenceSession(
    logistic_onnx_zipmap.SerializeToString(), providers=["CPUExecutionProvider"]
)
print([output.type for output in zipmap_session.get_outputs()])
zipmap_labels, zipmap_proba = zipmap_session.run(None, {input_name: X_test32[:2]})
zipmap_proba

# %%
# That list has to be built element by element, which is slow for large
# batches, and it must be turned back into an array for almost any use. With
# ``options={"zipmap": False}``, as for ``logistic_onnx`` and ``forest_onnx``
# above, the output is a plain ``(n_rows, n_classes)`` float tensor, columns in
# the order of ``model.classes_``, exactly like ``predict_proba``.
# The two outputs hold the same numbers:
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
onnx_labels, onnx_proba = logistic_session.run(["label", "probabilities"], {input_name: X_test32})
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
    np.testing.assert_array_equal(labels, model.predict(X_test))
    np.testing.assert_allclose(proba, model.predict_proba(X_test), atol=ATOL, rtol=0)
    largest = np.abs(proba - model.predict_proba(X_test)).max()
    print(f"{name}: {len(labels)} labels agree, largest probability difference {largest:.1e} <= {ATOL:g}")

# %%
# Time it fairly
# --------------
# A fair timing compares the two libraries on the same machine, in the same
# run, and keeps everything else out of the timed call:
#
# * the inputs are prepared first: the float32 copy for ONNX Runtime is made
#   once, outside the timing (scikit-learn gets the float64 array it was
#   trained on, as in your code);
# * each timing loops over enough calls to last a few milliseconds, because
#   one call of a few microseconds is below what a clock measures well;
# * the candidates take turns, repeated several times, so that a busy moment of
#   the machine slows both alike; we keep the median of the repeats and show
#   the spread.
#
# The two cases that matter are a *single request*, one row, as a web service
# sees it, and a *batch*: iris has only 45 test rows, so we repeat them to make
# 10,000.
import timeit

import pandas as pd


def time_interleaved(candidates, repeats=7, min_seconds=0.01):
    """Median and spread of seconds per call for each ``name: function``, in turns."""
    loops = {}
    for name, function in candidates.items():
        function()  # warm-up
        loops[name] = max(1, int(min_seconds / timeit.timeit(function, number=1)))
    times = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, function in candidates.items():
            times[name].append(timeit.timeit(function, number=loops[name]) / loops[name])
    return {name: (np.median(values), min(values), max(values)) for name, values in times.items()}


one_row, one_row32 = X_test[:1], X_test32[:1]
batch = np.resize(X_test, (10_000, X_test.shape[1]))
batch32 = batch.astype(np.float32)

rows = []
for name, model, session in [
    ("logistic", logistic_model, logistic_session),
    ("forest", forest_model, forest_session),
]:
    for case, data, data32 in [("1 row", one_row, one_row32), ("10,000 rows", batch, batch32)]:
        timings = time_interleaved(
            {
                "scikit-learn": lambda model=model, data=data: model.predict_proba(data),
                "onnxruntime": lambda session=session, data32=data32: session.run(
                    ["probabilities"], {input_name: data32}
                ),
            }
        )
        sklearn_s, onnx_s = timings["scikit-learn"][0], timings["onnxruntime"][0]
        onnx_low, onnx_high = timings["onnxruntime"][1] * 1e6, timings["onnxruntime"][2] * 1e6
        rows.append(
            {
                "model": name,
                "case": case,
                "scikit-learn (µs)": sklearn_s * 1e6,
                "onnxruntime (µs)": onnx_s * 1e6,
                "onnxruntime min-max (µs)": f"{onnx_low:.1f}-{onnx_high:.1f}",
                "speed-up": sklearn_s / onnx_s,
            }
        )
speed = pd.DataFrame(rows)
speed.style.format(precision=1).format({"speed-up": "{:.1f}x"}).hide(axis="index")

# %%
# The speed-up column is the ratio of the medians: above 1, ONNX Runtime is
# faster. For one row, scikit-learn spends most of its time in Python: input
# validation, and, for the forest, dispatching 100 trees to a thread pool.
# ONNX Runtime runs the whole model in one compiled call, which is why the
# single-request ratio is large. For a batch, both spend their time in
# compiled loops and the ratio shrinks; how much depends on the model.
ratios = speed.pivot(index="model", columns="case", values="speed-up")
ratios

# %%
# More trees, more speed-up
# -------------------------
# A forest's single-request cost in scikit-learn grows with the number of
# trees, and so does ONNX Runtime's, but from a much lower base. We train
# forests of growing size and time one request on each.
import matplotlib.pyplot as plt

tree_counts = [1, 10, 30, 100, 300]
sweep = []
for n_trees in tree_counts:
    model = RandomForestClassifier(n_estimators=n_trees, random_state=0).fit(X_train, y_train)
    session = onnxruntime.InferenceSession(
        to_onnx(model, X_train32[:1], options={"zipmap": False}).SerializeToString(),
        providers=["CPUExecutionProvider"],
    )
    np.testing.assert_allclose(
        session.run(["probabilities"], {input_name: X_test32})[0], model.predict_proba(X_test), atol=ATOL
    )
    timings = time_interleaved(
        {
            "scikit-learn": lambda model=model: model.predict_proba(one_row),
            "onnxruntime": lambda session=session: session.run(["probabilities"], {input_name: one_row32}),
        },
        repeats=5,
    )
    sweep.append(
        {
            "trees": n_trees,
            "scikit-learn (µs)": timings["scikit-learn"][0] * 1e6,
            "onnxruntime (µs)": timings["onnxruntime"][0] * 1e6,
        }
    )
sweep = pd.DataFrame(sweep)
sweep["speed-up"] = sweep["scikit-learn (µs)"] / sweep["onnxruntime (µs)"]

fig, (latency_ax, speedup_ax) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
for column in ["scikit-learn (µs)", "onnxruntime (µs)"]:
    latency_ax.plot(sweep.trees, sweep[column], marker="o", label=column.split(" ")[0])
latency_ax.set(
    xscale="log", yscale="log", xlabel="trees in the forest", ylabel="time per request (µs)", title="Latency"
)
latency_ax.legend()
speedup_ax.plot(sweep.trees, sweep["speed-up"], marker="o", color="tab:green")
speedup_ax.axhline(1, color="grey", linestyle="--", linewidth=1)
speedup_ax.set(
    xscale="log",
    yscale="log",
    xlabel="trees in the forest",
    ylabel="speed-up of onnxruntime (x)",
    title="Speed-up",
)
fig.suptitle(
    f"One request: ONNX Runtime is {sweep['speed-up'].iloc[0]:.0f}x faster with 1 tree, "
    f"{sweep['speed-up'].iloc[-1]:.0f}x with {tree_counts[-1]}"
)
plt.show()

# %%
# The facts this figure shows, checked on this run:
assert (sweep["speed-up"] > 1).all(), "ONNX Runtime was slower for a single request"
sweep.style.format(precision=1).format({"speed-up": "{:.1f}x"}).hide(axis="index")

# %%
# When ONNX Runtime is not the faster choice
# ------------------------------------------
# The measurements above say where the gain is. Read them for your case:
#
# * the gain is largest for **single requests** and for **many trees**,
#   where scikit-learn's per-call Python work dominates;
# * for **large batches of a linear model**, both libraries end up in the
#   same kind of matrix product, and the ratio printed for "logistic, 10,000
#   rows" is the one to look at before you switch for batch scoring alone;
# * a model converted with the **ZipMap default** pays for building a dict
#   per row: the list of dicts above is the reason to convert with
#   ``zipmap=False``;
# * the session's **threads** matter at large batches (the session-options
#   lesson measures them), and some models convert into graphs that are
#   slower than their scikit-learn counterpart (k-nearest neighbours is
#   the classic case, measured in the benchmark study).
#
# The summary below is computed from this run's numbers.
for (model_name, case), ratio in speed.set_index(["model", "case"])["speed-up"].items():
    verdict = "faster" if ratio >= 1.2 else ("about as fast" if ratio > 0.8 else "slower")
    print(f"{model_name:>8}, {case:>11}: ONNX Runtime {ratio:5.1f}x, {verdict}")

# %%
# The next lesson, :ref:`sphx_glr_auto_examples_01_walkthrough_plot_02_with_helpers.py`,
# does all of this in a few lines with ``helpers``. Clean up the temporary
# directory:
import shutil

shutil.rmtree(workdir)
