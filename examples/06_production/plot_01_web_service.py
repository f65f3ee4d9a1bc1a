"""
.. _web_service:

A web service: one prediction per request
=========================================

A web service answers one small request at a time. We build a FastAPI
application by hand (one session per process, created at start-up and warmed
up), then use :func:`helpers.serving.create_app`, which adds clear answers to
bad requests. We run it with uvicorn on the loopback interface and measure
what a client sees, ONNX Runtime against scikit-learn behind the same
endpoint, and how much of a request is the model and how much is HTTP and
JSON. It follows :ref:`something_else_faster` and builds on :ref:`with_helpers`.

It runs in about 20 seconds on the machine that builds these pages.
"""

# %%
# Train, convert, check
# ---------------------
# A 100-tree random forest on the breast cancer data bundled with
# scikit-learn (30 features). :func:`helpers.convert` and
# :func:`helpers.assert_agrees` are the calls of :ref:`with_helpers`.
import helpers
import numpy as np
from helpers.benchmark import BenchmarkResult
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X,
    y,
    test_size=0.3,
    stratify=y,
    random_state=0,
)
sklearn_model = RandomForestClassifier(n_estimators=100, random_state=0)
sklearn_model.fit(X_train, y_train)
onnx_model = helpers.convert(sklearn_model, X_train[:1])
n_features = X.shape[1]
helpers.assert_agrees(sklearn_model, helpers.OnnxPredictor(onnx_model), X_test)

# %%
# The bare service, by hand
# -------------------------
# Three decisions make a model server fast, and they fit in a few lines of
# FastAPI:
#
# * **one session per process, created at start-up.** Creating an
#   ``InferenceSession`` parses and optimises the graph: do it once, in the
#   application's *lifespan* handler, never per request (the next section
#   times it against a prediction). ``session.run`` is thread-safe, so every
#   request of the process shares it.
# * **warm-up.** onnxruntime allocates and plans its buffers during a
#   session's first ``run``, and the runs after it reuse them; one prediction
#   at start-up moves that cost out of the first client's request.
# * **one intra-op thread.** A single row has too little work to share among
#   threads; a server scales with processes (uvicorn's ``--workers``), each
#   with one thread, rather than with threads inside one session.
#
# The request body is a pydantic model: FastAPI parses the JSON and checks it
# against the model before the endpoint runs.
from contextlib import asynccontextmanager

import onnxruntime
from fastapi import FastAPI, Request
from pydantic import BaseModel

onnx_bytes = onnx_model.SerializeToString()


class Rows(BaseModel):
    rows: list[list[float]]


@asynccontextmanager
async def lifespan(app: FastAPI):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    providers = ["CPUExecutionProvider"]
    session = onnxruntime.InferenceSession(onnx_bytes, options, providers=providers)
    warm_up = np.zeros((1, n_features), dtype=np.float32)
    session.run(None, {session.get_inputs()[0].name: warm_up})
    app.state.session = session
    yield  # the application serves requests here; code after it runs at shutdown


bare_app = FastAPI(lifespan=lifespan)


@bare_app.post("/predict")
def bare_predict(body: Rows, request: Request):
    session = request.app.state.session
    X_request = np.asarray(body.rows, dtype=np.float32)
    feed = {session.get_inputs()[0].name: X_request}
    labels, proba = session.run(["label", "probabilities"], feed)
    return {"predictions": labels.tolist(), "probabilities": proba.tolist()}


# %%
# What the start-up costs
# -----------------------
# Six fresh sessions, made as the lifespan makes them, each timed at its
# creation, at its first ``run`` and at a warm ``run`` (the median of the 20
# runs after the first), on one row cast to float32 beforehand. A creation
# and a first run happen once per session, so each session gives a single
# measurement of them: the table shows the median of the six with a 95%
# interval (with six, their whole range), and the ratios to a warm run are
# taken session by session, with the verdict from their interval. This
# process ran a session before (the check above): a process's very first
# session also pays onnxruntime's own start-up, which is not in these times.
import time

import pandas as pd
from helpers.timing import MIN_ROUNDS, median_interval, ratio_interval, verdict

OUTPUTS = ["label", "probabilities"]  # what the endpoint fetches


