"""
.. _outputs_any_runtime_can_read:

Outputs any runtime can read
============================

The same ``.onnx`` file runs from C#, Java, Swift or JavaScript, but those
runtimes read plain tensors, and skl2onnx's default classifier output is not
one. You will get a checklist function to run on any ONNX file, learn what to
change before a model leaves Python, and see in Node.js, with onnxruntime-web,
what JavaScript gets from the default conversion and from one with ZipMap
off, and its load time and latency against Python's. It follows
:ref:`live_in_the_browser`.

It runs in a few seconds on the machine that builds these pages.
"""

# %%
# One classifier, skl2onnx's defaults
# -----------------------------------
# To run this notebook: ``pip install scikit-learn skl2onnx onnxruntime`` and
# this project's ``helpers`` (:ref:`use_in_your_project`); for the JavaScript
# part, Node.js 20 or newer and ``npm install onnxruntime-web@1.30.0`` in the
# notebook's folder or a folder above it. The forest of
# :ref:`live_in_the_browser`, converted with no options.
import numpy as np
import onnx
from skl2onnx import to_onnx
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

iris = load_iris()
X_train, X_test, y_train, y_test = train_test_split(
    iris.data, iris.target, test_size=0.3, stratify=iris.target, random_state=0
)
forest = RandomForestClassifier(n_estimators=30, random_state=0)
forest.fit(X_train, y_train)
X_rows = X_test.astype(np.float32)
default_onnx = to_onnx(forest, X_rows[:1])

# %%
# A checklist to copy
# -------------------
# An ONNX value is a tensor (one element type, a shape), a sequence or a map.
# ``check_portable`` loads the model in Python's onnxruntime and prints every
# input and output with the type and shape onnxruntime reads (``None``: any
# size), flags what a runtime outside Python cannot read as a plain tensor,
# notes int64, strings and a fixed batch, and lists the metadata keys that are
# missing (``helpers.classes`` counts as ``classes``). It returns the
# problems, for a test to assert on.
import onnxruntime

CPU = ["CPUExecutionProvider"]
NOTES = {
    "tensor(int64)": "int64: a BigInt64Array in JavaScript",
    "tensor(string)": "strings: check that your runtime reads them",
}


def session_of(onnx_model, options=None):
    model_bytes = onnx_model.SerializeToString()
    return onnxruntime.InferenceSession(model_bytes, options, CPU)


def check_portable(onnx_model, required=("classes", "feature_names")):
    session, problems = session_of(onnx_model), []
    for role in ["input", "output"]:
        for value in getattr(session, f"get_{role}s")():
            note = NOTES.get(value.type, "")
            if not value.type.startswith("tensor("):
                note = "NOT A TENSOR: convert with zipmap False"
                problems.append(f"{role} {value.name} is {value.type}")
            elif role == "input" and isinstance(value.shape[0], int):
                note = f"batch fixed to {value.shape[0]} row(s)"
            line = f"{role:6} {value.name:18} {value.type:29} {value.shape!s:9}"
            print(f"{line} {note}".rstrip())
    metadata = session.get_modelmeta().custom_metadata_map
    keys = {key.rsplit(".", 1)[-1] for key in metadata}
    problems += [f"no {name!r} in metadata" for name in required if name not in keys]
    print("problems:", problems or "none")
    return problems


assert len(check_portable(default_onnx)) == 3

