"""
.. _tuning:

Tune a session for your model and batch size
============================================

How many threads should an ONNX Runtime session use? This lesson measures
why no fixed rule answers that, then lets :func:`helpers.tune` measure the
settings that matter for a linear model and a random forest, at one row and
at 10,000 rows, and keep its starting preset ("no clear winner") when no
setting is faster beyond the noise. It ends with the cost of the call itself:
``session.run`` against :class:`helpers.OnnxPredictor`, at one row and at
10,000 rows, where the predictor's value check reads every value. It follows
:ref:`model_grid` and builds on :ref:`running_session_options`.

It runs in about 25 seconds on the machine that builds these pages.
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

X, y = make_classification(
    n_samples=6_000,
    n_features=20,
    n_informative=10,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(
    X,
    y,
    test_size=0.5,
    random_state=0,
)
models = {
    "logistic": LogisticRegression(max_iter=1_000),
    "forest": RandomForestClassifier(n_estimators=50, max_depth=8, random_state=0),
}
for model in models.values():
    model.fit(X_train, y_train)
{name: f"accuracy {model.score(X_test, y_test):.3f}" for name, model in models.items()}

# %%
# Convert, and check each ONNX model against scikit-learn with
# :func:`helpers.assert_agrees` (labels equal, probabilities within float32
# rounding: ``atol=1e-5``, ``rtol=1e-4``).
import helpers

onnx_models, reports = {}, {}
for name, model in models.items():
    onnx_models[name] = helpers.convert(model, X_train[:1])
    predictor = helpers.OnnxPredictor(onnx_models[name])
    reports[name] = helpers.assert_agrees(model, predictor, X_test)
reports["forest"]

# %%
# Every timing on this page was measured here:
helpers.machine_summary()

# %%
# Why fixed rules for threads fail
# --------------------------------
# Two rules are common: "one thread per core" and "one thread, and run
# requests side by side". Whether either holds depends on the case. We time
# both on both models at one row and at 10,000 rows (the 3,000 test rows,
# repeated) with :func:`helpers.benchmark`: one intra-op thread, and one
# thread per usable core, both with spinning off (onnxruntime's default pool
# is one thread per physical core, and spins; :func:`helpers.tune` below
# times it as the ``"default"`` preset). Each is the public ``session.run``
# of its own session, interleaved in the same rounds, on rows converted to
# float32 before timing.
#
# A third candidate is a control: a second session with the very same
# setting as the first. Its interval shows how much two identical sessions
# differ on this machine; its verdict should be "no clear difference".
import onnxruntime
import pandas as pd

cores = helpers.usable_cpus()
ALL_CORES = f"{cores} threads"
X_test32 = X_test.astype(np.float32)


def session_run(onnx_model, threads):
    """``session.run`` for the probabilities, ``threads`` intra-op threads."""
    session = onnxruntime.InferenceSession(
        onnx_model.SerializeToString(),
        helpers.session_options("latency", intra_op_num_threads=threads),
        providers=["CPUExecutionProvider"],
    )
    return lambda batch: session.run(["probabilities"], {"X": batch})[0]


thread_frames = []
for name, onnx_model in onnx_models.items():
    result = helpers.benchmark(
        {
            "1 thread": session_run(onnx_model, 1),
            "1 thread, again": session_run(onnx_model, 1),
            ALL_CORES: session_run(onnx_model, cores),
        },
        X_test32,
        batch_sizes=(1, 10_000),
        min_repeat=15,
        min_time=0.001,
        budget=1.2,
    )
    thread_frames.append(result.to_frame().assign(model=name))
threads = pd.concat(thread_frames, ignore_index=True)
threads = threads[threads["candidate"] != "1 thread"]  # the baseline
columns = ["model", "batch_size", "candidate", "rounds", "median_us"]
columns += ["speedup", "speedup_low", "speedup_high", "verdict"]
threads[columns].style.format(
    {
        "median_us": "{:,.1f}",
        "speedup": "{:.2f}x",
        "speedup_low": "{:.2f}x",
        "speedup_high": "{:.2f}x",
    }
).hide(axis="index")

# %%
# Above 1, the candidate beat one thread. The figure puts the four cases side
# by side, each next to its control, with the 95% intervals as error bars;
# the title counts the verdicts of this run.
import matplotlib.pyplot as plt


def rows_label(rows):
    return f"{rows:,} row" + "s" * (rows > 1)


fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
# sphinx_gallery_thumbnail_number = 1
for offset, candidate, colour in [
    (-0.2, ALL_CORES, "C0"),
    (0.2, "1 thread, again", "grey"),
]:
    bars = threads[threads["candidate"] == candidate]
    positions = np.arange(len(bars)) + offset
    below = bars["speedup"] - bars["speedup_low"]
    above = bars["speedup_high"] - bars["speedup"]
    label = f"{ALL_CORES} against 1" if candidate == ALL_CORES else "control: 1 thread"
    ax.bar(positions, bars["speedup"], width=0.4, color=colour, label=label)
    ax.errorbar(
        positions,
        bars["speedup"],
        yerr=[below, above],
        fmt="none",
        color="black",
    )
ax.axhline(1, color="black", linestyle="--", linewidth=1)
case_labels = bars["model"] + "\n" + bars["batch_size"].map(rows_label)
ax.set_xticks(np.arange(len(bars)), case_labels.tolist())
ax.set_ylabel("speed-up against 1 thread (x)")
fig.legend(loc="outside lower center", ncols=2)
verdicts = threads[threads["candidate"] == ALL_CORES]["verdict"].value_counts()
fig.suptitle(
    f"{ALL_CORES} against 1: faster in {verdicts.get('faster', 0)} of 4 cases, "
    f"slower in {verdicts.get('slower', 0)},\n"
    f"no clear difference in {verdicts.get('no clear difference', 0)}"
)
plt.show()

# %%
# What to expect, and why. At one row there is too little work to share:
# waking a second thread can cost about as much as it saves. At 10,000 rows
# there is work to share, but how onnxruntime shares it matters: its tree
# kernel gives each thread a share of the forest's *trees* and walks the rows
# in blocks of 128, every thread waiting for the others at the end of each
# block (:ref:`cores_and_batch_size` reads the kernel and measures it), which
# can pay off when cores are free and loses when one thread is held up; a
# linear model's one matrix product is short, so splitting it may cost more
# than it saves. On a machine busy with other
# work, extra threads wait for cores, and the intervals widen. So each rule
# can fail, and which one fails depends on the model, the batch size *and*
# the machine (its cores, and who else uses them): measure rather than
# assume.
#
# The settings, by hand
# ---------------------
# Every session setting tried below is a ``SessionOptions`` attribute or
# config entry, each explained and measured on its own in
# :ref:`running_session_options`; the one setting that is not, the rows
# split over workers each calling a one-thread session, is the predictor's
# (``OnnxPredictor(..., row_workers=...)``, :ref:`cores_and_batch_size`).
# The session's settings, written out without ``helpers``:
options = onnxruntime.SessionOptions()
options.intra_op_num_threads = 1  # threads splitting one operator; 0: one per core
options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL  # or ORT_PARALLEL
options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
options.add_session_config_entry("session.intra_op.allow_spinning", "0")
forest_session = onnxruntime.InferenceSession(
    onnx_models["forest"].SerializeToString(),
    options,
    providers=["CPUExecutionProvider"],
)
forest_session.get_session_options().intra_op_num_threads

# %%
# :func:`helpers.session_options` hides these lines (``allow_spinning=False``
# sets the config entry), and :class:`~helpers.lessons.settings.Setting` is one
# combination of them.
#
# Let the machine choose: :func:`helpers.tune`
# --------------------------------------------
# ``tune`` starts from the preset for the batch size
# (``helpers.session.preset_for``: ``"latency"``, one thread, for a few
# rows; onnxruntime's ``"default"`` from 16 rows; ``"throughput"`` from
# 1,000 rows on, which for a tree ensemble splits the rows over every
# usable core, see :ref:`cores_and_batch_size`) and changes one knob at a
# time, keeping the
# best so far: how the cores are used, either intra-op threads (1 up to the
# cores) or, for large batches, the rows split over as many workers on a
# one-thread session; then smaller chunks for a split; then spinning (only
# with more than one thread); then sequential against parallel execution;
# then the optimisation level. Each round interleaves the best so far with
# its challengers in paired rounds, and a challenger replaces it only when
# its whole 95% interval is above 1.05: faster by more than a 5% margin,
# beyond the noise. A last round times the choice and every preset in one
# run, against the starting preset. One knob at a time does not reach every
# preset: from ``"latency"`` (one thread, no pool) the search never times a
# pool that spins, which is onnxruntime's ``"default"``. So when the search
# kept the starting preset and the last round finds another preset faster
# beyond the margin, ``tune`` takes that preset. When nothing clears the
# bar, in the search or in the last round, the starting preset stays and
# the result says "no clear winner". Only ``session.run`` is timed (split
# over threads for a row split), on a batch prepared beforehand. The
# ``budget`` seconds are shared by the rounds, but each comparison runs at
# least ten rounds, so a slow case overruns it (here the forest at 10,000
# rows): the ``seconds`` column of the table below says by how much.
#
# Spinning keeps idle pool threads busy-waiting for the next call: it can win
# a benchmark while taking cores from everything else on the machine, one
# more reason a winner must clear the margin.
TUNE_BUDGET = 0.8  # seconds for each case, shared by its rounds
tunings = {}
for name, onnx_model in onnx_models.items():
    for batch_size in (1, 10_000):
        tunings[name, batch_size] = helpers.tune(
            onnx_model,
            X_test,
            batch_size=batch_size,
            budget=TUNE_BUDGET,
        )
tunings["forest", 10_000]

# %%
# The decision for each case. ``final`` is the last round: the choice
# against the starting preset and the other presets, with intervals, plus a
# control, the starting preset timed a second time in the same rounds. When
# ``tune`` found no clear winner, the choice *is* the starting preset.
#
# The starting preset is also timed in the first round of the search, a few
# seconds earlier. Its median time per call there and in the final round,
# each with its 95% interval, agree when the machine kept its speed; when
# the intervals do not overlap, the machine drifted between the two rounds
# (on a shared machine, other work came or went). The speed-ups stay
# valid, since each comes from one round's paired timings, but times from
# different rounds do not compare. The control cannot see such a drift: it
# is the same session timed twice in each round, so a drift hits both
# alike; it says whether two timings in the same round agree. ``tune``
# notes either problem, and the table shows its notes.


def with_interval(row):
    """A median time per call and its 95% interval, in µs."""
    return f"{row.median_us:,.1f} [{row.median_low_us:,.1f}, {row.median_high_us:,.1f}]"


def against_start(tuning, preset, final):
    """A preset's speed-up against the start in the final round, or: same settings."""
    settings = tuning.presets
    same = [p for p in settings if p != preset and settings[p] == settings[preset]]
    if tuning.start in same:
        return f"{preset} (same settings as {tuning.start})"
    row = final.loc[f"preset {preset}"]
    twin = f"; same settings as {same[0]}" if same else ""
    return f"{preset} {row.speedup:.2f}x ({row.verdict}{twin})"