def start_up_seconds(feed, warm_runs=20):
    """A fresh session's creation, first run and median warm run (seconds)."""
    start = time.perf_counter()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    providers = ["CPUExecutionProvider"]
    session = onnxruntime.InferenceSession(onnx_bytes, options, providers=providers)
    created = time.perf_counter()
    session.run(OUTPUTS, feed)
    first_done = time.perf_counter()
    warm = []
    for _ in range(warm_runs):
        before = time.perf_counter()
        session.run(OUTPUTS, feed)
        warm.append(time.perf_counter() - before)
    return created - start, first_done - created, float(np.median(warm))


feed = {"X": X_test[:1].astype(np.float32)}
timed = np.array([start_up_seconds(feed) for _ in range(MIN_ROUNDS)])
creation, first_run, warm_run = timed.T
start_up_rows = []
for what, seconds in [("creation", creation), ("first run", first_run)]:
    ratio, low, high = ratio_interval(seconds, warm_run)
    words = {"faster": "longer", "slower": "shorter"}
    outcome = words.get(verdict(low, high), "no clear difference")
    ratios = f"{ratio:,.1f}x [{low:,.1f}x, {high:,.1f}x]"
    print(f"a session's {what} took {ratios} a warm run's time: {outcome}")
    times = "{:.3f} [{:.3f}, {:.3f}]".format(*median_interval(seconds * 1e3))
    start_up_rows.append([what, times, ratios, outcome])
warm_times = "{:.3f} [{:.3f}, {:.3f}]".format(*median_interval(warm_run * 1e3))
start_up_rows.append(["warm run", warm_times, "", ""])
columns = ["session", "ms: median [95% interval]", "over a warm run", "verdict"]
pd.DataFrame(start_up_rows, columns=columns).style.hide(axis="index")


# %%
# FastAPI's ``TestClient`` calls the application in-process, without a
# network, and ``with`` runs its lifespan: that is how to try an application
# (and how ``tests/test_serving.py`` tests ours). The answer must be the
# scikit-learn model's.
from fastapi.testclient import TestClient

with TestClient(bare_app, raise_server_exceptions=False) as bare_client:
    good = bare_client.post("/predict", json={"rows": X_test[:3].tolist()})
    short_row = bare_client.post("/predict", json={"rows": [X_test[0, :-1].tolist()]})
assert good.json()["predictions"] == sklearn_model.predict(X_test[:3]).tolist()
good.json()["predictions"]

# %%
# What the bare version gets wrong
# --------------------------------
# A row with one feature missing passes pydantic's check (it is a list of
# numbers) and reaches ``session.run``, which raises; the client gets a 500
# "Internal Server Error" that says nothing of what was wrong, and the server
# log gets onnxruntime's traceback. A client error should be a 4xx answer
# that says what was expected.
short_row.status_code, short_row.text

# %%
# The same, with ``helpers.serving``
# ----------------------------------
# :func:`helpers.serving.create_app` is the application above (it hides the
# lifespan handler, ``InferenceSession`` through
# :class:`~helpers.OnnxPredictor`, the warm-up and ``session.run``), plus:
#
# * checks that answer every bad request with a 4xx and one readable line;
# * a batch limit (413 above ``max_batch`` rows);
# * ``GET /health``, for a load balancer to ask whether the process is ready;
# * a ``Server-Timing`` header with the time spent in the model;
# * ``?backend=sklearn``: the same endpoint answered by the scikit-learn
#   model, only because we pass the model object, to compare the two. It
#   calls ``predict`` then ``predict_proba`` on the rows as float64, the type
#   the model was trained on; the ONNX Runtime backend gets labels and
#   probabilities from one run (``predict_with_proba``) on float32 rows.
#
# ``helpers.serving`` is imported on its own (``import helpers`` does not
# import FastAPI). Here are bad requests and what the client reads:
from helpers.serving import create_app

app = create_app(onnx_model, sklearn_model=sklearn_model, max_batch=100)
row = X_test[0].tolist()
bad_requests = {
    "a feature missing": {"json": {"rows": [row[:-1]]}},
    "a string for a number": {"json": {"rows": [[*row[:-1], "1.5"]]}},
    "no 'rows' field": {"json": {"data": [row]}},
    "101 rows": {"json": {"rows": [row] * 101}},
    "not JSON": {
        "content": b"rows=1,2,3",
        "headers": {"content-type": "application/json"},
    },
}
with TestClient(app) as test_client:
    answers = {}
    for what, request in bad_requests.items():
        answers[what] = test_client.post("/predict", **request)
    still_up = test_client.get("/health").status_code
