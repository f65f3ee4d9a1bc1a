"""
.. _something_else_faster:

When something else is faster
=============================

ONNX Runtime is one way to run a tree ensemble, not the only one. This lesson
compiles the same gradient boosting model and a small forest to native code
with `tl2cgen <https://tl2cgen.readthedocs.io/>`_ (the compiler that grew out
of Treelite), counts the compilation as a cost, and measures it against ONNX
Runtime and scikit-learn at 1, 100 and 10,000 rows per call on this machine.
It ends with what runs trees on a GPU, and what does not. It follows
:ref:`cores_and_batch_size`.

It runs in about 15 seconds on the machine that builds these pages.
"""

# %%
# Where this runs
# ---------------
# tl2cgen writes C code and compiles it with the machine's C compiler, so
# this lesson needs ``tl2cgen``, ``treelite`` and ``gcc``. Where one is
# missing, the cells that need it print why and skip; the rest still runs.
import importlib.util
import shutil

import helpers

missing = [p for p in ("tl2cgen", "treelite") if importlib.util.find_spec(p) is None]
if shutil.which("gcc") is None:
    missing.append("gcc (the C compiler)")
skip_reason = f"skipped: {', '.join(missing)} not installed" if missing else None
print(skip_reason or "tl2cgen, treelite and gcc are here")
cores = helpers.usable_cpus()
helpers.machine_summary()

# %%
# Two tree ensembles
# ------------------
# A gradient boosting classifier (100 trees of depth 3) and a small random
# forest (20 trees of depth 6), on seeded synthetic data with 20 features.
# Each is converted to ONNX and checked against scikit-learn (labels equal,
# probabilities within float32 rounding, ``atol=1e-5``).
import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier

X, y = make_classification(
    n_samples=4_000,
    n_features=20,
    n_informative=10,
    random_state=0,
)
models = {
    "gradient boosting": GradientBoostingClassifier(n_estimators=100, random_state=0),
    "small forest": RandomForestClassifier(
        n_estimators=20,
        max_depth=6,
        random_state=0,
    ),
}
onnx_models = {}
for name, model in models.items():
    model.fit(X, y)
    onnx_models[name] = helpers.convert(model, X[:1])
    helpers.assert_agrees(model, helpers.OnnxPredictor(onnx_models[name]), X)
print("both ONNX models agree with scikit-learn")

# %%
# Compile with tl2cgen
# --------------------
# Two steps: ``treelite.sklearn.import_model`` reads the fitted trees into
# Treelite's model format, and ``tl2cgen.export_lib`` writes them out as C,
# one function per group of trees, and compiles a shared library. The
# library goes into a temporary directory. Both steps are timed: the
# compilation is a cost you pay again for every model you retrain.
#
# tl2cgen 1.0 carries its own copy of Treelite, older than the ``treelite``
# package that reads the model; it may print a notice about the version
# difference. The check against scikit-learn below is what tells whether the
# compiled model is right.
import tempfile
import time
from pathlib import Path

workdir = tempfile.TemporaryDirectory()
compiled, compile_seconds = {}, {}
if skip_reason is None:
    import tl2cgen
    import treelite

    for name, model in models.items():
        start = time.perf_counter()
        try:
            library = Path(workdir.name) / f"{name.replace(' ', '_')}.so"
            tl2cgen.export_lib(
                treelite.sklearn.import_model(model),
                toolchain="gcc",
                libpath=str(library),
                params={"parallel_comp": cores},
                nthread=cores,
            )
        except Exception as error:  # a compiler or import failure: say so and go on
            skip_reason = f"skipped: tl2cgen could not compile the {name}: {error}"
            break
        compile_seconds[name] = time.perf_counter() - start
        path = str(library)
        compiled[name] = {n: tl2cgen.Predictor(path, nthread=n) for n in {1, cores}}
print(skip_reason or {name: f"{s:.1f} s" for name, s in compile_seconds.items()})

# %%
# A compiled model predicts with ``predictor.predict(tl2cgen.DMatrix(rows))``.
# Both models are binary classifiers, but their outputs differ: the gradient
# boosting model returns the probability of the positive class only, shaped
# ``(rows, 1, 1)``; the forest returns both columns, shaped ``(rows, 1, 2)``.
# ``tl2cgen_proba`` gives back scikit-learn's ``(rows, 2)`` for either. The
# compiled models must agree with scikit-learn as the ONNX ones do.
LARGE_BATCH = 1_000  # from here on, the compiled model gets every usable core


def tl2cgen_proba(name):
    """predict_proba of the compiled model: one thread below LARGE_BATCH rows."""

    def predict(rows):
        threads = 1 if len(rows) < LARGE_BATCH else cores
        raw = compiled[name][threads].predict(tl2cgen.DMatrix(rows))
        raw = raw.reshape(len(rows), -1)
        return np.hstack([1 - raw, raw]) if raw.shape[1] == 1 else raw

    return predict