decisions = []
for (name, batch_size), tuning in tunings.items():
    final = tuning.final.set_index("setting")
    start = f"preset {tuning.start}"
    others = [p for p in tuning.presets if p != tuning.start]
    early = tuning.measurements.iloc[0]  # the start, in the search's first round
    late = final.loc[start]
    agree = early.median_low_us <= late.median_high_us
    agree &= late.median_low_us <= early.median_high_us
    chosen = vars(tuning.best)  # the choice's fields: did it win a round of the search?
    won = tuning.measurements[tuning.measurements["verdict"] == "faster"]
    searched = chosen in won[list(chosen)].to_dict("records")
    decisions.append(
        {
            "model": name,
            "rows": batch_size,
            "start": tuning.start,
            "decision": tuning.best.label if tuning.decided else "no clear winner",
            "chosen in": ("search" if searched else "final round")
            if tuning.decided
            else "-",
            "tuned vs start": final.loc["tuned", "speedup"],
            "low": final.loc["tuned", "speedup_low"],
            "high": final.loc["tuned", "speedup_high"],
            "other presets vs start": ", ".join(
                against_start(tuning, p, final) for p in others
            ),
            "start µs, round 1": with_interval(early),
            "start µs, final": with_interval(late),
            "start agrees": "yes" if agree else "no: drift",
            "notes": "; ".join(tuning.notes) or "none",
            "budget": TUNE_BUDGET,
            "seconds": tuning.seconds,
        }
    )