assert still_up == 200
assert all(400 <= answer.status_code < 500 for answer in answers.values())
pd.DataFrame(
    [(what, a.status_code, a.json()["detail"]) for what, a in answers.items()],
    columns=["request", "status", "detail"],
).style.hide(axis="index")

# %%
# Start a real server
# -------------------
# uvicorn serves the application over HTTP. On the command line, with the
# model saved as a file, it is::
#
#     ONNX_MODEL_PATH=model.onnx uvicorn --factory helpers.serving:app_from_env \
#         --host 127.0.0.1 --port 8000 --workers 2
#
# Here we run a ``uvicorn.Server`` in a background thread of this process,
# on the loopback address only, on a port the operating system picks
# (``port=0``), and without access logs (they would print a line per request
# and cost time). Client and server then share this Python process and its
# cores: absolute figures are pessimistic, and the comparison of the two
# backends, made in the same conditions, is what to read.
#
# A trap: handed a socket made with a bare ``socket.socket()`` (protocol 0),
# asyncio does not set ``TCP_NODELAY`` on the connections, so an answer
# written in two pieces waits for the client's delayed acknowledgement, which
# Linux holds back for at least ``TCP_DELACK_MIN`` (40 ms). Let uvicorn bind
# the port, as here, or create the socket with ``socket.IPPROTO_TCP``.
import threading

import uvicorn

config = uvicorn.Config(
    app,
    host="127.0.0.1",
    port=0,
    log_level="warning",
    access_log=False,
)
server = uvicorn.Server(config)
server_thread = threading.Thread(target=server.run, daemon=True)
server_thread.start()
deadline = time.monotonic() + 30
while not server.started:
    assert server_thread.is_alive(), "the server stopped"
    assert time.monotonic() < deadline, "the server did not start in 30 s"
    time.sleep(0.01)
port = server.servers[0].sockets[0].getsockname()[1]

# %%
# A client: httpx, with a timeout, and ``trust_env=False`` so that no proxy
# setting of the environment reroutes loopback requests. One ``Client`` keeps
# its connection open between requests, as a real client of a service would.
import httpx

base_url = f"http://127.0.0.1:{port}"
client = httpx.Client(base_url=base_url, timeout=10.0, trust_env=False)
client.get("/health").json()

# %%
# One request at a time
# ---------------------
# Each request carries one row of the test set. The bodies are encoded to
# JSON before timing; the timing covers sending the request, the server's
# work (decoding JSON, validation, the model, encoding the answer) and
# reading the answer. The backends take turns, request by request, so that a
# busy moment of the machine slows both alike; every answer is checked
# against the scikit-learn model's label.
import json

BACKENDS = ["onnxruntime", "sklearn"]
N_SEQUENTIAL = 120  # requests per backend
request_rows = [X_test[i % len(X_test)] for i in range(N_SEQUENTIAL)]
bodies = [json.dumps({"rows": [row.tolist()]}).encode() for row in request_rows]
expected = [sklearn_model.predict(row[None, :]).tolist() for row in request_rows]
headers = {"content-type": "application/json"}


def ask(http_client, backend, index):
    """Send request ``index`` to ``backend``: latency and Server-Timing, in ms."""
    start = time.perf_counter()
    answer = http_client.post(
        "/predict",
        params={"backend": backend},
        content=bodies[index],
        headers=headers,
    )
    latency_ms = (time.perf_counter() - start) * 1e3
    assert answer.status_code == 200, answer.text
    assert answer.json()["predictions"] == expected[index], f"wrong from {backend}"
    return latency_ms, float(answer.headers["server-timing"].split("dur=")[1])


for backend in BACKENDS:  # warm-up: open the connection, fill caches
    ask(client, backend, 0)
sequential = {backend: [] for backend in BACKENDS}
for index in range(N_SEQUENTIAL):
    for backend in BACKENDS[index % 2 :] + BACKENDS[: index % 2]:
        sequential[backend].append(ask(client, backend, index))