# %%
# ZipMap off: every output a tensor
# ---------------------------------
# By default the probabilities go through a ZipMap node: a *sequence* of
# *maps*, one ``{class: probability}`` dict per row, which Python's
# onnxruntime turns into a list of dicts. The other runtimes do much less
# with it. onnxruntime-node answered "Non tensor type is temporarily not
# supported"
# (`onnxruntime#8007 <https://github.com/microsoft/onnxruntime/issues/8007>`_),
# onnxruntime-web "Can't access output tensor data"
# (`#15918 <https://github.com/microsoft/onnxruntime/issues/15918>`_); ML.NET
# throws on ``sequence<map<int64,float32>>`` where onnxruntime's own C#
# ``InferenceSession.Run`` reads it
# (`#19571 <https://github.com/microsoft/onnxruntime/issues/19571>`_); in Java
# and on Android the probabilities come as an ``OnnxSequence`` of ``OnnxMap``
# that readers struggle to unpack
# (`#12629 <https://github.com/microsoft/onnxruntime/issues/12629>`_,
# `#16781 <https://github.com/microsoft/onnxruntime/issues/16781>`_,
# `sklearn-onnx#974 <https://github.com/onnx/sklearn-onnx/issues/974>`_); on
# iOS "ZipMap output cannot be read"
# (`#22505 <https://github.com/microsoft/onnxruntime/issues/22505>`_). With
# ``zipmap: False`` (:func:`helpers.convert`'s default; :ref:`output_options`
# shows every option), ``probabilities`` is a ``(rows, classes)`` float
# tensor, columns in the order of ``forest.classes_``.
plain_onnx = to_onnx(forest, X_rows[:1], options={"zipmap": False})
for name, model in [("default", default_onnx), ("zipmap False", plain_onnx)]:
    print(f"{name}:", session_of(model).run(None, {"X": X_rows[:2]})[1])

# %%
# The names go in the metadata
# ----------------------------
# A tensor of probabilities has no column names: the class of each column
# and the name of each feature must travel with the file, in its text
# properties, ``metadata_props``. :func:`helpers.convert` records the
# estimator, the classes, what it needs to check inputs as scikit-learn does
# and, for a model fitted on a DataFrame, the feature names (this forest was
# fitted on an array: it has none):
import helpers

helpers_onnx = helpers.convert(forest, X_train[:1])
{prop.key: prop.value[:50] for prop in helpers_onnx.metadata_props}

# %%
# Without helpers, add them with plain onnx (JSON keeps a list readable
# anywhere). Python reads them with ``get_modelmeta()``, C# with
# ``session.ModelMetadata.CustomMetadataMap``, Java with
# ``session.getMetadata().getCustomMetadata()``. onnxruntime-web 1.30 has no
# such call (its session gives the names, types and shapes of inputs and
# outputs only): a web page ships the names beside the model, as
# :ref:`live_in_the_browser` does.
import json

names = {
    "classes": json.dumps(forest.classes_.tolist()),
    "class_names": json.dumps(iris.target_names.tolist()),
    "feature_names": json.dumps(iris.feature_names),
}
kept = {prop.key: prop.value for prop in plain_onnx.metadata_props}
onnx.helper.set_model_props(plain_onnx, {**kept, **names})  # replaces all
session_of(plain_onnx).get_modelmeta().custom_metadata_map

# %%
# Labels: int64 or strings
# ------------------------
# Trained on integers, the label output is ``tensor(int64)``: JavaScript
# reads it as a ``BigInt64Array`` (``Number(label)`` makes a plain number).
# Trained on strings, it is ``tensor(string)``: ONNX Runtime's Java API and,
# since 1.16, its Objective-C/Swift API have string tensors, and
# onnxruntime-web returns an array of strings (shown in Node below). Integer
# labels with the names in the metadata ask the least of a runtime.
species_forest = RandomForestClassifier(n_estimators=30, random_state=0)
species_forest.fit(X_train, iris.target_names[y_train])
species_onnx = to_onnx(species_forest, X_rows[:1], options={"zipmap": False})
{output.name: output.type for output in session_of(species_onnx).get_outputs()}

# %%
# The batch dimension: free or fixed
# ----------------------------------
# From a sample, ``to_onnx`` declares the input ``[?, 4]``, the same as
# ``FloatTensorType([None, 4])``: any number of rows per call. Declared
# ``[1, 4]``, the model takes exactly one row, and every runtime refuses
# more. Keep the batch free unless your runtime needs it fixed:
# onnxruntime's page on `making dynamic input shapes fixed
# <https://onnxruntime.ai/docs/tutorials/mobile/helpers/make-dynamic-shape-fixed.html>`_
# (for Android's NNAPI) fixes it after conversion with
# ``python -m onnxruntime.tools.make_dynamic_shape_fixed``.
from onnxruntime.capi.onnxruntime_pybind11_state import InvalidArgument
from skl2onnx.common.data_types import FloatTensorType

