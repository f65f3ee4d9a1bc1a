"""
.. _running_large_forests:

Large forests
=============

A random forest grows with its number of trees and with their depth, and so
does everything around it: the ``.onnx`` file, the time to create a
session, the memory the session holds, the time of one prediction, and
perhaps its accuracy. You will measure each, with repeated readings and
their spread, as the forest grows from 10 to 300 trees and from depth 4 to
unlimited, against the pickle of the same model and against scikit-learn,
and see which of these costs the number of tree nodes predicts. It follows
:ref:`running_common_errors`.

It runs in about 25 seconds on the machine that builds these pages.
"""

# %%
# Where this page was measured
# ----------------------------
# Every time below comes from this run, on this machine:
import helpers

helpers.machine_summary()

# %%
# Forests of growing size
# -----------------------
# Two sweeps on the same synthetic data (2,000 training rows, 20 features,
# some label noise so that unlimited trees keep splitting), and 1,000 held-out
# rows to check and score them:
#
# * **trees**: one forest of 300 trees of depth at most 8, and its first 10,
#   30 and 100 trees as smaller forests (a forest's trees are independent, so
#   the first ``n`` trees are a forest of ``n`` trees);
# * **depth**: forests of 50 trees with depth capped at 4, 8, 12, or not.
#
# Training uses two jobs. Prediction then uses one thread on both sides:
# scikit-learn with ``n_jobs=1``, ONNX Runtime with the ``"latency"`` preset
# (one intra-op thread). Both could share even a single row between threads:
# scikit-learn's ``predict_proba`` runs the trees with joblib's
# ``Parallel(n_jobs)`` over ``estimators_``, and ONNX Runtime's tree kernel
# splits a call by trees once a forest has enough of them. One thread is the
# one-request setting: a server answering many requests at once gives each
# request one core, and the comparison is between the libraries, not their
# thread pools.
import copy

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