# %%
# Many clients at once
# --------------------
# Eight client threads, each with its own connection, send requests as fast
# as answers come back. Throughput is requests answered per second of wall
# time. The backends take turns in rounds: each round sends the same requests
# to one backend then the other, in alternating order, so that both see the
# same machine and each round's two throughputs make a pair. Six rounds
# (``helpers.timing.MIN_ROUNDS``) are the fewest whose range is a 95%
# interval of the median of the rounds' ratios.
#
# scikit-learn's forests save and restore Python's warning filters in each
# joblib task, which is not thread-safe, so overlapping requests may print a
# spurious ``UserWarning`` about ``sklearn.utils.parallel.delayed``: we
# count those instead of printing them (the count of this run is printed
# below) and put the filters back at the end of the cell.
import warnings
from concurrent.futures import ThreadPoolExecutor

N_CLIENTS = 8
N_ROUNDS = MIN_ROUNDS
N_CONCURRENT = 30 * N_ROUNDS  # requests per backend, 30 a round
client_of_thread = threading.local()
thread_clients = []


def ask_from_thread(backend, index):
    if not hasattr(client_of_thread, "client"):
        client_of_thread.client = httpx.Client(
            base_url=base_url,
            timeout=10.0,
            trust_env=False,
        )
        thread_clients.append(client_of_thread.client)
    return ask(client_of_thread.client, backend, index % N_SEQUENTIAL)


spurious_warnings = []
show_warning = warnings.showwarning  # catch_warnings restores it at the end


def count_spurious_warning(message, category, *args, **kwargs):
    if category is UserWarning and "sklearn.utils.parallel.delayed" in str(message):
        spurious_warnings.append(str(message))
    else:
        show_warning(message, category, *args, **kwargs)


concurrent = {backend: [] for backend in BACKENDS}
round_seconds = {backend: [] for backend in BACKENDS}  # wall time of each round
per_round = N_CONCURRENT // N_ROUNDS
filters_before = warnings.filters[:]
with warnings.catch_warnings(), ThreadPoolExecutor(max_workers=N_CLIENTS) as pool:
    warnings.showwarning = count_spurious_warning
    # open the connections
    list(pool.map(lambda i: ask_from_thread("onnxruntime", i), range(N_CLIENTS)))
    for round_index in range(N_ROUNDS):
        order = BACKENDS if round_index % 2 == 0 else BACKENDS[::-1]
        for backend in order:
            start = time.perf_counter()
            backends = [backend] * per_round
            results = list(pool.map(ask_from_thread, backends, range(per_round)))
            round_seconds[backend].append(time.perf_counter() - start)
            concurrent[backend] += results
# in case a racing thread emptied the list that catch_warnings put back
warnings.filters[:] = filters_before
for thread_client in thread_clients:
    thread_client.close()
for backend in BACKENDS:
    assert len(concurrent[backend]) == N_CONCURRENT, "a request was lost"
answered = {backend: len(concurrent[backend]) for backend in BACKENDS}
print(f"requests answered: {answered}")
print(f"spurious scikit-learn warnings in this run: {len(spurious_warnings)}")

# %%
# Latency percentiles and throughput
# ----------------------------------
# p50 is the median request; p95 and p99 are the slow tail that users of a
# busy service notice. With a hundred or so requests per case, p99 rests on
# the one or two slowest, so each figure comes with a 95% bootstrap
# interval: the requests of a case are resampled with replacement, 1,000
# times (a seeded generator), and the interval spans the middle 95% of the
# resampled figures. With one client, throughput is the inverse of the mean
# latency, resampled the same way; with several, it is what the server
# sustains while they all wait for answers, all rounds' requests over all
# rounds' wall time, shown here without an interval (the ratios below give
# the paired rounds' one). The timings of this page were measured here:
helpers.machine_summary()

# %%
rng = np.random.default_rng(0)
N_RESAMPLES = 1_000
PERCENTILES = {"p50 (ms)": 50, "p95 (ms)": 95, "p99 (ms)": 99}
THROUGHPUT = "throughput (req/s)"


def resampled(latencies):
    """The figures of ``latencies`` (ms) over bootstrap resamples: {name: array}."""
    picks = rng.integers(0, len(latencies), size=(N_RESAMPLES, len(latencies)))
    samples = latencies[picks]
    figures = np.percentile(samples, list(PERCENTILES.values()), axis=1)
    return {
        **dict(zip(PERCENTILES, figures, strict=True)),
        THROUGHPUT: 1e3 / samples.mean(axis=1),  # one client: 1 / mean latency
    }


