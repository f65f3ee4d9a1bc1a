"""
.. _running_profiling:

Profiling, done right
=====================

ONNX Runtime can record how long each operator of each run takes. You will
turn profiling on for the session that runs the predictions, write the
profile into a temporary directory, read the JSON it produces, and add up
the time per operator type, for one row and for a batch. The onnxruntime
gallery's own profiling example gets one thing wrong, and you will see what
its mistake produces. It follows :ref:`running_session_options`.

It runs in a few seconds on the machine that builds these pages.
"""

# %%
# A pipeline with several operators
# ---------------------------------
# Scaling, a PCA and a random forest on the digits images bundled with
# scikit-learn: three kinds of work, so that the profile has something to
# compare.
import helpers
import numpy as np
from helpers.lessons.inspection import describe
from helpers.lessons.profiling import op_type_summary, profile_frame
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X,
    y,
    test_size=0.3,
    stratify=y,
    random_state=0,
)
model = make_pipeline(
    StandardScaler(),
    PCA(n_components=20, random_state=0),
    RandomForestClassifier(50, random_state=0),
).fit(X_train, y_train)
onnx_model = helpers.convert(model, X_train[:1])
onnx_bytes = onnx_model.SerializeToString()
X_test32 = X_test.astype(np.float32)
describe(onnx_model).op_counts

# %%
# Profile the session that predicts
# ---------------------------------
# Profiling is a session option: ``enable_profiling = True`` before the
# session is created. The profile is written to a file whose name starts
# with ``profile_file_prefix``; without a prefix it lands in the current
# directory, so point it into a temporary directory. Then run the session
# as usual. ``end_profiling()`` stops recording, writes the file and returns
# its path.
import tempfile
from pathlib import Path

import onnxruntime

workdir = Path(tempfile.mkdtemp(prefix="profiling-"))
options = onnxruntime.SessionOptions()
options.enable_profiling = True
options.profile_file_prefix = str(workdir / "digits_batch")
cpu = ["CPUExecutionProvider"]
session = onnxruntime.InferenceSession(onnx_bytes, options, providers=cpu)

n_runs = 20
for _ in range(n_runs):
    onnx_proba = session.run(["probabilities"], {"X": X_test32})[0]
profile_path = Path(session.end_profiling())
assert profile_path.parent == workdir
sklearn_proba = model.predict_proba(X_test)
np.testing.assert_allclose(onnx_proba, sklearn_proba, atol=1e-5)  # float32 rounding
profile_path.name

# %%
# The mistake to avoid
# --------------------
# The onnxruntime gallery example creates a second session with profiling
# on, but keeps calling ``run`` on the first one, which has profiling off, and
# then ends profiling on the second. Its profile therefore holds the loading
# of a model and no run at all. The same mistake, on purpose:
import json

plain_session = onnxruntime.InferenceSession(onnx_bytes, providers=cpu)
options.profile_file_prefix = str(workdir / "wrong_session")
profiled_session = onnxruntime.InferenceSession(onnx_bytes, options, providers=cpu)
plain_session.run(["probabilities"], {"X": X_test32})  # runs, but nothing records it
wrong_events = json.loads(Path(profiled_session.end_profiling()).read_text())
wrong_names = sorted({event["name"] for event in wrong_events})
operator_events = [event for event in wrong_events if event["cat"] == "Node"]
assert not operator_events, "the wrong session recorded operators"
wrong_names

# %%
# Only start-up events; no operator ran in the profiled session. Profile the
# session your code calls, as above.
#
# The JSON, by hand
# -----------------
# The file is a list of Chrome trace events (``chrome://tracing`` or
# https://ui.perfetto.dev display it as a timeline). Each event has a
# category ``cat``, a ``name``, a start ``ts`` and a duration ``dur``, both
# in microseconds. ``Session`` events cover model loading, session
# initialisation and each ``model_run``; ``Node`` events cover one operator
# call each, with the operator type in ``args["op_name"]``.
events = json.loads(profile_path.read_text())


def is_kernel(event):
    return event["cat"] == "Node" and event["name"].endswith("_kernel_time")


kernel_events = [event for event in events if is_kernel(event)]
first = kernel_events[0]
{key: first[key] for key in ("cat", "name", "ts", "dur")} | {
    "op_name": first["args"]["op_name"],
}

# %%
# The ``_kernel_time`` event is the operator's work (some onnxruntime
# versions also write ``_fence_before`` / ``_fence_after`` events around it,
# synchronisation points of almost no duration). Add the kernel times up per
# operator type:
from collections import Counter

time_by_op = Counter()
for event in kernel_events:
    time_by_op[event["args"]["op_name"]] += event["dur"]
dict(time_by_op.most_common())

# %%
# As a table: :func:`~helpers.lessons.profiling.profile_frame`
# ------------------------------------------------------------
# :func:`~helpers.lessons.profiling.profile_frame` reads the file into a DataFrame, one
# row per event, and tells which run each event belongs to (the ``model_run``
# intervals); :func:`~helpers.lessons.profiling.op_type_summary` adds the kernel times
# up per operator type, leaving out the first run, which also allocates memory.
profile = profile_frame(profile_path)
assert profile.run.max() == n_runs - 1
profile[profile.category == "Node"].head()

# %%
batch_summary = op_type_summary(profile)
assert set(batch_summary.index) == set(time_by_op)
batch_summary