X32 = X.astype(np.float32)
if skip_reason is None:
    for name, model in models.items():
        compiled_proba = tl2cgen_proba(name)(X32)
        np.testing.assert_allclose(compiled_proba, model.predict_proba(X), atol=1e-5)
    print("both compiled models agree with scikit-learn")
else:
    print(skip_reason)

# %%
# Three ways to predict, one benchmark
# ------------------------------------
# At each batch size, one interleaved :func:`helpers.benchmark` run times:
#
# * scikit-learn on the float64 rows it was trained on, with its default
#   settings, and the forest also with ``n_jobs=-1`` (gradient boosting
#   predicts on one thread whatever the settings). scikit-learn's baseline
#   at each batch size is the one with the lower median, in the same rounds;
# * ONNX Runtime through :class:`helpers.OnnxPredictor`, with the preset
#   ``helpers.session.preset_for`` picks for the batch size (the throughput
#   preset, from 1,000 rows, splits a tree ensemble's rows over every usable
#   core, see :ref:`cores_and_batch_size`), as the command-line tool's
#   ``--preset auto`` does. It is labelled so, "ONNX Runtime (OnnxPredictor,
#   auto preset)": neither ``InferenceSession(model)``'s defaults nor the
#   bare ``session.run``, but the predictor's settings per batch size and,
#   from 1,000 rows, its row split;
# * the compiled model, one thread below 1,000 rows and every usable core
#   from there on, building its ``DMatrix`` inside the timing, as a caller
#   would for each batch.
#
# ONNX Runtime and tl2cgen get float32 rows, converted once per batch before
# the timing (in the untimed first call of each candidate).
import copy

from helpers.session import preset_for


def float32_once(predict):
    cache = {}

    def call(rows):
        if id(rows) not in cache:
            cache.clear()
            cache[id(rows)] = (rows, rows.astype(np.float32))
        return predict(cache[id(rows)][1])

    return call


def onnx_auto(name):
    by_preset = {
        preset: helpers.OnnxPredictor(onnx_models[name], preset=preset)
        for preset in helpers.PRESETS
    }
    return lambda rows: by_preset[preset_for(len(rows))].predict_proba(rows)


ONNX_RUNTIME = "ONNX Runtime (OnnxPredictor, auto preset)"
SIZES = (1, 100, 10_000)
results = {}
for name, model in models.items():
    timed = {"scikit-learn default": model.predict_proba}
    if "n_jobs" in model.get_params():
        all_cores = copy.deepcopy(model).set_params(n_jobs=-1)
        timed["scikit-learn n_jobs=-1"] = all_cores.predict_proba
    timed[ONNX_RUNTIME] = float32_once(onnx_auto(name))
    if skip_reason is None:
        timed["tl2cgen"] = float32_once(tl2cgen_proba(name))
    results[name] = helpers.benchmark(
        timed,
        X,
        batch_sizes=SIZES,
        min_repeat=8,
        repeat=60,
        budget=5,
    )
results["gradient boosting"]

# %%
# scikit-learn's baseline, per model and batch size: the faster (lower
# median) of its settings timed here, with how the other one compared.
SKLEARN_SETTINGS = ("scikit-learn default", "scikit-learn n_jobs=-1")


def sklearn_baseline(result, size):
    """The scikit-learn candidate with the lower median at ``size`` rows."""
    timed = [c for c in SKLEARN_SETTINGS if c in result.candidates]
    return min(timed, key=lambda c: result.median(c, size))


for name, result in results.items():
    for size in SIZES:
        baseline = sklearn_baseline(result, size)
        others = [
            c for c in SKLEARN_SETTINGS if c in result.candidates and c != baseline
        ]
        line = f"{name}, {size:,} row{'s' * (size > 1)}: {baseline}"
        for other in others:
            speedup, low, high = result.interval(baseline, size, other)
            verdict = result.verdict(baseline, size, other)
            interval = f"{speedup:.2f}x [{low:.2f}-{high:.2f}]"
            line += f"; against {other}: {interval}, {verdict}"
        print(line if others else f"{line} (the only setting timed)")

# %%
# The speed-ups against that baseline, with their 95% intervals. The dashed
# line is scikit-learn's baseline itself.
import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained", sharey=True)
for ax, (name, result) in zip(axes, results.items(), strict=True):
    others = [c for c in result.candidates if c not in SKLEARN_SETTINGS]
    for index, candidate in enumerate(others):
        bands = np.array(
            [
                result.interval(candidate, size, sklearn_baseline(result, size))
                for size in SIZES
            ]
        )
        colour = f"C{index + 1}"
        ax.plot(SIZES, bands[:, 0], marker="o", color=colour, label=candidate)
        ax.fill_between(SIZES, bands[:, 1], bands[:, 2], color=colour, alpha=0.2)
    ax.axhline(1.0, color="grey", linestyle="--", linewidth=1)
    ax.set(xscale="log", yscale="log", title=name)
    ax.set_xlabel("batch size (rows per call)")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