def with_interval(value, samples, digits, unit=""):
    """'1.23 [1.10-1.40]': a figure and its 95% bootstrap interval, if it has one."""
    if samples is None:
        return f"{value:.{digits}f}{unit}"
    low, high = np.percentile(samples, [2.5, 97.5])
    return f"{value:.{digits}f}{unit} [{low:.{digits}f}-{high:.{digits}f}]"


rows, bootstrap = [], {}
modes = {"one at a time": sequential, f"{N_CLIENTS} clients": concurrent}
for mode, results in modes.items():
    for backend in BACKENDS:
        latencies = np.array([latency for latency, _ in results[backend]])
        percentiles = np.percentile(latencies, list(PERCENTILES.values()))
        figures = dict(zip(PERCENTILES, percentiles, strict=True))
        bootstrap[mode, backend] = resampled(latencies)
        if mode == "one at a time":
            figures[THROUGHPUT] = len(latencies) / (latencies.sum() / 1e3)
        else:  # all rounds' wall time: no interval here
            wall_seconds = sum(round_seconds[backend])
            figures[THROUGHPUT] = len(latencies) / wall_seconds
            del bootstrap[mode, backend][THROUGHPUT]
        head = {"mode": mode, "backend": backend, "requests": len(latencies)}
        rows.append({**head, **figures})
service = pd.DataFrame(rows)
service_shown = service.astype(object)
for index, row in service.iterrows():
    samples = bootstrap[row["mode"], row["backend"]]
    for name in [*PERCENTILES, THROUGHPUT]:
        digits = 0 if name == THROUGHPUT else 2
        shown = with_interval(row[name], samples.get(name), digits)
        service_shown.loc[index, name] = shown
service_shown.style.hide(axis="index")

# %%
# The same as ratios, scikit-learn over ONNX Runtime: above 1, the ONNX
# Runtime backend has the lower latency (or the higher throughput, for the
# last column, which is ONNX Runtime over scikit-learn). Each ratio's 95%
# interval comes from the bootstrap resamples of the two backends, each
# resampled on its own. The throughput with several clients is the median
# of the rounds' paired ratios (in a round both backends answer the same
# requests, so the ratio of throughputs is scikit-learn's wall time over
# ONNX Runtime's), with its 95% interval from
# :func:`helpers.timing.ratio_interval`: with six rounds, their whole range.
by_backend = service.set_index(["mode", "backend"])
sklearn_side = by_backend.xs("sklearn", level="backend")
onnx_side = by_backend.xs("onnxruntime", level="backend")
ratios = pd.DataFrame(
    {
        "p50 latency": sklearn_side["p50 (ms)"] / onnx_side["p50 (ms)"],
        "p95 latency": sklearn_side["p95 (ms)"] / onnx_side["p95 (ms)"],
        "p99 latency": sklearn_side["p99 (ms)"] / onnx_side["p99 (ms)"],
        "throughput": onnx_side[THROUGHPUT] / sklearn_side[THROUGHPUT],
    }
)
rounds_ratio = ratio_interval(round_seconds["sklearn"], round_seconds["onnxruntime"])
ratios.loc[f"{N_CLIENTS} clients", "throughput"] = rounds_ratio[0]
ratios_shown = ratios.astype(object)
for mode in modes:
    sklearn_samples = bootstrap[mode, "sklearn"]
    onnx_samples = bootstrap[mode, "onnxruntime"]
    for name in PERCENTILES:
        column = name.replace(" (ms)", " latency")
        samples = sklearn_samples[name] / onnx_samples[name]
        shown = with_interval(ratios.loc[mode, column], samples, 1, "x")
        ratios_shown.loc[mode, column] = shown
    if THROUGHPUT in onnx_samples:
        samples = onnx_samples[THROUGHPUT] / sklearn_samples[THROUGHPUT]
        shown = with_interval(ratios.loc[mode, "throughput"], samples, 1, "x")
    else:  # the paired rounds' median and interval
        shown = "{:.1f}x [{:.1f}-{:.1f}]".format(*rounds_ratio)
    ratios_shown.loc[mode, "throughput"] = shown
throughput_verdict = verdict(*rounds_ratio[1:])
print(
    f"{N_CLIENTS} clients, throughput of the ONNX Runtime backend over "
    f"scikit-learn's, {N_ROUNDS} paired rounds: {rounds_ratio[0]:.1f}x "
    f"[{rounds_ratio[1]:.1f}x, {rounds_ratio[2]:.1f}x], {throughput_verdict}"
)
ratios_shown