decisions = pd.DataFrame(decisions)
ratio_columns = ["tuned vs start", "low", "high"]
styled = decisions.style.format("{:.2f}x", subset=ratio_columns)
styled.format("{:.1f}", subset=["budget", "seconds"]).hide(axis="index")

# %%
# In this run, case by case, and where the choice was made: in the search,
# or in the final round, where ``tune`` takes a preset faster than a kept
# start (a preset the search may never have tried). Other presets faster
# than the start in the final round are listed too. Before each timing,
# every round waits until the process is idle, so that a spinning setting
# does not take the cores of the setting timed after it
# (:func:`helpers.timing.settle`; :ref:`running_session_options` measures
# what a spinning pool costs the work after it).
for _, row in decisions.iterrows():
    start = row["start"]
    if row["decision"] == "no clear winner":
        what = f"no clear winner, the {start} preset stays"
    elif row["chosen in"] == "search":
        what = f"{row['decision']} beat the {start} preset beyond the margin"
    else:
        what = (
            f"the search kept the {start} preset; the final round found "
            f"{row['decision']} faster beyond the margin, and tune took it"
        )
    if "(faster)" in row["other presets vs start"]:
        what += f"; in the final round: {row['other presets vs start']}"
    if row["start agrees"] != "yes":
        what += (
            f"; the {start} preset's time per call moved between round 1 "
            f"({row['start µs, round 1']} µs) and the final round "
            f"({row['start µs, final']} µs): the machine drifted, the "
            "speed-ups hold, the times do not compare"
        )
    unsteady = [note for note in row["notes"].split("; ") if "against itself" in note]
    if unsteady:
        what += f"; WARNING, the control: {unsteady[0]}"
    print(f"{row['model']}, {rows_label(row['rows'])}: {what}")