one_row = [("X", FloatTensorType([1, 4]))]
fixed_onnx = to_onnx(forest, initial_types=one_row, options={"zipmap": False})
fixed_session = session_of(fixed_onnx)
fixed_session.run(None, {"X": X_rows[:1]})  # one row: answered
try:
    fixed_session.run(None, {"X": X_rows[:2]})
except InvalidArgument as error:
    print(" ".join(str(error).split()))

# %%
# The ``zipmap: False`` model, with its names, passes the checklist.
assert check_portable(plain_onnx) == []

# %%
# In JavaScript: run them in Node
# -------------------------------
# Claims about onnxruntime-web are easy to check: the script below loads the
# ONNX files with it in Node.js (the ES module and the WebAssembly file the
# browser runs), runs each on 1 and on 100 rows, and prints what came back as
# JSON. It then times the ``zipmap: False`` model: 30 rounds of 1 and 100
# rows (5 ms of runs at least, after 2,000 untimed runs: V8 compiles the
# JavaScript around the WebAssembly as it runs), then 30 loads from the
# file's bytes, read before timing (last: in Node, sessions created and
# released between runs slowed the runs that followed), each after an idle
# pause of 2 ms, as in :func:`helpers.timing.paired_rounds`.
# ``numThreads = 1``, as on the live page: onnxruntime-web's `documentation
# <https://onnxruntime.ai/docs/tutorials/web/env-flags-and-session-options.html>`_
# says that it otherwise picks a number of threads from the machine, and
# threads in WebAssembly need a page served with cross-origin isolation
# (version 1.30 falls back to one thread and warns on a page without it).
NODE_SCRIPT = r"""
import fs from "node:fs";
import { pathToFileURL } from "node:url";
const job = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const ort = await import(pathToFileURL(job.dist + "/ort.wasm.bundle.min.mjs").href);
ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmBinary = fs.readFileSync(job.dist + "/ort-wasm-simd-threaded.wasm");
const now = () => performance.now();
const feed = (rows) => ({ X: new ort.Tensor("float32",
  Float32Array.from(rows.flat()), [rows.length, rows[0].length]) });
const plain = (t) => ({ type: t.type, dims: t.dims, array: t.data.constructor.name,
  values: Array.from(t.data, (v) => (typeof v === "bigint" ? Number(v) : v)) });
const report = { version: ort.env.versions.web, node: process.versions.node,
  load_ms: [], run_ms: [[], []] };
for (const [name, file] of Object.entries(job.models)) {
  const start = now();
  const session = await ort.InferenceSession.create(fs.readFileSync(file));
  report[name] = { load_ms: now() - start, outputs: session.outputMetadata };
  for (const n of job.sizes) {
    try {
      const out = await session.run(feed(job.rows.slice(0, n)));
      report[name][n] = Object.fromEntries(
        Object.entries(out).map(([key, t]) => [key, plain(t)]));
    } catch (error) { report[name][n] = { error: error.message }; }
  }
  await session.release();
}
const bytes = fs.readFileSync(job.models[job.timed]);
const session = await ort.InferenceSession.create(bytes);
const feeds = job.sizes.map((n) => feed(job.rows.slice(0, n)));
async function msPerRun(f, reps) {
  const start = now();
  for (let r = 0; r < reps; r++) await session.run(f);
  return (now() - start) / reps;
}
const pause = () => new Promise((resolve) => setTimeout(resolve, 2));
const reps = [];  // runs per timing: 5 ms at least, after 2,000 untimed runs
for (const f of feeds) {
  for (let r = 0; r < 2000; r++) await session.run(f);
  let fastest = Infinity;
  for (let r = 0; r < 5; r++) fastest = Math.min(fastest, await msPerRun(f, 20));
  reps.push(Math.ceil(5 / fastest));
}
for (let round = 0; round < job.rounds; round++) {
  for (const s of round % 2 ? [1, 0] : [0, 1]) {
    await pause();
    await session.run(feeds[s]);  // untimed: the other size ran last
    report.run_ms[s].push(await msPerRun(feeds[s], reps[s]));
  }
}
for (let round = 0; round < job.rounds; round++) {  // loads last: see below
  await pause();
  const start = now();
  const loaded = await ort.InferenceSession.create(bytes);
  report.load_ms.push(now() - start);
  await loaded.release();
}
console.log(JSON.stringify(report));
"""

