"""
.. _long_running_service:

A service that runs for weeks: memory and threads
=================================================

A service that is fast in a test can still fail after weeks in production:
its memory grows until the container is killed, or its threads fight over the
cores the container grants. Both are frequent onnxruntime reports. You will
measure a session's resident memory over 100,000 requests of varying sizes,
each setting in a fresh process; count the threads a session starts and see
what sets their number in a container; and share the cores between worker
processes and intra-op threads. It follows :ref:`web_service` and takes
about half a minute.
"""

# %%
# Two models, as files
# --------------------
# A small pipeline (a scaler and a 10-tree forest) answers the 100,000
# requests of the memory runs in microseconds each; the 100-tree forest of
# :ref:`web_service` has work enough to share between threads. Processes
# started below load them from files in a temporary directory.
#
# onnxruntime 1.29+ sends telemetry on Linux and macOS (its pull request
# #27379) from a thread that starts seconds after the import, allocates memory
# and reaches out to the network: ``import helpers`` sets
# ``ORT_DISABLE_TELEMETRY=1`` before onnxruntime loads; set it in a service's
# environment too.
import os
import tempfile
from pathlib import Path

import helpers
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

X, y = load_breast_cancer(return_X_y=True)
small_forest = RandomForestClassifier(10, max_depth=6, random_state=0)
sklearn_models = {
    "small": make_pipeline(StandardScaler(), small_forest),
    "forest": RandomForestClassifier(n_estimators=100, random_state=0),
}
workdir = Path(tempfile.mkdtemp(prefix="long-running-"))
model_paths = {}
for name, sklearn_model in sklearn_models.items():
    onnx_model = helpers.convert(sklearn_model.fit(X, y), X[:1])
    helpers.assert_agrees(sklearn_model, helpers.OnnxPredictor(onnx_model), X)
    model_paths[name] = str(workdir / f"{name}.onnx")
    Path(model_paths[name]).write_bytes(onnx_model.SerializeToString())
helpers.machine_summary()  # where every figure of this page was measured

# %%
# Memory over 100,000 requests
# ----------------------------
# Two session options decide how onnxruntime keeps memory between runs:
#
# * ``enable_cpu_mem_arena`` (on by default): freed buffers go back to a
#   pool, the *arena*, which grows to fit the largest run and keeps that
#   memory for later runs instead of giving it back to the system;
# * ``enable_mem_pattern`` (on by default): the session records where a
#   run's intermediate tensors went and allocates them as one planned block
#   in the next run with the same input shapes; one plan per shape.
#
# Each request's batch size is drawn from a Zipf distribution (seeded): most
# carry one row, a few up to 1,000, and the shapes keep changing.
N_REQUESTS, EVERY = 100_000, 1_000  # read the memory every 1,000 requests
sizes = np.minimum(np.random.default_rng(0).zipf(2.0, N_REQUESTS), 1_000)
np.save(workdir / "sizes.npy", sizes)
print(
    f"{N_REQUESTS:,} requests: {np.mean(sizes == 1):.0%} of one row, 99th "
    f"percentile {np.percentile(sizes, 99):.0f} rows, largest {sizes.max()}; "
    f"{len(np.unique(sizes))} different sizes"
)

# %%
# The script below loads the model with the two options, sends the requests
# and reads its own *resident* memory (what it holds in RAM, what a
# container's memory limit watches) every 1,000 requests. It runs the raw
# ``session.run`` with one intra-op thread, as the web app's ``"latency"``
# preset does, and imports only numpy and onnxruntime, so it starts fast and
# runs on your own model and sizes too (``python memory_run.py model.onnx on
# off sizes.npy``).
MEMORY_RUN = '''import json
import os
import sys

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before onnxruntime loads
import numpy as np
import onnxruntime


def resident_bytes():
    """Resident memory of this process in bytes (outside Linux: its peak)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024  # the file says kB
    except OSError:
        import resource  # macOS and other Unix systems; not Windows

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


if __name__ == "__main__":
    model_path, arena, pattern, sizes_path = sys.argv[1:5]
    options = onnxruntime.SessionOptions()
    options.enable_cpu_mem_arena = arena == "on"
    options.enable_mem_pattern = pattern == "on"
    options.intra_op_num_threads = 1
    cpu = ["CPUExecutionProvider"]
    session = onnxruntime.InferenceSession(model_path, options, providers=cpu)
    feature = session.get_inputs()[0]
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(1_000, feature.shape[1])).astype(np.float32)
    session.run(None, {feature.name: rows[:1]})  # warm-up, as the web app
    memory = [resident_bytes()]
    for count, size in enumerate(np.load(sizes_path), start=1):
        session.run(None, {feature.name: rows[:size]})
        if count % 1_000 == 0:
            memory.append(resident_bytes())
    print(json.dumps(memory))
'''
memory_run = workdir / "memory_run.py"
memory_run.write_text(MEMORY_RUN)