# %%
# Each chosen setting is one that was tried, and a session built with it
# predicts what scikit-learn predicts. ``OnnxPredictor.tuned(onnx_model, X,
# batch_size=...)`` does the tuning and this construction in one call.
for (name, _), tuning in tunings.items():
    assert tuning.best in tuning.tried
    tuned = helpers.OnnxPredictor(
        onnx_models[name], preset=None, **tuning.predictor_options
    )
    helpers.assert_agrees(models[name], tuned, X_test)
print("every tuned session agrees with scikit-learn")

# %%
# Tune on the machine that serves, with the batch size it serves, and tune
# again when either changes; "no clear winner" is a useful answer too: the
# preset is as good as anything ``tune`` tried, on this machine.
#
# The cost of the call itself
# ---------------------------
# At one row, a logistic regression has almost nothing to compute, so the
# work around the computation (Python, the bindings, the checks) is a large
# share of each call. Four ways to call the same one-thread model:
#
# * ``session.run(None, feed)``, as most tutorials write it: it fetches every
#   output (labels and probabilities) and checks the feed in Python;
# * ``session.run(["probabilities"], feed)``: the same public call, fetching
#   only the output we want;
# * :class:`helpers.OnnxPredictor`: its input checks (shape, type, one pass
#   for NaN and infinity) take a fast path for a float32 C-contiguous array,
#   then it calls the compiled session that ``session.run`` wraps through a
#   private attribute, fetching the output asked for; the model runs as
#   converted, so the probabilities are the session's, bit for bit;
# * the same with ``reuse_buffers=True``: input and output buffers bound
#   once (``session.io_binding()``), the row copied in, the output buffer
#   returned.
session = onnxruntime.InferenceSession(
    onnx_models["logistic"].SerializeToString(),
    helpers.session_options("latency"),
    providers=["CPUExecutionProvider"],
)
predictor = helpers.OnnxPredictor(onnx_models["logistic"], preset="latency")
fast_predictor = helpers.OnnxPredictor(
    onnx_models["logistic"],
    preset="latency",
    reuse_buffers=True,
)
row = X_test32[:1]
calls = {
    "session.run(None, feed)": lambda batch: session.run(None, {"X": batch}),
    "session.run([probabilities], feed)": lambda batch: session.run(
        ["probabilities"],
        {"X": batch},
    ),
    "OnnxPredictor (helpers)": predictor.predict_proba,
    "OnnxPredictor, reuse_buffers": fast_predictor.predict_proba,
}
bare_labels, bare_proba = calls["session.run(None, feed)"](row)
for name in list(calls)[2:]:  # the same probabilities, bit for bit
    np.testing.assert_array_equal(calls[name](row), bare_proba, err_msg=name)