# %%
# The lesson looks for onnxruntime-web in ``node_modules`` of this folder or
# one above it (this project keeps it in ``web/``); without it, or without
# ``node``, it says so and goes on.
import shutil
import subprocess
import tempfile
from pathlib import Path

ROUNDS, SIZES = 30, [1, 100]
rows = X_rows[np.arange(max(SIZES)) % len(X_rows)]  # the test rows, repeated
models = {
    "zipmap False": plain_onnx,  # first: its load also compiles the WebAssembly
    "default": default_onnx,
    "string labels": species_onnx,
    "fixed batch": fixed_onnx,
}
here = Path.cwd().resolve()
bundles = [
    modules / "onnxruntime-web" / "dist" / "ort.wasm.bundle.min.mjs"
    for folder in [here, *here.parents]
    for modules in [folder / "node_modules", folder / "web" / "node_modules"]
]
dist = next((bundle.parent for bundle in bundles if bundle.exists()), None)
node = None
if shutil.which("node") is None:
    print("Node check skipped: no `node` on PATH (install Node.js 20 or newer).")
elif dist is None:
    print(f"Node check skipped: no node_modules/onnxruntime-web in {here} or above")
    print("it (npm install onnxruntime-web@1.30.0).")
else:
    with tempfile.TemporaryDirectory() as folder:
        job = {"dist": str(dist), "rows": rows.tolist(), "sizes": SIZES}
        job |= {"rounds": ROUNDS, "timed": "zipmap False", "models": {}}
        for number, (name, model) in enumerate(models.items()):
            job["models"][name] = str(Path(folder, f"model_{number}.onnx"))
            onnx.save(model, job["models"][name])
        Path(folder, "job.json").write_text(json.dumps(job))
        Path(folder, "run.mjs").write_text(NODE_SCRIPT)
        command = ["node", f"{folder}/run.mjs", f"{folder}/job.json"]
        answer = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if answer.returncode != 0:
        raise RuntimeError(f"node failed:\n{answer.stderr[-2000:]}")
    node = json.loads(answer.stdout)
    print(f"onnxruntime-web {node['version']} in Node {node['node']}, one thread")

# %%
# What Node got
# -------------
# For each model and number of rows: each output's type, shape, JavaScript
# array and first labels, or the error ``run`` raised.
for name in models if node else []:
    for n in SIZES:
        answer = node[name][str(n)]
        got = answer.get("error") or "; ".join(
            f"{key} {t['type']} {t['dims']} {t['array']}"
            + ("" if t["type"] == "float32" else f" {t['values'][:3]}")
            for key, t in answer.items()
        )
        print(f"{name}, {n} row(s): {' '.join(got.split())}")