axes[0].set_ylabel("speed-up against scikit-learn, lower median (x)")
lowest = {
    name: min(result.candidates, key=lambda c: result.median(c, SIZES[-1]))
    for name, result in results.items()
}
lowest_text = "; ".join(f"{name}: {label}" for name, label in lowest.items())
fig.suptitle(f"Lowest median at 10,000 rows: {lowest_text}")
plt.show()

# %%
# tl2cgen against ONNX Runtime
# ----------------------------
# The comparison that matters here, in the same runs: the compiled model's
# speed-up over ONNX Runtime at each batch size, its interval and verdict;
# and, where it is faster per row, how many rows it must score before the
# compile time is paid back at that batch size.
import pandas as pd

if skip_reason is None:
    rows = []
    for name, result in results.items():
        for size in SIZES:
            speedup, low, high = result.interval("tl2cgen", size, ONNX_RUNTIME)
            saved = result.median(ONNX_RUNTIME, size) - result.median("tl2cgen", size)
            saved_per_row = saved / size
            verdict = result.verdict("tl2cgen", size, ONNX_RUNTIME)
            payback = (
                f"{compile_seconds[name] / saved_per_row:,.0f} rows"
                if verdict == "faster" and saved_per_row > 0
                else "-"
            )
            rows.append(
                {
                    "model": name,
                    "rows per call": size,
                    "tl2cgen vs ONNX Runtime": f"{speedup:.2f}x [{low:.2f}-{high:.2f}]",
                    "verdict": verdict,
                    "compile time paid back after": payback,
                }
            )
    comparison = pd.DataFrame(rows)
else:
    comparison = pd.DataFrame({"note": [skip_reason]})
comparison.style.hide(axis="index")

# %%
# In words, tl2cgen against ONNX Runtime, from the verdicts above (a verdict
# needs the whole interval beyond a 5% margin):
if skip_reason is None:
    for name in models:
        rows_of = comparison[comparison.model == name].set_index("rows per call")
        verdicts = rows_of["verdict"]
        words = [f"{verdicts[n]} at {n:,} row{'s' * (n > 1)}" for n in SIZES]
        seconds = compile_seconds[name]
        print(f"{name} (compiled in {seconds:.1f} s): {', '.join(words)}")
else:
    print(skip_reason)

# %%
# What a compiler changes
# -----------------------
# ONNX Runtime's tree kernel is generic: it walks arrays of nodes, each
# holding a feature index, a threshold and the offsets of its children,
# whatever the model. tl2cgen turns each tree into nested ``if`` statements
# with the thresholds as constants, which the C compiler lays out and
# optimises for this one model. The price is the compile step above, a
# native library per model and platform to ship, and a second runtime to
# keep in step with the training library. ONNX Runtime's price is the
# generic walk; what it gives back is one portable file for every model of
# the pipeline, trees or not, and one runtime to deploy. Which price is
# larger is what the verdicts above measured, on this machine only; on a
# machine with more cores, ``benchmarks/throughput.py`` in the repository
# measures ONNX Runtime's routes, and this lesson can be rerun there.
#
# Trees on a GPU
# --------------
# A GPU session does not move a tree ensemble to the GPU. ONNX Runtime's
# list of kernels, `docs/OperatorKernels.md
# <https://github.com/microsoft/onnxruntime/blob/main/docs/OperatorKernels.md>`_,
# has the ``ai.onnx.ml`` domain (``TreeEnsembleClassifier``,
# ``TreeEnsembleRegressor``, ``TreeEnsemble``, ``LinearClassifier``, ...)
# under the CPU execution provider only: the CUDA execution provider lists
# operators of the ``ai.onnx`` and ``com.microsoft`` domains. In a session
# created with ``providers=["CUDAExecutionProvider",
# "CPUExecutionProvider"]``, the CUDA provider takes no node of a converted
# forest: the tree operator is placed on the CPU, and the model runs as in a
# CPU session. :ref:`running_gpu` checks this in the installed onnxruntime's
# own kernel registry and in a profile of where each node ran.
#
# Engines that do run trees on a GPU exist outside ONNX Runtime: cuML's
# Forest Inference Library (FIL), which loads XGBoost, LightGBM and
# scikit-learn forests, and XGBoost's own predictor with
# ``device="cuda"``. Hummingbird takes another road: it rewrites trees as
# tensor operations (matrix products and gathers), which any ONNX Runtime
# execution provider can run. None of them was measured here: this page
# runs on a CPU, and a GPU's gain depends on the card, the batch size and
# the copies to and from it.
workdir.cleanup()