# %%
# Each run is a fresh process, so that nothing of another setting stays in
# its memory: four settings, twice, the second time in reverse order, one
# run per usable CPU at a time (memory does not depend on speed). The scripts
# set ``ORT_DISABLE_TELEMETRY`` for when you run them alone; started from here,
# they inherit it from this process's environment anyway.
import json
import subprocess
import sys
from itertools import product

settings = list(product(["on", "off"], repeat=2))  # (arena, pattern)
order = settings + settings[::-1]
readings = {setting: [] for setting in settings}
at_once = helpers.usable_cpus()
for first in range(0, len(order), at_once):
    started = {}
    for setting in order[first : first + at_once]:
        command = [sys.executable, memory_run, model_paths["small"], *setting]
        command.append(workdir / "sizes.npy")
        started[setting] = subprocess.Popen(command, stdout=subprocess.PIPE)
    for setting, process in started.items():
        output, _ = process.communicate(timeout=300)
        assert process.returncode == 0, f"the run with {setting} failed"
        readings[setting].append(json.loads(output))

# %%
# Growth is read after the first 10,000 requests, once the arena and the
# plans for the common sizes are in place: the two runs' mean, and their
# range as the interval. Memory moves by pages of 4 KiB, so the verdict has a
# tolerance: *grew* when both runs grew by more than 10 KiB per 10,000
# requests (1 MiB per million), *flat* when both stayed within it.
import pandas as pd

MiB, KiB, AFTER_10K, TOLERANCE = 2**20, 2**10, 10_000 // EVERY, 10


def growth_verdict(low, high):
    """The interval of growth per 10,000 requests (KiB), in words."""
    if low > TOLERANCE:
        return "grew"
    if high < -TOLERANCE:
        return "shrank"
    flat = -TOLERANCE <= low and high <= TOLERANCE
    return "flat within the tolerance" if flat else "unclear: the runs disagree"


memory_rows, verdicts = [], {}
for (arena, pattern), runs in readings.items():
    runs = np.array(runs, dtype=float)  # one line per run
    per_10k = (runs[:, -1] - runs[:, AFTER_10K]) / (N_REQUESTS / 10_000 - 1) / KiB
    low, high = per_10k.min(), per_10k.max()
    verdicts[arena, pattern] = growth_verdict(low, high)
    levels = runs[:, [0, AFTER_10K, -1]].mean(axis=0) / MiB
    growth = f"{per_10k.mean():.1f} [{low:.1f}, {high:.1f}]"
    memory_rows.append([arena, pattern, *levels, growth, verdicts[arena, pattern]])
columns = ["arena", "mem pattern", "start (MiB)", "after 10k (MiB)", "end (MiB)"]
columns += ["growth per 10k requests (KiB)", "verdict"]
pd.DataFrame(memory_rows, columns=columns).style.format(precision=2).hide(axis="index")

