"""
.. _long_running_service:

A service that runs for weeks: memory and threads
=================================================

Fast in a test, a service can still fail after weeks, in two ways often
reported to onnxruntime: its memory grows until the container is killed, or
its threads fight over the container's cores. You will measure memory over
100,000 requests with the memory options on and off, also through ``GET
/status``; count the threads a session starts; and share the cores between
worker processes and threads. It follows :ref:`web_service`.

It runs in about 25 seconds on the machine that builds these pages.
"""

# %%
# Two models, as files
# --------------------
# A small pipeline (a scaler, a 10-tree forest) answers 100,000 requests in
# microseconds each; the 100-tree forest of :ref:`web_service` has work to
# share between threads. ``import helpers`` sets ``ORT_DISABLE_TELEMETRY=1``
# before onnxruntime loads (from 1.29, its telemetry thread allocates memory
# and reaches the network): set it in a service's environment too.
import tempfile
from pathlib import Path

import helpers
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

X, y = load_breast_cancer(return_X_y=True)
ten_trees = RandomForestClassifier(10, max_depth=6, random_state=0)
forest = RandomForestClassifier(n_estimators=100, random_state=0)
sklearn_models = {"small": make_pipeline(StandardScaler(), ten_trees), "forest": forest}
workdir = Path(tempfile.mkdtemp(prefix="long-running-"))
model_paths = {name: str(workdir / f"{name}.onnx") for name in sklearn_models}
for name, sklearn_model in sklearn_models.items():
    onnx_model = helpers.convert(sklearn_model.fit(X, y), X[:1])
    helpers.assert_agrees(sklearn_model, helpers.OnnxPredictor(onnx_model), X)
    Path(model_paths[name]).write_bytes(onnx_model.SerializeToString())
helpers.machine_summary()  # where every figure of this page was measured

# %%
# Memory over 100,000 requests
# ----------------------------
# Two session options, on by default, keep memory between runs: with
# ``enable_cpu_mem_arena``, freed buffers go back to a pool, the *arena*, which
# grows to fit the largest run and keeps that memory; ``enable_mem_pattern``
# plans a run's intermediate tensors as one block, reused by the next run of
# the same input shapes (a plan per shape). ``memory_run.py`` below sets both,
# sends seeded Zipf-distributed batches (mostly one row, a few up to 1,000)
# to ``session.run`` with one intra-op thread (the ``"latency"`` preset), and
# reads its *resident* memory (what a container's limit watches) every 1,000.
# It needs only numpy and onnxruntime, and sets ``ORT_DISABLE_TELEMETRY`` for
# when run alone (here it inherits it). Each setting runs in a fresh process,
# twice (the second time in reverse order), one run per usable CPU at a time.
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor


def run_script(*args, env=None):  # in a fresh process; what it prints is JSON
    command = [sys.executable, *map(str, args)]
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, check=True)
    return json.loads(done.stdout)


N_REQUESTS, EVERY = 100_000, 1_000  # read the memory every 1,000 requests
sizes = np.minimum(np.random.default_rng(0).zipf(2.0, N_REQUESTS), 1_000)
np.save(sizes_path := workdir / "sizes.npy", sizes)
one, p99, kinds = np.mean(sizes == 1), np.percentile(sizes, 99), len(set(sizes))
print(f"{one:.0%} of one row, 99th percentile {p99:.0f}, {kinds} sizes up to 1,000")

MEMORY_RUN = '''import json
import os
import resource  # Linux, macOS and other Unix systems; not Windows
import sys

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before onnxruntime loads
import numpy as np
import onnxruntime


def resident_bytes():
    """Resident memory of this process in bytes (outside Linux: its peak)."""
    if not os.path.exists("/proc/self/status"):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024
    with open("/proc/self/status") as status:
        rss = next(line for line in status if line.startswith("VmRSS:"))
    return int(rss.split()[1]) * 1024  # the file says kB


model_path, arena, pattern, sizes_path = sys.argv[1:5]
options = onnxruntime.SessionOptions()
options.enable_cpu_mem_arena = arena == "on"
options.enable_mem_pattern = pattern == "on"
options.intra_op_num_threads = 1
cpu = ["CPUExecutionProvider"]
session = onnxruntime.InferenceSession(model_path, options, providers=cpu)
name, width = session.get_inputs()[0].name, session.get_inputs()[0].shape[1]
sizes = np.load(sizes_path)  # the rows of each request, in order
largest = int(sizes.max())  # rows for the largest request: none cut short
rows = np.random.default_rng(0).normal(size=(largest, width)).astype(np.float32)
session.run(None, {name: rows[:1]})  # warm-up, as the web app
memory = [resident_bytes()]
for count, size in enumerate(sizes, start=1):
    session.run(None, {name: rows[:size]})
    if count % 1_000 == 0:
        memory.append(resident_bytes())
print(json.dumps(memory))
'''
(memory_run := workdir / "memory_run.py").write_text(MEMORY_RUN)
settings = [(arena, pattern) for arena in ["on", "off"] for pattern in ["on", "off"]]
order, readings = settings + settings[::-1], {setting: [] for setting in settings}
with ThreadPoolExecutor(helpers.usable_cpus()) as runner:  # a run per usable CPU
    small = [memory_run, model_paths["small"]]
    runs = [runner.submit(run_script, *small, *s, sizes_path) for s in order]