# %%
# The one-at-a-time requests were sent in pairs, one to each backend, in
# alternating order: paired rounds, like :func:`helpers.benchmark`'s. So the
# end-to-end speed-up has an interval too: the median of the pairs' ratios,
# with its 95% interval. A :class:`helpers.benchmark.BenchmarkResult` built from the
# latencies computes it, and the verdict. (The server's ONNX Runtime backend
# calls :class:`helpers.OnnxPredictor`, hence the label.)
HTTP_ONNX = "ONNX Runtime backend (OnnxPredictor)"
http_result = BenchmarkResult(
    timings={
        ("scikit-learn", 1): [ms / 1e3 for ms, _ in sequential["sklearn"]],
        (HTTP_ONNX, 1): [ms / 1e3 for ms, _ in sequential["onnxruntime"]],
    },
    candidates=["scikit-learn", HTTP_ONNX],
    batch_sizes=[1],
)
http_speedup, http_low, http_high = http_result.interval(HTTP_ONNX, 1)
http_verdict = http_result.verdict(HTTP_ONNX, 1)
print(
    f"one request over HTTP, {HTTP_ONNX} against scikit-learn: "
    f"{http_speedup:.2f}x [{http_low:.2f}x, {http_high:.2f}x], {http_verdict}"
)

# %%
# Where a request's time goes
# ---------------------------
# How much of a request is the model? We time the model alone on one row
# with :func:`helpers.benchmark`, on the arrays the server builds, prepared
# before timing: scikit-learn's ``predict`` then ``predict_proba`` on
# float64, what its backend runs; the public ``session.run`` fetching labels
# and probabilities in one run on float32, in a session with one thread and
# spinning off; and :class:`helpers.OnnxPredictor`'s ``predict_with_proba``,
# what the ONNX Runtime backend runs (through its private fast path, so it is
# a separate candidate).
session = onnxruntime.InferenceSession(
    onnx_bytes,
    helpers.session_options("latency"),
    providers=["CPUExecutionProvider"],
)
predictor = helpers.OnnxPredictor(onnx_model)
one_row = X_test[:1]  # float64, as scikit-learn was trained
one_row32 = one_row.astype(np.float32)  # cast here, outside the timing


def sklearn_call(row):
    return sklearn_model.predict(row), sklearn_model.predict_proba(row)


model_only = helpers.benchmark(
    {
        "scikit-learn": sklearn_call,
        "ONNX Runtime session.run": lambda _: session.run(
            ["label", "probabilities"],
            {"X": one_row32},
        ),
        "OnnxPredictor (helpers)": lambda _: predictor.predict_with_proba(one_row32),
    },
    one_row,
    batch_sizes=(1,),
    budget=2,
)
served_by = {"sklearn": "scikit-learn", "onnxruntime": "OnnxPredictor (helpers)"}
model_ms = {b: model_only.median(served_by[b], 1) * 1e3 for b in BACKENDS}
model_only

# %%
# The server measured its own model time in each request, too (the
# ``Server-Timing`` header). Subtracting it from each request's end-to-end
# time leaves the rest: sending and reading the request, HTTP parsing, JSON
# decoding and encoding, validation and the hand-offs between threads.
split = {}
for backend in BACKENDS:
    latencies = np.array([latency for latency, _ in sequential[backend]])
    in_server = np.array([model for _, model in sequential[backend]])
    split[backend] = {
        "end-to-end p50 (ms)": np.median(latencies),
        "model alone (ms)": model_ms[backend],
        "model in the server p50 (ms)": np.median(in_server),
        "rest of the request p50 (ms)": np.median(latencies - in_server),
    }
split = pd.DataFrame(split).T
in_server_p50 = split["model in the server p50 (ms)"]
split["model share"] = in_server_p50 / split["end-to-end p50 (ms)"]
split.style.format("{:.3f}").format("{:.1%}", subset=["model share"])

# %%
# Once the model is fast, the end-to-end ratio is bounded by the HTTP and
# JSON time, however fast the model gets. To go further, cut that part:
# fewer, larger requests (batch rows per request), a faster JSON library, or
# a binary protocol. In this run:
for backend in BACKENDS:
    share = split.loc[backend, "model share"]
    rest = split.loc[backend, "rest of the request p50 (ms)"]
    print(f"{backend:>11}: the model is {share:.0%} of the median request, ", end="")
    print(f"the rest takes {rest:.2f} ms")