# %%
# The default model loads, but ``run`` fails as soon as it would read the
# ZipMap output. The ``zipmap: False`` model answers with a ``BigInt64Array``
# of labels and a ``Float32Array`` of probabilities, the string labels come
# as an array of strings, and the fixed batch refuses 100 rows. The checks hold
# these answers to scikit-learn's, with the tolerance of
# :ref:`live_in_the_browser`, ``1e-5`` (float32 sums of 30 trees' votes).
if node:
    assert all("non-tensor" in node["default"][str(n)]["error"] for n in SIZES)
    answer = node["zipmap False"]["100"]
    assert answer["label"]["array"] == "BigInt64Array"
    assert answer["label"]["values"] == forest.predict(rows).tolist()
    node_proba = np.reshape(answer["probabilities"]["values"], (len(rows), -1))
    np.testing.assert_allclose(node_proba, forest.predict_proba(rows), atol=1e-5)
    species = node["string labels"]["100"]["label"]
    assert species["values"] == species_forest.predict(rows).tolist()
    assert "invalid dimensions" in node["fixed batch"]["100"]["error"]
    print(f"Node agrees with scikit-learn on {len(rows)} rows (atol 1e-5)")

# %%
# Load time and latency, Node against Python
# ------------------------------------------
# Python's onnxruntime, on one thread too (``intra_op_num_threads = 1``, the
# one change from the default), loads and runs the same model on the same
# rows in 30 rounds (:func:`helpers.timing.paired_rounds`). As in Node, a load
# is ``InferenceSession`` on the model's bytes, serialized once before timing.
# Each figure is a median and its 95% interval
# (:func:`helpers.timing.median_interval`). The two processes' rounds cannot
# be paired: the ratio's interval joins each side's 97.5% interval, so that it
# holds with at least 95% probability.
import pandas as pd
from helpers.timing import calibrate, median_interval, paired_rounds, verdict

one_thread = onnxruntime.SessionOptions()
one_thread.intra_op_num_threads = 1
session = session_of(plain_onnx, one_thread)
calls = [lambda _, n=n: session.run(None, {"X": rows[:n]}) for n in SIZES]
numbers = [calibrate(call, None, min_time=0.005) for call in calls]
plain_bytes = plain_onnx.SerializeToString()  # as Node gets the file's bytes
calls += [  # loads: in their own rounds
    lambda _: onnxruntime.InferenceSession(plain_bytes, one_thread, CPU)
]
seconds = np.column_stack(
    [
        paired_rounds(calls[:2], None, numbers, min_rounds=ROUNDS, max_rounds=ROUNDS),
        paired_rounds(calls[2:], None, [1], min_rounds=ROUNDS, max_rounds=ROUNDS),
    ]
)
node_ms = [*node["run_ms"], node["load_ms"]] if node else [None] * 3
table = pd.DataFrame(index=["1 row", "100 rows", "load"])
shown = "{:.3f} [{:.3f}, {:.3f}]".format
for what, in_python, in_node in zip(table.index, 1e3 * seconds.T, node_ms, strict=True):
    table.loc[what, "Python (ms)"] = shown(*median_interval(in_python))
    if in_node is not None:
        table.loc[what, "Node (ms)"] = shown(*median_interval(in_node))
        _, python_low, python_high = median_interval(in_python, confidence=0.975)
        _, node_low, node_high = median_interval(in_node, confidence=0.975)
        low, high = node_low / python_high, node_high / python_low
        ratio = np.median(in_node) / np.median(in_python)
        table.loc[what, "Node / Python"] = f"{ratio:.1f}x [{low:.1f}, {high:.1f}]"
        table.loc[what, "Python is"] = verdict(low, high)
table

# %%
# "Python is faster" means the ratio's whole interval is above 1.05. Node's
# first load also compiled the WebAssembly, once per process as a browser
# does once per page. Node runs it in V8, Chromium's engine, but a browser
# adds its own costs: ``make site-check`` opens the live lesson's page in
# headless Chromium and prints its load time and latency for 1 and 100 rows
# in the CI log. These timings were measured here:
if node:
    print(f"Node: first load {node['zipmap False']['load_ms']:.0f} ms")
helpers.machine_summary()

# %%
# Before a model leaves Python: ZipMap off, the classes and feature names in
# ``metadata_props`` (and beside the model in a web page), integer labels,
# a free batch unless the runtime needs it fixed, and ``check_portable`` on
# the file you ship.