overhead = helpers.benchmark(
    calls,
    row,
    batch_sizes=(1,),
    repeat=101,
    budget=1.5,
    min_time=0.001,
)
overhead

# %%
# Many short interleaved timings make the median robust to bursts of other
# work on the machine. The figure's title is formatted from this run.
names = list(calls)
medians = [overhead.median(name, 1) * 1e6 for name in names]
fig, ax = plt.subplots(figsize=(8, 3), layout="constrained")
ax.barh(names, medians, color=["tab:grey", "tab:grey", "tab:blue", "tab:green"])
ax.invert_yaxis()
ax.set_xlabel("median time per one-row call (µs)")


def against_bare(name):
    speedup, low, high = overhead.interval(name, 1)
    return f"{speedup:.2f}x [{low:.2f}x, {high:.2f}x], {overhead.verdict(name, 1)}"


fig.suptitle(
    "One row, against session.run(None, feed): "
    f"OnnxPredictor {against_bare('OnnxPredictor (helpers)')},\n"
    f"with reuse_buffers {against_bare('OnnxPredictor, reuse_buffers')}"
)
plt.show()

# %%
# The verdicts of this run, each against ``session.run(None, feed)``, and a
# wide-margin check: the predictor's checks must not make it much slower
# than the bare call.
for name in names[1:]:
    print(f"{name}: {against_bare(name)}")
assert overhead.speedup("OnnxPredictor (helpers)", 1) > 0.5

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
expected = models["logistic"].predict_proba(X_test[:1])
np.testing.assert_allclose(kept, expected, atol=1e-5)
pd.DataFrame({"kept copy": kept[0], "first, after the second call": first[0]})

# %%
# The cost of the checks on a large batch
# ---------------------------------------
# At 10,000 rows the call does real work, and the fixed cost of the Python
# around it is shared by many rows; what grows with the rows is the value
# check. Before the session runs, the predictor looks at every value of the
# batch once for NaN and infinity (``np.isfinite``), because scikit-learn
# refuses them where the ONNX model would answer anyway. A logistic
# regression does little more per value than that: 20 multiply-adds per row.
# Three ways to get the probabilities of 10,000 rows, in one interleaved run:
#
# * ``InferenceSession(model)`` with no options, ``session.run`` fetching the
#   probabilities: the baseline;
# * the same session, after ``np.isfinite(batch).all()``: the value check
#   alone, written out;
# * :class:`helpers.OnnxPredictor` with the ``"throughput"`` preset, which
#   for a linear model keeps onnxruntime's own settings: a session set up as
#   the baseline's, with all of the predictor's checks (the value check, the
#   input's shape and type, the output's values), called through the
#   compiled session that ``session.run`` wraps;
#
# and the baseline a second time, as a control.
default_session = onnxruntime.InferenceSession(
    onnx_models["logistic"].SerializeToString(),
    providers=["CPUExecutionProvider"],
)


def default_run(batch):
    return default_session.run(["probabilities"], {"X": batch})[0]


def checked_run(batch):
    if not np.isfinite(batch).all():
        raise ValueError("NaN or infinity in the batch")
    return default_run(batch)