for setting, run in zip(order, runs, strict=True):
    readings[setting].append(run.result())

# %%
# Resident memory at 0, 10,000 and 100,000 requests (MiB), and its growth per
# 10,000 requests after the first 10,000, once the arena and the common sizes'
# plans are in place (KiB): the runs' mean, their range as the interval. Memory
# moves by 4 KiB pages, so *grew* needs both runs over 10 KiB per 10,000
# requests (1 MiB per million), and *flat* both within it.
import pandas as pd

MiB, KiB, AFTER_10K, TOLERANCE = 2**20, 2**10, 10_000 // EVERY, 10


def growth_verdict(low, high, tolerance=TOLERANCE):
    """An interval of growth (KiB; by default per 10,000 requests), in words."""
    if low > tolerance or high < -tolerance:
        return "grew" if low > tolerance else "shrank"
    flat = -tolerance <= low and high <= tolerance
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
columns = ["arena", "pattern", "MiB at 0", "at 10k", "at 100k", "KiB/10k", "verdict"]
pd.DataFrame(memory_rows, columns=columns).style.format(precision=2).hide(axis="index")

# %%
# Each run's memory above its start (dashed: second runs). Memory may grow in
# steps for a reason in the requests: the arena grows when a request is larger
# than all before it (the sizes stop at 1,000 rows), and with the memory
# pattern each size not seen before adds a plan. The line below says when
# each last happened in these sizes; growth that goes on with no new size is
# a leak.
import matplotlib.pyplot as plt

first_seen = {}  # request number at which each size first came
for count, size in enumerate(sizes.tolist(), start=1):
    first_seen.setdefault(size, count)
late = sum(count > 10_000 for count in first_seen.values())
print(
    f"largest request, {sizes.max():,} rows: first at request "
    f"{first_seen[sizes.max()]:,}; {late} sizes first come after request 10,000, "
    f"the last at request {max(first_seen.values()):,}"
)

fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
for index, ((arena, pattern), runs) in enumerate(readings.items()):
    for run, style in zip(runs, ["-", "--"], strict=True):
        label = f"arena {arena}, pattern {pattern}" if style == "-" else None
        requests, above = np.arange(len(run)) * EVERY, (np.array(run) - run[0]) / KiB
        ax.plot(requests, above, style, color=f"C{index}", label=label)
ax.set(xlabel="requests sent", ylabel="resident memory above its start (KiB)")
ax.legend(fontsize="small")
grew = [f"arena {a}, pattern {p}" for (a, p), v in verdicts.items() if v == "grew"]
finding = f"grew with {'; '.join(grew)}" if grew else "no setting grew beyond tolerance"
ax.set_title(f"Resident memory after the first 10,000 requests:\n{finding}")
plt.show()

# %%
# Through the web app
# -------------------
# ``create_app(..., session_options=...)`` sets the two options (a dict
# overrides the ``"latency"`` preset, a ``SessionOptions`` replaces it);
# ``GET /status`` reports them, and the resident memory now and at its peak.
# ``TestClient`` runs the app in this process, so that memory is the whole
# process's (its level carries all that ran before; the peak never goes down),
# Python's included: only growth within one app's run is read, from request
# 500 to 1,000, after a first request of ``max_batch`` rows; *flat* within a
# memory page. One run each: the fresh processes above are the measurement.
from mmap import PAGESIZE

from fastapi.testclient import TestClient
from helpers.serving import DEFAULT_MAX_BATCH, create_app