# %%
# Each run's memory above its start (dashed: the second runs). Growth in
# steps, each when a request larger than all before it arrives, ends once
# the largest batch the service accepts has come (``max_batch`` in the web
# app); growth that goes on request after request is a leak.
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
requests = np.arange(N_REQUESTS // EVERY + 1) * EVERY
for index, ((arena, pattern), runs) in enumerate(readings.items()):
    for run, style in zip(runs, ["-", "--"], strict=True):
        label = f"arena {arena}, pattern {pattern}" if style == "-" else None
        above = (np.array(run) - run[0]) / KiB
        ax.plot(requests, above, style, color=f"C{index}", label=label)
ax.set(xlabel="requests sent", ylabel="resident memory above its start (KiB)")
ax.legend(fontsize="small")
grew = [f"arena {a}, pattern {p}" for (a, p), v in verdicts.items() if v == "grew"]
finding = (
    f"grew with {'; '.join(grew)}" if grew else "no setting grew beyond the tolerance"
)
ax.set_title(f"Resident memory after the first 10,000 requests:\n{finding}")
plt.show()

# %%
# Through the web app
# -------------------
# The app of :ref:`web_service` adds :class:`helpers.OnnxPredictor`'s checks,
# JSON, validation and HTTP. ``create_app(..., session_options=...)`` sets the
# two options (a dict overrides its ``"latency"`` preset; a ``SessionOptions``
# replaces it), and ``GET /status`` reports them with the process's resident
# memory, now and at its peak. FastAPI's ``TestClient`` runs the app in this
# process, so that memory is the whole process's: its level carries all that
# ran before, and the peak never goes down. Only differences within one app's
# run are compared, after a first request of ``max_batch`` rows has taken the
# memory to what any request may need: the first 1,000 sizes above, with the
# memory read every 100 requests.
from fastapi.testclient import TestClient
from helpers.serving import DEFAULT_MAX_BATCH, create_app

N_HTTP, HTTP_EVERY = 1_000, 100
full_batch = np.resize(X, (DEFAULT_MAX_BATCH, X.shape[1])).tolist()
app_memory = {}
for setting in ["on", "off"]:  # the arena and the memory pattern together
    on = setting == "on"
    overrides = {"enable_cpu_mem_arena": on, "enable_mem_pattern": on}
    app = create_app(model_paths["small"], session_options=overrides)
    with TestClient(app) as client:
        assert client.post("/predict", json={"rows": full_batch}).is_success
        memory = []
        for count, size in enumerate(sizes[:N_HTTP], start=1):
            answer = client.post("/predict", json={"rows": full_batch[:size]})
            assert answer.status_code == 200, answer.text
            if count % HTTP_EVERY == 0:
                status = client.get("/status").json()
                memory.append(status["memory"])
    assert status["requests"]["served"] == N_HTTP + 1  # counted since start-up
    app_memory[f"arena {setting}, pattern {setting}"] = pd.DataFrame(memory)
for section in ["cpus", "threads", "memory"]:  # the last app's, once
    print(f"GET /status {section}: {json.dumps(status[section])}")

# %%
# Growth per 10,000 requests over the second half of each run, from the
# resident memory and from its peak (the peak rises when a request needs more
# than any before it), with the tolerance and the words of the table above;
# one run each, so no interval. Outside Linux, ``/status`` has only the peak.
for label, memory in app_memory.items():
    in_bytes = memory[["resident_bytes", "peak_resident_bytes"]].astype(float)
    half = len(in_bytes) // 2
    growth = (in_bytes.iloc[-1] - in_bytes.iloc[half - 1]) / (N_HTTP / 2)
    resident, peak = growth * 10_000 / KiB
    print(
        f"app, {label}: resident {resident:+.1f} KiB, peak {peak:+.1f} KiB per "
        f"10,000 requests after the first {N_HTTP // 2:,}: "
        f"{growth_verdict(resident, resident)}"
    )

# %%
# Threads in a container
# ----------------------
# Three figures say how many CPUs a process has, and in a container they
# disagree: ``os.cpu_count()`` counts the machine's; the *affinity mask*
# (``docker --cpuset-cpus``, ``taskset``) lists those the process may run on;
# a cgroup *CPU quota* (``docker --cpus``, a Kubernetes CPU limit) caps its
# CPU time, in CPUs' worth. :func:`helpers.usable_cpus` takes the mask,
# capped by the quota.
from helpers.machine import CGROUP, read_system_file

quota = read_system_file(CGROUP + "cpu.max")  # cgroup v2: "max 100000", no quota
quota = quota or read_system_file(CGROUP + "cpu/cpu.cfs_quota_us")  # v1: "-1"
mask = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
usable = helpers.usable_cpus()
{
    "os.cpu_count()": os.cpu_count(),
    "affinity mask": "not on this system" if mask is None else mask,
    "cgroup quota file": quota.strip() or "none found",
    "helpers.usable_cpus()": usable,
}

# %%
# How many threads does a session start? Linux lists a process's threads in
# ``/proc/self/task``; the script below counts them around the creation of a
# session (a pool of N intra-op threads starts N - 1: the thread that calls
# ``run`` is the N-th): a default session, one with ``intra_op_num_threads``
# set, and a default one once the process may use one CPU only (as under
# ``--cpuset-cpus=0``). It runs twice, the second time with
# ``ORT_INTRA_OP_NUM_THREADS`` in its environment, as a container sets it:
# onnxruntime's pull request #29688 sizes the default pool from it, and the
# counts show what the installed version does.
import onnxruntime

COUNT_THREADS = """import json
import os
import sys

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before onnxruntime loads
import onnxruntime


def pool_size(model_path, threads=0):  # 0: onnxruntime's default
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    before = len(os.listdir("/proc/self/task"))
    cpu = ["CPUExecutionProvider"]
    session = onnxruntime.InferenceSession(model_path, options, providers=cpu)
    threads = len(os.listdir("/proc/self/task")) - before + 1
    del session  # its threads end with it, after the count
    return threads


if __name__ == "__main__":
    model_path, threads = sys.argv[1], int(sys.argv[2])
    counts = {"default": pool_size(model_path)}
    counts[f"intra_op_num_threads={threads}"] = pool_size(model_path, threads)
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one CPU
    counts["default, one CPU allowed"] = pool_size(model_path)
    print(json.dumps(counts))
"""
thread_counts = {}
if hasattr(os, "sched_setaffinity"):  # Linux
    count_threads = workdir / "count_threads.py"
    count_threads.write_text(COUNT_THREADS)
    command = [sys.executable, count_threads, model_paths["forest"], str(usable)]
    done = subprocess.run(command, capture_output=True, check=True)
    plain = thread_counts["(none)"] = json.loads(done.stdout)
    wanted = 1 if plain["default"] > 1 else 2  # not the default's size
    environment = {**os.environ, "ORT_INTRA_OP_NUM_THREADS": str(wanted)}
    done = subprocess.run(command, env=environment, capture_output=True, check=True)
    with_variable = json.loads(done.stdout)
    thread_counts[f"ORT_INTRA_OP_NUM_THREADS={wanted}"] = with_variable
    one_cpu = plain["default, one CPU allowed"]
    print(f"a default session: {plain['default']} threads, {usable} usable CPUs")
    if plain["default"] > 1:
        follows = "follows" if one_cpu == 1 else "does not follow"
        print(f"one CPU allowed: {one_cpu} threads; the default {follows} the mask")
    variable = "followed" if with_variable["default"] == wanted else "ignored"
    print(f"ORT_INTRA_OP_NUM_THREADS={wanted}: {variable} by a default session")
    option = with_variable[f"intra_op_num_threads={usable}"] == usable
    print(f"intra_op_num_threads={usable} {'wins' if option else 'loses'} over it")
pd.DataFrame(thread_counts).T.rename_axis(f"onnxruntime {onnxruntime.__version__}")

# %%
# Worker processes x intra-op threads
# -----------------------------------
# A web server scales with processes (uvicorn or gunicorn ``--workers``),
# each session with its own pool: W workers of T threads run W x T threads.
# What a process pool sends its workers is pickled, and a session cannot be:
import pickle

CPU = ["CPUExecutionProvider"]
try:
    pickle.dumps(onnxruntime.InferenceSession(model_paths["forest"], providers=CPU))
    pickle_error = "no error: this onnxruntime pickles sessions"
except TypeError as error:
    pickle_error = f"{type(error).__name__}: {error}"
pickle_error

# %%
# So each worker creates its own session from the model's path, in a pool
# *initializer* that runs once per worker (``uvicorn --factory
# helpers.serving:app_from_env`` does the same: each worker calls the
# factory). The script below scores 1,000-row batches in three layouts for n
# usable CPUs: 1 x n, n x 1, and n x n (oversubscribed); six rounds take them
# in turn, with an idle pause before each. Only ``intra_op_num_threads`` is
# set (idle threads spin, onnxruntime's default). Above 4 usable CPUs, the
# script keeps to 4, as a 4-CPU container.
SCORE_IN_WORKERS = """import json
import multiprocessing
import os
import sys
import time

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before onnxruntime loads
import numpy as np
import onnxruntime

session = batch = None  # each worker process's own


def start_worker(model_path, threads, ready):
    global session, batch
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    cpu = ["CPUExecutionProvider"]
    session = onnxruntime.InferenceSession(model_path, options, providers=cpu)
    width = session.get_inputs()[0].shape[1]
    batch = np.random.default_rng(0).normal(size=(1_000, width)).astype("float32")
    score(0)  # warm-up
    ready.wait()  # until every worker of the pool is ready


def score(_):
    return len(session.run(None, {session.get_inputs()[0].name: batch})[0])


if __name__ == "__main__":
    model_path, cpus = sys.argv[1], int(sys.argv[2])
    if hasattr(os, "sched_setaffinity"):  # the workers inherit the mask
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:cpus])
    context = multiprocessing.get_context("spawn")
    pools = {}
    for workers, threads in [(1, cpus), (cpus, 1), (cpus, cpus)]:
        initargs = (model_path, threads, context.Barrier(workers))
        pool = context.Pool(workers, start_worker, initargs)
        pool.apply(score, (0,))  # answered once every worker is ready
        pools[f"{workers} x {threads}"] = pool
    names, seconds = list(pools), {name: [] for name in pools}
    for turn in range(6):
        for name in names[turn % 3 :] + names[: turn % 3]:
            time.sleep(0.05)  # idle pause: spinning threads go to sleep
            start = time.perf_counter()
            rows = sum(pools[name].map(score, range(8 * cpus), chunksize=1))
            seconds[name].append(time.perf_counter() - start)
    for pool in pools.values():
        pool.terminate()
    print(json.dumps({"rows": rows, "seconds": seconds}))
"""
score_in_workers = workdir / "score_in_workers.py"
score_in_workers.write_text(SCORE_IN_WORKERS)
cpus = min(usable, 4)
command = [sys.executable, score_in_workers, model_paths["forest"], str(cpus)]
scored = json.loads(subprocess.run(command, capture_output=True, check=True).stdout)

# %%
# Rows per second per layout (the median of the six rounds, with its 95%
# interval), the speed-up over 1 x n from the paired rounds and its verdict
# (:class:`helpers.benchmark.BenchmarkResult`), and the rule they support.
from helpers.benchmark import BenchmarkResult
from helpers.timing import median_interval

names = list(scored["seconds"])
timings = {(name, 1_000): scored["seconds"][name] for name in names}
layouts = BenchmarkResult(timings, names, batch_sizes=[1_000])
layout_rows = []
for name in names:
    rate, low, high = median_interval(scored["rows"] / np.array(timings[name, 1_000]))
    speedup, s_low, s_high = layouts.interval(name, 1_000)
    ratio = f"{speedup:.2f}x [{s_low:.2f}x, {s_high:.2f}x]"
    verdict = layouts.verdict(name, 1_000)
    layout_rows.append([name, f"{rate:,.0f} [{low:,.0f}, {high:,.0f}]", ratio, verdict])
fits = min(names[:2], key=lambda name: layouts.median(name, 1_000))  # the faster
crowded = layouts.verdict(names[2], 1_000, baseline=fits)
print(f"{names[1]} against {names[0]}: {layouts.verdict(names[1], 1_000)}")
print(f"{names[2]} (oversubscribed) against {fits}, the faster that fits: {crowded}")
rule = f"workers x threads = usable CPUs ({cpus})"
if crowded == "faster":
    print(f"oversubscribing was faster here: these numbers do not support {rule}")
else:
    print(
        f"oversubscribing {'cost' if crowded == 'slower' else 'gained nothing'}: {rule}"
    )
columns = ["workers x threads", "rows per second", f"speed-up over {names[0]}"]
pd.DataFrame(layout_rows, columns=[*columns, "verdict"]).style.hide(axis="index")

# %%
# What to do
# ----------
# Measure your model with ``memory_run.py`` and your request sizes before
# changing the memory options; where a setting grows, turn it off
# (``helpers.OnnxPredictor(model, enable_cpu_mem_arena=False,
# enable_mem_pattern=False)``, or the ``SessionOptions`` attributes), and keep
# a safety net: uvicorn's ``--limit-max-requests`` and gunicorn's
# ``--max-requests`` restart a worker after that many requests. Set the
# threads yourself, from the usable CPUs shared among the workers::
#
#     options = onnxruntime.SessionOptions()
#     options.intra_op_num_threads = max(1, helpers.usable_cpus() // workers)
#
# ``ORT_INTRA_OP_NUM_THREADS`` reaches the sessions a library creates for
# you, in the versions that read it. :ref:`deployment` lists the rest.
import shutil

shutil.rmtree(workdir)