X, y = make_classification(
    n_samples=3000,
    n_features=20,
    n_informative=10,
    flip_y=0.05,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(
    X,
    y,
    test_size=1000,
    random_state=0,
    stratify=y,
)


def first_trees(forest, n_trees):
    """A forest made of the first ``n_trees`` trees of ``forest``."""
    smaller = copy.copy(forest)
    smaller.estimators_ = forest.estimators_[:n_trees]
    smaller.n_estimators = n_trees
    return smaller


big_forest = RandomForestClassifier(
    n_estimators=300,
    max_depth=8,
    random_state=0,
    n_jobs=2,
).fit(X_train, y_train)
tree_counts = (10, 30, 100, 300)
forests = {("trees", f"{n} trees"): first_trees(big_forest, n) for n in tree_counts}
for depth in (4, 8, 12, None):
    forests["depth", f"depth {depth or 'unlimited'}"] = RandomForestClassifier(
        n_estimators=50, max_depth=depth, random_state=0, n_jobs=2
    ).fit(X_train, y_train)
for forest in forests.values():
    forest.n_jobs = 1

# %%
# Convert, check and score each forest
# ------------------------------------
# Each forest is converted (:func:`helpers.convert`) and checked against
# scikit-learn on the 1,000 held-out rows: probabilities within ``1e-5``
# (float32 rounding of a sum over trees), and the same labels
# (:func:`helpers.assert_agrees`) on every row but the exact ties. Fully
# grown trees have pure leaves, so each tree votes 0 or 1, and an even
# number of them can split 50/50 on a row: scikit-learn then picks the first
# class, while ONNX Runtime's float32 sum lands a hair above or below 0.5 and
# may pick the other. The ``tied rows`` column counts them; the accuracy is
# scikit-learn's. It comes with a 95% interval from a bootstrap over the
# held-out rows: 1,000 rows cannot tell apart accuracies closer than a few
# points.
import pandas as pd

rng = np.random.default_rng(0)
resamples = rng.integers(0, len(y_test), size=(1000, len(y_test)))

onnx_bytes = {}
correct = {}
rows = []
for key, forest in forests.items():
    onnx_model = helpers.convert(forest, X_train[:1])
    onnx_bytes[key] = onnx_model.SerializeToString()
    predictor = helpers.OnnxPredictor(onnx_model)
    sklearn_proba = forest.predict_proba(X_test)
    onnx_proba = predictor.predict_proba(X_test)
    np.testing.assert_allclose(onnx_proba, sklearn_proba, atol=1e-5)
    tied = np.abs(sklearn_proba[:, 0] - sklearn_proba[:, 1]) < 1e-5
    helpers.assert_agrees(forest, predictor, X_test[~tied])
    correct[key] = forest.predict(X_test) == y_test
    low, high = np.percentile(correct[key][resamples].mean(axis=1), [2.5, 97.5])
    rows.append(
        {
            "trees": len(forest.estimators_),
            "max_depth": "none" if forest.max_depth is None else forest.max_depth,
            "depth reached": max(tree.tree_.max_depth for tree in forest.estimators_),
            "nodes": sum(tree.tree_.node_count for tree in forest.estimators_),
            "tied rows": tied.sum(),
            "accuracy": correct[key].mean(),
            "accuracy_low": low,
            "accuracy_high": high,
        }
    )
index = pd.MultiIndex.from_tuples(forests, names=["sweep", "forest"])
sizes = pd.DataFrame(rows, index=index)
sizes.style.format(
    {
        "nodes": "{:,}",
        "accuracy": "{:.1%}",
        "accuracy_low": "{:.1%}",
        "accuracy_high": "{:.1%}",
    }
)

# %%
# File size: ONNX against pickle
# ------------------------------
# ``pickle.dumps`` of a model you trained yourself is a fair yardstick (never
# unpickle a file you did not make: unpickling runs code). A file's size does
# not change from one run to the next, so one reading is enough. The last
# column says how many bytes the ONNX file spends per tree node.
import pickle

pickles = {key: pickle.dumps(forest) for key, forest in forests.items()}
sizes["onnx_bytes"] = [len(onnx_bytes[key]) for key in forests]
sizes["pickle_bytes"] = [len(pickles[key]) for key in forests]
sizes["onnx / pickle"] = sizes.onnx_bytes / sizes.pickle_bytes
sizes["onnx bytes per node"] = sizes.onnx_bytes / sizes.nodes
size_columns = [
    "nodes",
    "onnx_bytes",
    "pickle_bytes",
    "onnx / pickle",
    "onnx bytes per node",
]
sizes[size_columns].style.format(
    {
        "nodes": "{:,}",
        "onnx_bytes": "{:,}",
        "pickle_bytes": "{:,}",
        "onnx / pickle": "{:.2f}",
        "onnx bytes per node": "{:.1f}",
    }
)

# %%
import matplotlib.pyplot as plt


def plot_by_nodes(ax, columns, ylabel, title):
    """One line per column and sweep against the number of nodes, log-log.

    ``columns`` maps a column of ``sizes`` to its label; columns
    ``<name>_low`` and ``<name>_high``, when present, shade the spread of the
    readings.
    """
    for column_index, (column, label) in enumerate(columns.items()):
        for marker, sweep in (("o", "trees"), ("s", "depth")):
            part = sizes.loc[sweep].sort_values("nodes")
            color = f"C{column_index}"
            ax.plot(
                part.nodes,
                part[column],
                marker=marker,
                color=color,
                linestyle="-" if sweep == "trees" else "--",
                label=f"{label}, {sweep} sweep",
            )
            if f"{column}_low" in part:
                ax.fill_between(
                    part.nodes,
                    part[f"{column}_low"],
                    part[f"{column}_high"],
                    color=color,
                    alpha=0.2,
                )
    ax.set(xscale="log", yscale="log", xlabel="tree nodes in the forest", ylabel=ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)


def span(values, spec):
    """'lowest to highest' of ``values``, each formatted with ``spec``."""
    return f"{values.min():{spec}} to {values.max():{spec}}"


fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
per_node = sizes["onnx bytes per node"]
onnx_to_pickle = sizes["onnx / pickle"]
plot_by_nodes(
    ax,
    {"onnx_bytes": "ONNX", "pickle_bytes": "pickle"},
    "size (bytes)",
    f"The ONNX file takes {span(per_node, '.1f')} bytes per node,\n"
    f"{span(onnx_to_pickle, '.2f')}x the size of the pickle",
)
plt.show()

# %%
# Loading: unpickling against creating a session
# ----------------------------------------------
# A server pays this once per process (or per model reload). Creating an
# ``InferenceSession`` parses the protobuf and builds onnxruntime's own tree
# structures; ``pickle.loads`` rebuilds the scikit-learn objects. For each
# forest, :func:`helpers.benchmark` times the two in interleaved, paired
# rounds and gives the speed-up of creating a session over unpickling with
# its 95% interval, and a verdict from that interval (the data it is given is
# not used: both calls load the same bytes each time). Sessions use
# :func:`helpers.session_options` ``("latency")``: one thread, spinning off.
import onnxruntime
from helpers.timing import median_interval

session_options = helpers.session_options("latency")


def create_session(content):
    """An ONNX Runtime session on the CPU, from the bytes of a model."""
    cpu = ["CPUExecutionProvider"]
    return onnxruntime.InferenceSession(content, session_options, providers=cpu)


def median_and_interval(result, candidate):
    """Median of one candidate's timings and its 95% interval, in seconds."""
    return median_interval(result.timings[candidate, 1])


load_rows = {}
for key in forests:
    load_result = helpers.benchmark(
        {
            "pickle.loads": lambda _, data=pickles[key]: pickle.loads(data),
            "InferenceSession": lambda _, data=onnx_bytes[key]: create_session(data),
        },
        X_test,
        batch_sizes=(1,),
        budget=0.3,
    )
    frame = load_result.to_frame().set_index("candidate")
    session_ms = np.asarray(median_and_interval(load_result, "InferenceSession")) * 1e3
    load_rows[key] = {
        "unpickle_ms": frame.median_s["pickle.loads"] * 1e3,
        "session_ms": session_ms[0],
        "session_ms_low": session_ms[1],
        "session_ms_high": session_ms[2],
        # the benchmark's speed-up is unpickle time / session time: invert it
        "session / unpickle": 1 / frame.speedup["InferenceSession"],
        "low": 1 / frame.speedup_high["InferenceSession"],
        "high": 1 / frame.speedup_low["InferenceSession"],
        "session verdict": frame.verdict["InferenceSession"],
    }
loads = pd.DataFrame.from_dict(load_rows, orient="index")
loads.index = index
sizes = sizes.join(loads)
sizes["session µs per node"] = sizes.session_ms * 1e3 / sizes.nodes
load_columns = ["nodes", "unpickle_ms", "session_ms", "session_ms_low"]
load_columns += ["session_ms_high"]
load_columns += ["session µs per node", "session / unpickle", "low", "high"]
load_columns += ["session verdict"]
ms = "{:.2f}"
sizes[load_columns].style.format(
    {
        "nodes": "{:,}",
        "unpickle_ms": ms,
        "session_ms": ms,
        "session_ms_low": ms,
        "session_ms_high": ms,
        "session µs per node": "{:.2f}",
        "session / unpickle": "{:.1f}x",
        "low": "{:.1f}x",
        "high": "{:.1f}x",
    }
)

# %%
# ``session_ms`` is the median of the rounds, ``_low`` and ``_high`` its
# 95% interval.
# ``session / unpickle`` is how many times as long creating a session took
# as unpickling, ``low`` and ``high`` its 95% interval, and ``session
# verdict`` says whether creating a session was faster or slower than
# unpickling beyond the benchmark's 5% margin. The figure shades the
# intervals; its title counts the verdicts of this run.
verdicts = sizes["session verdict"].value_counts()
verdict_counts = " and ".join(f"{name} for {count}" for name, count in verdicts.items())
verdict_counts += f" of {len(sizes)} forests"
fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
plot_by_nodes(
    ax,
    {"unpickle_ms": "pickle.loads", "session_ms": "InferenceSession"},
    "time to load (ms)",
    f"Creating a session against unpickling: {verdict_counts};"
    f"\n{span(sizes['session µs per node'], '.2f')} µs per node",
)
plt.show()

# %%
# Memory held by a session
# ------------------------
# Resident memory (RSS, read with ``psutil``) before and after creating a
# session. Measured in this process, the numbers would be wrong: the
# sessions created and dropped above left freed memory behind, which the
# next session reuses without the process growing. So a fresh Python
# process does the measuring, keeping every session it creates alive. The
# first session of a model in a process also pays for onnxruntime's
# one-off setup and for the buffers used while parsing the file, which the
# allocator keeps for later reuse. So for each forest, smallest first, the
# process creates one session, then three more, and reads what each of
# these adds: the memory one session of that forest holds. Three processes
# give nine readings per forest; the table shows their median and its 95%
# interval (order statistics, as for timings: :func:`helpers.timing.median_interval`).
# The sessions there have the settings of those timed above, the latency
# preset's (one thread, spinning off), set by hand in the script. The models
# go to the process as files in a temporary directory.
import json
import subprocess
import sys
import tempfile
from pathlib import Path

MEASURE_MEMORY = """
import json, sys
import onnxruntime, psutil

process = psutil.Process()
options = onnxruntime.SessionOptions()  # the latency preset's settings:
options.intra_op_num_threads = 1  # one thread, no pool
options.inter_op_num_threads = 1
options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
options.add_session_config_entry("session.intra_op.allow_spinning", "0")
cpu = ["CPUExecutionProvider"]
sessions, readings = [], []
for path in sys.argv[1:]:
    sessions.append(onnxruntime.InferenceSession(path, options, providers=cpu))
    growth = []
    for _ in range(3):
        before = process.memory_info().rss
        sessions.append(onnxruntime.InferenceSession(path, options, providers=cpu))
        growth.append(process.memory_info().rss - before)
    readings.append(growth)
print(json.dumps(readings))
"""

workdir = Path(tempfile.mkdtemp(prefix="large-forests-"))
by_size = sizes.sort_values("nodes").index
paths = []
for number, key in enumerate(by_size):
    paths.append(workdir / f"forest_{number}.onnx")
    paths[-1].write_bytes(onnx_bytes[key])
command = [sys.executable, "-c", MEASURE_MEMORY, *map(str, paths)]
processes = [subprocess.run(command, capture_output=True, check=True) for _ in range(3)]
# one row per forest, one column per reading (3 processes x 3 sessions)
readings = np.concatenate([json.loads(done.stdout) for done in processes], axis=1)
memory = pd.DataFrame(
    [median_interval(row) for row in readings],
    columns=[
        "session_memory_bytes",
        "session_memory_bytes_low",
        "session_memory_bytes_high",
    ],
    index=by_size,
)
sizes = sizes.join(memory)
sizes["memory / file size"] = sizes.session_memory_bytes / sizes.onnx_bytes
sizes["memory bytes per node"] = sizes.session_memory_bytes / sizes.nodes
memory_columns = ["nodes", "onnx_bytes", "session_memory_bytes"]
memory_columns += ["session_memory_bytes_low", "session_memory_bytes_high"]
memory_columns += ["memory / file size", "memory bytes per node"]
renamed = {
    "session_memory_bytes_low": "low (95%)",
    "session_memory_bytes_high": "high (95%)",
}
memory_table = sizes[memory_columns].rename(columns=renamed)
memory_formats = dict.fromkeys(memory_table.columns, "{:,.0f}")
memory_table.style.format({**memory_formats, "memory / file size": "{:.1f}"})

# %%
# The figure shades the 95% interval of the median of the nine readings.
largest = sizes.nodes.idxmax()
memory_ratio = sizes["memory / file size"]
fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
# sphinx_gallery_thumbnail_number = 3
plot_by_nodes(
    ax,
    {"onnx_bytes": "ONNX file", "session_memory_bytes": "session memory (RSS growth)"},
    "bytes",
    f"A session holds {span(memory_ratio, '.1f')}x its file size;"
    f"\nlargest forest: {sizes.session_memory_bytes[largest] / 2**20:.1f} MiB",
)
plt.show()
assert (readings[-1] > 0).all(), "a session of the largest forest added no memory"

# %%
# One request: scikit-learn against ONNX Runtime
# ----------------------------------------------
# A prediction walks each tree from the root to a leaf. For each forest,
# :func:`helpers.benchmark` times one row through scikit-learn's
# ``predict_proba`` and through ONNX Runtime's public ``session.run``, in
# paired rounds. The sessions are made by ``create_session`` above, with the
# latency preset (one thread, spinning off), so the tables and figures call
# this candidate "ONNX Runtime (latency preset)": it is not
# ``InferenceSession(model)``'s default. scikit-learn gets the row as
# float64, the type it was trained on; ONNX Runtime gets the same row as
# float32, converted once, outside the timing (its function ignores the
# batch the benchmark hands it, which is that same first held-out row).
row64 = X_test[:1]
row32 = row64.astype(np.float32)
sessions = {key: create_session(onnx_bytes[key]) for key in forests}
input_name = sessions[largest].get_inputs()[0].name


def run_onnx(session):
    """One request through the public ``session.run``, on the prepared float32 row."""
    return lambda _: session.run(None, {input_name: row32})


ORT = "ONNX Runtime (latency preset)"  # one thread, spinning off


latency_rows = {}
for key, forest in forests.items():
    result = helpers.benchmark(
        {"scikit-learn": forest.predict_proba, ORT: run_onnx(sessions[key])},
        row64,
        batch_sizes=(1,),
        budget=0.5,
    )
    frame = result.to_frame().set_index("candidate")
    latency_rows[key] = {
        "sklearn_us": frame.median_us["scikit-learn"],
        "onnxruntime_us": frame.median_us[ORT],
        "speed-up": frame.speedup[ORT],
        "speed-up low": frame.speedup_low[ORT],
        "speed-up high": frame.speedup_high[ORT],
        "verdict": frame.verdict[ORT],
    }
latency = pd.DataFrame.from_dict(latency_rows, orient="index")
latency.index = index
latency.insert(1, "sklearn_us per tree", latency.sklearn_us / sizes.trees)
sizes = sizes.join(latency)
latency_columns = ["trees", "depth reached", *latency.columns]
sizes[latency_columns].style.format(
    {
        "sklearn_us": "{:,.0f}",
        "sklearn_us per tree": "{:,.0f}",
        "onnxruntime_us": "{:,.1f}",
        "speed-up": "{:,.0f}x",
        "speed-up low": "{:,.0f}x",
        "speed-up high": "{:,.0f}x",
    }
)

# %%
# How one request grows with the forest
# -------------------------------------
# How much longer does a request to the largest forest of a sweep take than
# one to the smallest? Comparing medians from the separate benchmarks above
# would mix rounds taken at different moments, so each library gets one
# more benchmark per sweep, in which its four forests take turns. The
# smallest forest is the baseline: a speed-up of 0.1x means ten times as
# long.
growth_rows = []
for sweep in ("trees", "depth"):
    keys = sizes.loc[sweep].sort_values("nodes").index
    for library, function in (
        ("scikit-learn", lambda key: forests[key].predict_proba),
        (ORT, lambda key: run_onnx(sessions[key])),
    ):
        result = helpers.benchmark(
            {name: function((sweep, name)) for name in keys},
            row64,
            batch_sizes=(1,),
            budget=1.0 if library == "scikit-learn" else 0.6,
        )
        frame = result.to_frame().set_index("candidate")
        smallest, biggest = (sizes.loc[(sweep, name)] for name in (keys[0], keys[-1]))
        growth_rows.append(
            {
                "sweep": sweep,
                "library": library,
                "from": keys[0],
                "to": keys[-1],
                "x nodes": biggest.nodes / smallest.nodes,
                "x time": 1 / frame.speedup[keys[-1]],
                "x time low": 1 / frame.speedup_high[keys[-1]],
                "x time high": 1 / frame.speedup_low[keys[-1]],
            }
        )
growth = pd.DataFrame(growth_rows)
less = growth["x time high"] < growth["x nodes"]
more = growth["x time low"] > growth["x nodes"]
unclear = "no clear difference"
growth["against nodes"] = np.select([less, more], ["grew less", "grew more"], unclear)
growth.style.format(
    {
        "x nodes": "{:.1f}",
        "x time": "{:.1f}",
        "x time low": "{:.1f}",
        "x time high": "{:.1f}",
    }
).hide(axis="index")

# %%
# ``x time`` is how many times as long a request to the largest forest took
# as one to the smallest, with its 95% interval; ``x nodes`` how many times
# as many nodes it has; ``against nodes`` says whether the time grew less
# or more than the nodes, beyond the interval. The figure puts the two
# libraries side by side.
fig, (trees_ax, depth_ax) = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
for ax, sweep, x_column, xlabel in (
    (trees_ax, "trees", "trees", "trees in the forest (depth at most 8)"),
    (
        depth_ax,
        "depth",
        "depth reached",
        "depth reached (50 trees; last point: no cap)",
    ),
):
    part = sizes.loc[sweep].sort_values(x_column)
    for column, label in (
        ("sklearn_us", "scikit-learn"),
        ("onnxruntime_us", ORT),
    ):
        ax.plot(part[x_column], part[column], marker="o", label=label)
    ax.set(xscale="log", yscale="log", xlabel=xlabel, ylabel="time per request (µs)")
    ax.grid(True, alpha=0.3)
    ax.legend()
speedups = sizes["speed-up"]
n_faster = (sizes.verdict == "faster").sum()
fig.suptitle(
    f"One request: {ORT} faster than scikit-learn by its interval for "
    f"{n_faster} of {len(sizes)} forests;\nspeed-ups {speedups.min():,.0f}x to "
    f"{speedups.max():,.0f}x (medians of paired rounds)"
)
plt.show()

# %%
# Creating a session against one request
# --------------------------------------
# The last comparison a server needs: how many requests could be answered in
# the time it takes to create the session once? Both are timed in one
# benchmark, for the largest forest.
load_or_run = helpers.benchmark(
    {
        "create a session": lambda _: create_session(onnx_bytes[largest]),
        "one request": run_onnx(sessions[largest]),
    },
    row64,
    batch_sizes=(1,),
    budget=0.5,
)
load_or_run

# %%
# The checks
# ----------
# What the takeaways below rest on, checked on this run: the ONNX file's
# bytes per node stay within 10% of each other across all eight forests (a
# size, so no noise); ONNX Runtime answered one request faster than
# scikit-learn for every forest, by the interval's verdict; the largest
# forest's session took longer to create than the smallest's and held more
# memory (in both, the 95% intervals of their medians do not overlap);
# creating a session took longer than one request.
assert per_node.max() < 1.1 * per_node.min(), per_node
assert (latency.verdict == "faster").all(), latency.verdict
trees_sweep = sizes.loc["trees"].sort_values("nodes")
assert trees_sweep.onnx_bytes.is_monotonic_increasing
assert trees_sweep.session_ms_low.iloc[-1] > trees_sweep.session_ms_high.iloc[0]
memory_low = trees_sweep.session_memory_bytes_low
assert memory_low.iloc[-1] > trees_sweep.session_memory_bytes_high.iloc[0]
load_or_run_frame = load_or_run.to_frame().set_index("candidate")
assert load_or_run_frame.verdict["one request"] == "faster"

# %%
# What to take away
# -----------------
# The table after this list gives, from this run, the figure behind each
# point.
#
# * **The file follows the number of nodes**: its bytes per node barely
#   change with the number of trees or their depth, so a forest's node
#   count predicts its size (:ref:`running_too_big` turns this into the size
#   at which a forest no longer fits in one ONNX file).
# * **Creating a session and the memory it holds grow with the forest.**
#   How much per node, and how that compares with unpickling, is in the
#   table; measure it on your own forest before you count on either.
# * **One request: ONNX Runtime was faster than scikit-learn for every
#   forest.** How each library's time grows with the trees and with the
#   depth is in the growth lines: compare ``x time`` with ``x nodes``, and
#   the ``sklearn_us per tree`` column with the depth; the table's verdict
#   line says whether this run's intervals separate the two libraries.
# * **Accuracy against size** is for your validation set to decide: the
#   table gives the accuracy gained or lost by capping the depth, with its
#   interval over the held-out rows.
# * **Load once.** Creating a session costs many requests' worth of time:
#   keep one session per process and reuse it for every request.
depth_8, unlimited = ("depth", "depth 8"), ("depth", "depth unlimited")
difference = correct[depth_8].astype(float) - correct[unlimited]
bootstrap = difference[resamples].mean(axis=1)
difference_low, difference_high = np.percentile(bootstrap, [2.5, 97.5])


growth_by = growth.set_index(["sweep", "library"])


def growth_text(sweep, library):
    """A sweep's growth of one request's time, with its interval, as text."""
    row = growth_by.loc[sweep, library]
    interval = f"[{row['x time low']:.1f}-{row['x time high']:.1f}]"
    nodes = f"{row['x nodes']:.1f}x the nodes ({row['from']} to {row['to']})"
    return f"{row['x time']:.1f}x as long {interval} for {nodes}"


def libraries_text(sweep):
    """Which library's request time grew more across a sweep, from the intervals."""
    onnx = growth_by.loc[sweep, ORT]
    sklearn = growth_by.loc[sweep, "scikit-learn"]
    if onnx["x time high"] < sklearn["x time low"]:
        return "ONNX Runtime's grew less (intervals apart)"
    if onnx["x time low"] > sklearn["x time high"]:
        return "ONNX Runtime's grew more (intervals apart)"
    return "no clear difference (intervals overlap)"


create = load_or_run_frame.loc["one request"]
create_interval = f"[{create.speedup_low:,.0f}-{create.speedup_high:,.0f}]"
create_text = f"{create.speedup:,.0f}x {create_interval}"
session_per_node = sizes["session µs per node"]
nodes_kept = sizes.nodes[depth_8] / sizes.nodes[unlimited]
accuracy_interval = f"[{difference_low:+.1%} to {difference_high:+.1%}]"
accuracy_text = f"{difference.mean():+.1%} {accuracy_interval}"
accuracy_text += f", with {nodes_kept:.0%} of the nodes"
pd.DataFrame(
    {
        "measured on this run": {
            "ONNX bytes per node": span(per_node, ".1f"),
            "creating a session, µs per node": span(session_per_node, ".2f"),
            "creating a session against unpickling": verdict_counts,
            "session memory / file size": span(memory_ratio, ".1f"),
            "scikit-learn request, trees sweep": growth_text("trees", "scikit-learn"),
            f"{ORT} request, trees sweep": growth_text("trees", ORT),
            "scikit-learn request, depth sweep": growth_text("depth", "scikit-learn"),
            f"{ORT} request, depth sweep": growth_text("depth", ORT),
            "verdict, trees sweep": libraries_text("trees"),
            "verdict, depth sweep": libraries_text("depth"),
            "accuracy, depth 8 minus unlimited": accuracy_text,
            "creating a session / one request": create_text,
        }
    }
).style.set_properties(**{"text-align": "left"})

# %%
# Clean up the model files:
import shutil

shutil.rmtree(workdir)