BARE, CHECK = "InferenceSession(model)", "isfinite, then InferenceSession(model)"
PREDICTOR = "OnnxPredictor, preset throughput"
LARGE = 10_000
batch_calls = {
    BARE: default_run,
    CHECK: checked_run,
    PREDICTOR: helpers.OnnxPredictor(
        onnx_models["logistic"], preset="throughput"
    ).predict_proba,
}
large = helpers.benchmark(
    batch_calls,
    X_test32,
    batch_sizes=(LARGE,),
    min_repeat=21,
    budget=2.5,
    control=True,
)
large.to_frame()[["candidate", "median_us", "speedup", "speedup_low", "speedup_high"]]

# %%
# What the run says, printed from its verdicts. The control comes first:
# when its verdict is not "no clear difference", two timings of the same
# call in the same rounds disagreed (the machine was unsteady while this
# ran), and the other lines are not to be trusted. Then the time each
# route adds to the bare call, in µs: the median, over the rounds, of its
# time minus the bare call's time in the same round (negative: less time),
# with its verdict against the bare call.
control = f"{BARE} (control)"
for name in [control, CHECK, PREDICTOR]:
    speedup, low, high = large.interval(name, LARGE)
    verdict = large.verdict(name, LARGE)
    print(f"{name}: {speedup:.2f}x [{low:.2f}x, {high:.2f}x], {verdict}")


def added_us(name):
    """Median over the rounds of (name's time - the bare call's time), in µs."""
    paired = np.subtract(large.timings[name, LARGE], large.timings[BARE, LARGE])
    return float(np.median(paired)) * 1e6


bare_us = large.median(BARE, LARGE) * 1e6
check_us, predictor_us = added_us(CHECK), added_us(PREDICTOR)
print(
    f"added to the bare call ({bare_us:,.0f} µs): the value check written out "
    f"{check_us:+,.0f} µs ({large.verdict(CHECK, LARGE)}), the predictor "
    f"{predictor_us:+,.0f} µs ({large.verdict(PREDICTOR, LARGE)})"
)
if large.verdict(control, LARGE) != "no clear difference":
    print("WARNING: the control moved, the machine was unsteady: rerun this cell")

# %%
# Is the predictor's extra time the value check's? Both make the same pass
# over the values (the predictor with ``np.isfinite`` too), so what differs
# is the rest of the call. The predictor against the check written out, in
# the same rounds, and what its verdict means:
speedup, low, high = large.interval(PREDICTOR, LARGE, CHECK)
against_check = large.verdict(PREDICTOR, LARGE, CHECK)
meaning = {
    "no clear difference": "the predictor and the value check written out "
    "cost the same within the margin: the rest of its work is within the noise",
    "slower": "the predictor costs more than the value check alone: the rest "
    "of its work (its other checks, the output's values among them) costs "
    "measurably on top of it",
    "faster": "the predictor costs less than the value check written out "
    "around session.run: with the same pass over the values, the rest of its "
    "call (the compiled session, not session.run) costs less",
}[against_check]
print(
    f"{PREDICTOR} against {CHECK}: {speedup:.2f}x [{low:.2f}x, {high:.2f}x], "
    f"{against_check}: {meaning}"
)

# %%
# For this model the throughput preset sets the session up as
# ``InferenceSession(model)`` does, so the lines above separate what the
# checks cost from the model's own work. The value check is the price of
# refusing NaN and infinity where scikit-learn refuses them. The pass reads
# the same 20 values per row whatever the model, so its share is largest
# where the model does least per value, as here; a forest or an MLP does
# more per row. ``benchmarks/throughput.py`` in the repository prints the
# bare session and the predictor side by side for six models at four batch
# sizes, on the machine where you run it. scikit-learn's own
# ``predict_proba`` checks for NaN and infinity too (``check_array``), but
# more cheaply: it sums the values and checks that one number, and scans
# them one by one only when the sum is not finite (``_assert_all_finite``
# in ``sklearn/utils/validation.py``, scikit-learn 1.9). So against
# scikit-learn the predictor pays a little more for the same refusal; the
# lines above say how much that is next to the model's work.
