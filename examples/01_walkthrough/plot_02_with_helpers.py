"""
.. _with_helpers:

The same, with ``helpers``
==========================

Everything :ref:`train_convert_predict` did by hand, in a handful of lines,
on another dataset and model: a gradient-boosting classifier on the breast
cancer data bundled with scikit-learn. Each step names the raw skl2onnx or
onnxruntime call its helper hides, so you know what to reach for without
the package. The lesson runs in about 15 seconds.
"""

# %%
# Train
# -----
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
model = HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(X_train, y_train)
print(f"accuracy {model.score(X_test, y_test):.3f} on {len(X_test)} test rows, {X.shape[1]} features")

# %%
# Convert: :func:`helpers.convert`
# --------------------------------
# Hides ``skl2onnx.to_onnx(model, X[:1].astype(np.float32),
# options={"zipmap": False})``: the input type comes from the sample (float32
# for floating-point data, as the walkthrough explains), and probabilities
# come as a plain array. It also records, as model metadata, where the
# scikit-learn model rejects NaN, so that the predictor can do the same.
import helpers

onnx_model = helpers.convert(model, X_train[:1])
{prop.key: prop.value for prop in onnx_model.metadata_props}

# %%
# Load and predict: :class:`helpers.OnnxPredictor`
# ------------------------------------------------
# Hides ``onnxruntime.InferenceSession(..., providers=["CPUExecutionProvider"])``
# and ``session.run(["probabilities"], {"X": X.astype(np.float32)})``. It
# accepts what the scikit-learn model accepted (here a float64 array, cast to
# the model's float32), checks the shape, and has ``predict`` and
# ``predict_proba``. The session itself stays available as ``.session``.
predictor = helpers.OnnxPredictor(onnx_model, preset="latency")
predictor

# %%
predictor.predict_proba(X_test[:3])

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
# Hides the interleaved, repeated timing loop of the walkthrough. It prepares
# each batch before timing, warms every candidate up, takes turns, and keeps
# every repeat; the first candidate is the baseline of the speed-ups. A time
# budget keeps the docs build fast; raise it for steadier figures.
#
# We time two predictors on the same model: the ``"latency"`` preset (one
# thread, for one request at a time) and the ``"throughput"`` preset (for
# large batches: this tree ensemble's rows split over every usable core, see
# :ref:`cores_and_batch_size`). scikit-learn's gradient boosting uses
# every core through OpenMP, so a one-thread session competes with one hand
# tied at large batches.
X_test32 = X_test.astype(np.float32)
batch_predictor = helpers.OnnxPredictor(onnx_model, preset="throughput")
result = helpers.benchmark(
    {
        "scikit-learn": model.predict_proba,
        "OnnxPredictor latency": predictor.predict_proba,
        "OnnxPredictor throughput": batch_predictor.predict_proba,
    },
    X_test32,
    batch_sizes=(1, 10, 100, 1_000, 10_000),
    budget=6,
)
result

# %%
# The figure is the result's own :meth:`~helpers.BenchmarkResult.plot`.
# Its title states the finding, formatted from this run.
import matplotlib.pyplot as plt

fig, (latency_ax, speedup_ax) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
result.plot("latency", ax=latency_ax)
result.plot("speedup", ax=speedup_ax)
one_row = result.speedup("OnnxPredictor latency", 1)
large_batch = result.speedup("OnnxPredictor throughput", 10_000)
fig.suptitle(
    f"HistGradientBoosting: ONNX Runtime {one_row:.0f}x faster for one row, "
    f"{large_batch:.1f}x for 10,000 rows (throughput preset)"
)
plt.show()

# %%
# What the figure shows, checked on this run: at one row, scikit-learn's
# per-call Python overhead dominates and ONNX Runtime wins by far, whichever
# the preset. At large batches the preset decides: read the table above for
# the ratio of each preset at 10,000 rows on your machine.
assert result.speedup("OnnxPredictor latency", 1) > 1
for preset in ["latency", "throughput"]:
    ratio = result.speedup(f"OnnxPredictor {preset}", 10_000)
    print(
        f"10,000 rows, {preset} preset: {ratio:.2f}x "
        + ("faster" if ratio > 1 else "slower")
        + " than scikit-learn"
    )

# %%
# Which helper hides which call
# -----------------------------
#
# ===============================  ===============================================================
# helper                           raw call
# ===============================  ===============================================================
# :func:`helpers.convert`          ``skl2onnx.to_onnx(model, X[:1].astype(np.float32), options=...)``
# :class:`helpers.OnnxPredictor`   ``onnxruntime.InferenceSession(...)`` and ``session.run(...)``
# :func:`helpers.assert_agrees`    ``np.testing.assert_array_equal`` and ``assert_allclose``
# :func:`helpers.benchmark`        the interleaved ``timeit`` loop of the walkthrough
# ===============================  ===============================================================