N_HTTP, HTTP_EVERY = 1_000, 100
full_batch = np.resize(X, (DEFAULT_MAX_BATCH, X.shape[1])).tolist()
for setting, on in [("on", True), ("off", False)]:  # arena and pattern together
    overrides = {"enable_cpu_mem_arena": on, "enable_mem_pattern": on}
    app = create_app(model_paths["small"], session_options=overrides)
    with TestClient(app) as client:
        assert client.post("/predict", json={"rows": full_batch}).is_success
        memory = []  # GET /status's memory, every 100 requests
        for count, size in enumerate(sizes[:N_HTTP], start=1):
            answer = client.post("/predict", json={"rows": full_batch[:size]})
            assert answer.status_code == 200, answer.text
            if count % HTTP_EVERY == 0:
                memory.append((status := client.get("/status").json())["memory"])
    assert status["requests"]["served"] == N_HTTP + 1  # counted since start-up
    half, end = memory[len(memory) // 2 - 1], memory[-1]  # after 500 and 1,000
    for kind in ["resident_bytes", "peak_resident_bytes"]:
        if end[kind] is not None:  # None: no current value (outside Linux)
            grown = (end[kind] - half[kind]) / KiB
            verdict = growth_verdict(grown, grown, tolerance=PAGESIZE / KiB)
            print(f"arena and pattern {setting}: {kind} {grown:+.0f} KiB, {verdict}")
for section in ["cpus", "threads", "memory"]:  # the last app's, once
    print(f"GET /status {section}: {json.dumps(status[section])}")

# %%
# Threads in a container
# ----------------------
# Counts of CPUs disagree in a container: ``os.cpu_count()`` is the machine's;
# the *affinity mask* (``docker --cpuset-cpus``, ``taskset``) lists those the
# process may run on; a cgroup *CPU quota* (``docker --cpus``, a Kubernetes
# CPU limit) caps its CPU time. :func:`helpers.usable_cpus` takes the mask,
# capped by the quota (``GET /status`` printed all four above). The script
# below counts the threads a session starts (N intra-op threads start N - 1:
# the one calling ``run`` is the N-th) by default, with
# ``intra_op_num_threads`` set, and by default on one CPU (``--cpuset-cpus=0``),
# then with ``ORT_INTRA_OP_NUM_THREADS`` set (onnxruntime's pull request #29688).
import os

import onnxruntime

usable = status["cpus"]["usable"]  # helpers.usable_cpus(), as GET /status read it

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
    return len(os.listdir("/proc/self/task")) - before + 1  # then session ends


model_path, threads = sys.argv[1], int(sys.argv[2])
counts = {"default": pool_size(model_path)}
counts[f"intra_op_num_threads={threads}"] = pool_size(model_path, threads)
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one CPU
counts["default, one CPU allowed"] = pool_size(model_path)
print(json.dumps(counts))
"""
thread_counts = {}
if hasattr(os, "sched_setaffinity"):  # Linux
    (count_threads := workdir / "count_threads.py").write_text(COUNT_THREADS)
    counting = [count_threads, model_paths["forest"], usable]
    plain = thread_counts["(none)"] = run_script(*counting)
    wanted = 1 if plain["default"] > 1 else 2  # not the default's size
    key = f"ORT_INTRA_OP_NUM_THREADS={wanted}"
    variable = {**os.environ, "ORT_INTRA_OP_NUM_THREADS": str(wanted)}
    with_variable = thread_counts[key] = run_script(*counting, env=variable)
    one_cpu = plain["default, one CPU allowed"]
    print(f"a default session: {plain['default']} threads, {usable} usable CPUs")
    if plain["default"] > 1:
        follows = "follows" if one_cpu == 1 else "does not follow"
        print(f"one CPU allowed: {one_cpu} threads; the default {follows} the mask")
    followed = "followed" if with_variable["default"] == wanted else "ignored"
    print(f"{key}: {followed} by a default session")
    option = with_variable[f"intra_op_num_threads={usable}"] == usable
    print(f"intra_op_num_threads={usable} {'wins' if option else 'loses'} over it")
pd.DataFrame(thread_counts).T.rename_axis(f"onnxruntime {onnxruntime.__version__}")

# %%
# Worker processes x intra-op threads
# -----------------------------------
# A web server scales with processes (uvicorn or gunicorn ``--workers``),
# each session with its own pool: W workers of T threads run W x T threads.
# What a process pool sends its workers is pickled, and a session cannot be
# (the error is printed first): each worker creates its own from the model's
# path, in a pool *initializer* (as each uvicorn worker calls ``--factory
# helpers.serving:app_from_env``). The script below scores 1,000-row batches
# on n usable CPUs (at most 4) as 1 x n, n x 1 and n x n (oversubscribed), in
# six rounds taking them in turn after an idle pause; only
# ``intra_op_num_threads`` is set (idle threads spin). Rows per second: the
# median of the rounds, its 95% interval; speed-ups from the paired rounds.
import pickle

from helpers.benchmark import BenchmarkResult
from helpers.timing import median_interval

try:
    CPU = ["CPUExecutionProvider"]
    pickle.dumps(onnxruntime.InferenceSession(model_paths["forest"], providers=CPU))
    print("no error: this onnxruntime pickles sessions")
except TypeError as error:
    print(f"pickling a session: {type(error).__name__}: {error}")

SCORE_IN_WORKERS = """import json
import multiprocessing
import os
import sys
import time

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before onnxruntime loads
import numpy as np
import onnxruntime


def start_worker(model_path, threads, ready):
    global session, batch  # each worker process's own
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
(score_in_workers := workdir / "score_in_workers.py").write_text(SCORE_IN_WORKERS)
scored = run_script(score_in_workers, model_paths["forest"], cpus := min(usable, 4))
names = list(scored["seconds"])
timings = {(name, 1_000): scored["seconds"][name] for name in names}
layouts, layout_rows = BenchmarkResult(timings, names, batch_sizes=[1_000]), []
for name in names:
    rate, low, high = median_interval(scored["rows"] / np.array(timings[name, 1_000]))
    rates = f"{rate:,.0f} [{low:,.0f}, {high:,.0f}]"
    ratio = "{:.2f}x [{:.2f}x, {:.2f}x]".format(*layouts.interval(name, 1_000))
    layout_rows.append([name, rates, ratio, layouts.verdict(name, 1_000)])
fits = min(names[:2], key=lambda name: layouts.median(name, 1_000))  # the faster
crowded = layouts.verdict(names[2], 1_000, baseline=fits)
print(f"{names[2]} (oversubscribed) against {fits}, the faster that fits: {crowded}")
outcome = {"faster": "paid off here", "slower": "cost"}.get(crowded, "gained nothing")
rule = "do not support" if crowded == "faster" else "support"
print(f"oversubscribing {outcome}: the numbers {rule} workers x threads = usable CPUs")
columns = ["workers x threads", "rows per second", f"speed-up over {names[0]}"]
pd.DataFrame(layout_rows, columns=[*columns, "verdict"]).style.hide(axis="index")

# %%
# What to do
# ----------
# Measure your model and request sizes before changing the memory options.
# This page's files went with its temporary folder; to make yours, in the
# Python session that ran this page (it defines ``MEMORY_RUN``), save the
# script as ``memory_run.py`` and the rows of each of your requests (one
# integer per request, in order, from your logs: ``sizes`` stands in for them
# here) with ``np.save``:
#
# .. code-block:: python
#
#    from pathlib import Path
#
#    import numpy as np
#
#    Path("memory_run.py").write_text(MEMORY_RUN)
#    np.save("sizes.npy", np.asarray(sizes, dtype=np.int64))
#
# Then run it on your model (one float32 input of fixed width) once per
# setting, each in a fresh process: ``on`` or ``off`` for the arena, then for
# the memory pattern. A run prints the resident memory in bytes, at the start
# and after every 1,000 requests, as a JSON list; compare the settings'
# growth after the first 10,000 requests, as the table above does:
#
# .. code-block:: shell
#
#    python memory_run.py model.onnx on on sizes.npy > on-on.json
#    python memory_run.py model.onnx on off sizes.npy > on-off.json
#    python memory_run.py model.onnx off on sizes.npy > off-on.json
#    python memory_run.py model.onnx off off sizes.npy > off-off.json
#
# Turn off a setting that grows (``create_app(..., session_options=...)``,
# ``OnnxPredictor``'s keywords), watch ``GET /status``, keep a safety net
# restarting a worker every N requests (uvicorn's ``--limit-max-requests``,
# gunicorn's ``--max-requests``). Set
# ``intra_op_num_threads = max(1, helpers.usable_cpus() // workers)``;
# ``ORT_INTRA_OP_NUM_THREADS`` reaches a library's sessions (in versions that
# read it). :ref:`deployment` lists the rest.
import shutil

shutil.rmtree(workdir)