# %%
# One row against a batch
# -----------------------
# The same session settings, now for single requests:
# :class:`helpers.OnnxPredictor` with ``preset=None`` keeps onnxruntime's
# defaults, as the session above did, and passes ``enable_profiling`` and
# ``profile_file_prefix`` on to the session, which stays available as
# ``predictor.session``. Only the batch size changes.
predictor = helpers.OnnxPredictor(
    onnx_model,
    preset=None,
    enable_profiling=True,
    profile_file_prefix=str(workdir / "digits_one_row"),
)
for row in X_test32[:n_runs]:
    predictor.predict_proba(row.reshape(1, -1))
one_row_profile = profile_frame(predictor.session.end_profiling())
one_row_summary = op_type_summary(one_row_profile)
one_row_summary

# %%
# The time per call of each operator type, for both cases, on a log scale
# since a batch of several hundred rows costs far more than one row. Medians
# over the runs: on a busy machine one call can be interrupted by another
# process, which moves a total or a mean but hardly a median. The title gives
# the forest's share of the summed medians.
import matplotlib.pyplot as plt
import pandas as pd

batch_label = f"{len(X_test32)} rows"
per_call = pd.DataFrame(
    {"1 row": one_row_summary.median_us, batch_label: batch_summary.median_us}
).sort_values(batch_label)
forest_share = per_call.loc["TreeEnsembleClassifier"] / per_call.sum()

fig, ax = plt.subplots(figsize=(8, 3.8), layout="constrained")
per_call.plot.barh(ax=ax, logx=True)
ax.set_xlabel("time per call (µs, median over the profiled runs)")
ax.set_ylabel("operator type")
ax.set_title(
    f"The forest takes {forest_share[batch_label]:.0%} of operator time\n"
    f"for {batch_label}, {forest_share['1 row']:.0%} for one row"
)
plt.show()

# %%
# These times describe the machine that built this page:
helpers.machine_summary()

# %%
# Time outside the operators
# --------------------------
# A ``model_run`` also includes work that no operator does: checking the
# inputs, preparing the execution, allocating the outputs. (Turning the
# outputs into NumPy arrays happens after it, in Python, and is not even in
# the profile.) Subtracting the sum of kernel times in each run from the
# run's duration shows how much that is, in microseconds and as a share of
# the run, for one row and for the batch.


def outside_time(frame):
    """Median time of a run outside operator kernels, in µs and as a share of
    the run (runs after the first)."""
    runs = frame[frame.name == "model_run"].sort_values("start_us")
    runs = runs.reset_index(drop=True)
    kernels = frame[frame.name.str.endswith("_kernel_time") & (frame.run >= 1)]
    kernel_time = kernels.groupby("run").duration_us.sum()
    run_time = runs.duration_us.iloc[kernel_time.index].to_numpy()
    kernel_time = kernel_time.to_numpy()
    return {
        "µs per run outside operators": float(np.median(run_time - kernel_time)),
        "share of run time outside operators": float(
            np.median(1 - kernel_time / run_time)
        ),
    }


outside = pd.DataFrame(
    {"1 row": outside_time(one_row_profile), batch_label: outside_time(profile)}
).T
assert (outside.iloc[:, 1] >= 0).all() and (outside.iloc[:, 1] < 1).all()
outside.style.format({outside.columns[0]: "{:.0f}", outside.columns[1]: "{:.1%}"})

# %%
# The same comparison in words, from this run's medians; the assertion
# checks that one row spends the larger share outside the operators:
outside_us = outside["µs per run outside operators"]
outside_share = outside["share of run time outside operators"]
assert outside_share["1 row"] > outside_share[batch_label], outside
inside_one_row = 1 - outside_share["1 row"]
print(
    f"Outside the operators: {outside_us['1 row']:.0f} µs "
    f"({outside_share['1 row']:.1%}) of a one-row run, "
    f"{outside_us[batch_label]:.0f} µs ({outside_share[batch_label]:.1%}) of a "
    f"run of {batch_label}. For one row, the operators take "
    f"{'most' if inside_one_row > 0.5 else 'less than half'} of the run "
    f"({inside_one_row:.1%})."
)
growth = outside_us[batch_label] / outside_us["1 row"]
n_batch = len(X_test32)
assert growth < n_batch / 10, growth  # the takeaway below: far slower than the rows
if growth < 2:
    print(
        f"With {n_batch} times the rows, the time outside the operators changed "
        f"by a factor of {growth:.1f}: in this run it is mostly paid once per "
        "run, and batching spreads it over the rows."
    )
else:
    print(
        f"With {n_batch} times the rows, the time outside the operators grew "
        f"{growth:.1f} times: part of it grows with the rows, but per row it "
        "fell from "
        f"{outside_us['1 row']:.0f} µs to {outside_us[batch_label] / n_batch:.2f} µs."
    )

# %%
# What to take from a profile
# ---------------------------
# * Optimise the operator at the top of the table: making anything else
#   faster cannot save more than its own share.
# * The time outside the operators grows far more slowly than the number of
#   rows (the lines above print by how much in this run): batching requests
#   spreads it over more rows.
# * Profiling records every operator call of every run and keeps the events
#   in memory until ``end_profiling()`` writes them: keep it off in
#   production.
#
# For this pipeline, computed from the batch profile (medians per call):
batch_shares = per_call[batch_label] / per_call[batch_label].sum()
top_op = batch_shares.idxmax()
top_share = batch_shares.max()
print(f"{top_op}: {top_share:.0%} of operator time for {batch_label}. Start there.")

# %%
# Next, :ref:`running_common_errors`. Clean up the profiles:
import shutil

shutil.rmtree(workdir)