# the best end-to-end ratio a model taking no time at all could reach here:
# each pair's scikit-learn request against the ONNX Runtime request without
# its model time, as a third candidate of the same pairs
no_model = [(ms - model) / 1e3 for ms, model in sequential["onnxruntime"]]
ceiling_result = BenchmarkResult(
    timings={**http_result.timings, ("no model time", 1): no_model},
    candidates=[*http_result.candidates, "no model time"],
    batch_sizes=[1],
)
ceiling, ceiling_low, ceiling_high = ceiling_result.interval("no model time", 1)
for name in ["ONNX Runtime session.run", "OnnxPredictor (helpers)"]:
    speedup, low, high = model_only.interval(name, 1)
    print(
        f"model alone, {name} against scikit-learn: {speedup:.0f}x "
        f"[{low:.0f}x, {high:.0f}x], {model_only.verdict(name, 1)}"
    )
print(
    f"end-to-end: {http_speedup:.2f}x [{http_low:.2f}x, {http_high:.2f}x], "
    f"at most {ceiling:.2f}x [{ceiling_low:.2f}x, {ceiling_high:.2f}x] "
    "with a model taking no time"
)

# %%
# Latency distributions
# ---------------------
# The whole distribution of the one-at-a-time requests, on a log scale; the
# dotted lines mark each backend's model time alone.
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
all_latencies = np.array([latency for b in BACKENDS for latency, _ in sequential[b]])
smallest = min(all_latencies.min(), min(model_ms.values()))
bins = np.geomspace(smallest * 0.8, all_latencies.max() * 1.2, 60)
for index, backend in enumerate(BACKENDS):
    ax.hist(
        [latency for latency, _ in sequential[backend]],
        bins=bins,
        alpha=0.6,
        color=f"C{index}",
        label=backend,
    )
    ax.axvline(
        model_ms[backend],
        color=f"C{index}",
        linestyle=":",
        linewidth=2,
        label=f"{backend}, model alone",
    )
ax.set_xscale("log")
ax.set_xlabel("end-to-end latency of one request (ms)")
ax.set_ylabel("requests")
ax.legend(loc="upper left", fontsize="small")
onnx_p50 = by_backend.loc[("one at a time", "onnxruntime"), "p50 (ms)"]
sklearn_p50 = by_backend.loc[("one at a time", "sklearn"), "p50 (ms)"]
ax.set_title(
    f"One request over HTTP, median: {onnx_p50:.2f} ms with ONNX Runtime, "
    f"{sklearn_p50:.2f} ms\nwith scikit-learn; paired speed-up {http_speedup:.2f}x "
    f"[{http_low:.2f}x, {http_high:.2f}x], {http_verdict}"
)
plt.show()

# %%
# The checks of this run. Every answer was already checked against
# scikit-learn as it came; none was lost. What the lesson relies on is
# asserted from the figures printed above: creating a session takes longer
# than a warm run (the verdict *longer*); the verdict for the model alone
# with ONNX Runtime's public ``session.run`` is *faster*; the model is a
# smaller share of an ONNX Runtime request than of a scikit-learn one; and
# the verdict of the paired rounds' throughput with eight clients is *faster*.
assert start_up_rows[0][-1] == "longer", start_up_rows[0]
assert model_only.verdict("ONNX Runtime session.run", 1) == "faster"
assert split.loc["sklearn", "model share"] > split.loc["onnxruntime", "model share"]
assert throughput_verdict == "faster", throughput_verdict

# %%
# Stop the server
# ---------------
# ``should_exit`` asks uvicorn to finish the requests in flight and stop; the
# lifespan's shutdown part runs, and the thread ends.
client.close()
server.should_exit = True
server_thread.join(timeout=10)
assert not server_thread.is_alive(), "the server did not stop"
{"server stopped": not server_thread.is_alive()}

# %%
# In production
# -------------
# Between this thread and a production service are processes, load
# balancers and health checks: :ref:`deployment` says what changes (one
# session per worker process, warm-up, memory per worker, threads times
# workers no more than cores). For many rows at once rather than one per
# request, see :ref:`dask_batch_scoring`.
