"""
.. _live_in_the_browser:

Live in the browser
===================

Train and convert a small random forest, then run the ONNX file in your
browser with onnxruntime-web, ONNX Runtime compiled to WebAssembly: move the
sliders at the bottom of this page and the forest answers on your machine,
with no server behind it. Beside the live answers, a table shows what
scikit-learn and Python's onnxruntime answered for the same rows when this
page was built. The Python part runs in under a second on the machine that
builds these pages; the page then loads one WebAssembly file of about 14 MB
(onnxruntime-web 1.30) once. It follows :ref:`web_service`, where the model
answers on a server instead.
"""

# %%
# Train, convert, check
# ---------------------
# To run this page yourself: ``pip install scikit-learn skl2onnx onnxruntime``.
# As in :ref:`train_convert_predict`: iris, a seeded split, a random forest
# (30 trees keep the file small), converted with ``zipmap: False`` so that
# the probabilities are a plain ``(rows, classes)`` array, the easiest shape
# to read in JavaScript.
import numpy as np
import onnxruntime
from skl2onnx import to_onnx
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

iris = load_iris()
X_train, X_test, y_train, y_test = train_test_split(
    iris.data, iris.target, test_size=0.3, stratify=iris.target, random_state=0
)
sklearn_model = RandomForestClassifier(n_estimators=30, random_state=0)
sklearn_model.fit(X_train, y_train)
onnx_model = to_onnx(
    sklearn_model, X_train[:1].astype(np.float32), options={"zipmap": False}
)
onnx_bytes = onnx_model.SerializeToString()

# %%
# The browser sees float32 rows, so the check uses them too: scikit-learn's
# trees compare features in float32 as well, so every row takes the same path
# through every tree, and the labels must be equal. A probability is the
# average of 30 leaf values, which the ONNX file stores and ONNX Runtime adds
# in float32, each step rounding by less than 6e-8 (a float32 step below 1,
# ``2**-24``; a rounding is at most half a step): the result may drift from
# scikit-learn's float64 average by up to about 30 times that, 2e-6. A
# tolerance of 1e-5 allows the drift and still catches a real difference (one
# tree's vote moves a probability by 1/30).
X_rows = X_test.astype(np.float32)
sklearn_labels = sklearn_model.predict(X_rows)
sklearn_proba = sklearn_model.predict_proba(X_rows)
session = onnxruntime.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
input_name = session.get_inputs()[0].name
onnx_labels, onnx_proba = session.run(None, {input_name: X_rows})
assert (onnx_labels == sklearn_labels).all()
np.testing.assert_allclose(onnx_proba, sklearn_proba, rtol=0, atol=1e-5)
print(f"{len(onnx_bytes):,} bytes of ONNX; {len(X_rows)} test rows agree")

# %%
# What the page needs
# -------------------
# A page holds text, so the model travels as base64 (a third longer than the
# file). Beside it go the names the page shows (features, classes), the test
# rows and the Python answers for them, all as JSON. ``label`` comes out of
# the model as a class *value* (``classes_``: 0, 1, 2 here), so the page also
# needs the name of each. The six rows the forest is least sure about go in
# the page's table: they are where a small difference would show first.
import base64

page_data = {
    "model": base64.b64encode(onnx_bytes).decode("ascii"),
    "input": input_name,
    "features": iris.feature_names,
    "classes": sklearn_model.classes_.tolist(),
    "class_names": iris.target_names[sklearn_model.classes_].tolist(),
    "rows": X_rows.tolist(),
    "sklearn_label": sklearn_labels.tolist(),
    "sklearn_proba": sklearn_proba.tolist(),
    "onnx_label": onnx_labels.tolist(),
    "onnx_proba": onnx_proba.tolist(),
    "shown": np.argsort(sklearn_proba.max(axis=1), kind="stable")[:6].tolist(),
    "low": iris.data.min(axis=0).tolist(),
    "high": iris.data.max(axis=0).tolist(),
}
{
    "model, characters of base64": len(page_data["model"]),
    "rows": len(page_data["rows"]),
    "rows in the table": page_data["shown"],
}

# %%
# The JavaScript
# --------------
# onnxruntime-web's API mirrors the Python one. The script imports
# ``ort.wasm.bundle.min.mjs``, the WebAssembly back end alone with its loader
# bundled in (73 kB), and points ``wasmPaths`` at the one file it fetches,
# ``ort-wasm-simd-threaded.wasm`` (given a folder instead, it would also
# fetch a loader it already holds). ``InferenceSession.create`` takes the
# model's bytes, an ``ort.Tensor`` is the numpy array (a flat
# ``Float32Array`` and a shape), and ``session.run`` returns the outputs by
# name: ``label`` as a ``BigInt64Array`` (int64), ``probabilities`` as a
# ``Float32Array``. ``numThreads = 1``: threads in WebAssembly need a page
# served with cross-origin isolation headers, and a model this small has no
# work to share. The rest of the script fills in the page.
PAGE_SCRIPT = """
async function startLiveDemo(box) {
  const data = JSON.parse(box.querySelector(".live-demo-data").textContent);
  const status = box.querySelector(".live-demo-status");
  const width = data.features.length, k = data.classes.length;
  const started = performance.now();
  let ort, session;
  try {
    status.textContent = "Loading onnxruntime-web…";
    const folder = new URL(box.dataset.ortFolder, document.baseURI).href;
    ort = await import(folder + "ort.wasm.bundle.min.mjs");
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.wasmPaths = { wasm: folder + "ort-wasm-simd-threaded.wasm" };
    const model = Uint8Array.from(atob(data.model), (c) => c.charCodeAt(0));
    session = await ort.InferenceSession.create(model);
  } catch (error) {
    status.textContent = "No live demo here: it needs onnxruntime-web, which "
      + `the documentation site serves (${error.message}).`;
    box.dataset.state = "failed";
    return;
  }
  const loadMs = performance.now() - started;
  async function predict(rows) {
    const values = Float32Array.from(rows.flat());
    const X = new ort.Tensor("float32", values, [rows.length, width]);
    const out = await session.run({ [data.input]: X });
    const proba = Array.from(out.probabilities.data);
    return {
      labels: Array.from(out.label.data, Number),
      proba: rows.map((row, i) => proba.slice(i * k, (i + 1) * k)),
    };
  }
  const name = (label) => data.class_names[data.classes.indexOf(label)];
  const top = (label, p) =>
    `${name(label)} ${p[data.classes.indexOf(label)].toFixed(3)}`;
  const sliders = Array.from(box.querySelectorAll("input[type=range]"));
  let running = false, again = false;  // one run at a time, then the latest
  async function answer() {
    if (running) { again = true; return; }
    running = true;
    do {
      again = false;
      const row = sliders.map((slider) => Number(slider.value));
      sliders.forEach((s) => { s.nextElementSibling.textContent = s.value; });
      const start = performance.now();
      const { labels, proba } = await predict([row]);
      const ms = performance.now() - start;
      box.querySelectorAll("progress").forEach((bar, j) => {
        bar.value = proba[0][j];
        bar.nextElementSibling.textContent = proba[0][j].toFixed(3);
      });
      status.textContent = `${name(labels[0])}, answered in ${ms.toFixed(1)} ms`
        + ` by your browser (model loaded in ${loadMs.toFixed(0)} ms)`;
    } while (again);
    running = false;
  }
  const shown = await predict(data.shown.map((i) => data.rows[i]));
  box.querySelectorAll("tbody tr").forEach((tr, n) => {
    const i = data.shown[n], diff = shown.proba[n].map(
      (p, j) => Math.abs(p - data.sklearn_proba[i][j]));
    tr.cells[4].textContent = top(shown.labels[n], shown.proba[n]);
    tr.cells[5].textContent = Math.max(...diff).toExponential(1);
    tr.querySelector("button").onclick = () => {
      sliders.forEach((s, j) => { s.value = data.rows[i][j]; });
      answer();
    };
  });
  sliders.forEach((slider) => { slider.oninput = answer; });
  box.querySelector("fieldset").disabled = false;
  box.liveDemo = { ort, session, predict, loadMs };  // what the site's check uses
  box.dataset.state = "ready";
  await answer();
}
"""

# %%
# The page
# --------
# A small class writes the HTML: sliders (off until the model is loaded), a
# bar per class, the table of Python answers, the data, and the script. Only
# the script needs onnxruntime-web: a browser without JavaScript still shows
# the table. A notebook displays the same HTML, but finds no onnxruntime-web
# beside it, and the script says so.
import hashlib
import html
import json

PAGE_HTML = """\
<div class="live-demo" id="{id}" data-ort-folder="{folder}" style="overflow-x: auto">
<p class="live-demo-status">This demo runs in a browser, with JavaScript and
onnxruntime-web, which the documentation site serves.</p>
<fieldset disabled>{sliders}</fieldset><p>{bars}</p>
<table style="white-space: nowrap"><thead><tr><th>row</th><th>features</th>
<th>scikit-learn</th><th>onnxruntime</th><th>this browser</th><th>largest
difference</th><th></th></tr>
</thead><tbody>{rows}</tbody></table>
<script type="application/json" class="live-demo-data">{json}</script>
<script>{script}startLiveDemo(document.getElementById("{id}"));</script>
</div>"""


class LiveDemo:
    """The model, its rows and Python's answers, as a live HTML demo."""

    def __init__(self, data, ort_folder):
        self.data = data
        self.ort_folder = ort_folder  # onnxruntime-web's files, relative to the page
        digest = hashlib.sha256(data["model"].encode()).hexdigest()
        self.id = f"live-demo-{digest[:8]}"

    def _slider(self, j):
        low, high = self.data["low"][j], self.data["high"][j]
        value = self.data["rows"][self.data["shown"][0]][j]
        return (
            f"<label>{html.escape(self.data['features'][j])} "
            f'<input type="range" min="{low:.1f}" max="{high:.1f}" step="0.1" '
            f'value="{value:.1f}"> <output>{value:.1f}</output></label><br>'
        )

    def _table_row(self, i):
        data = self.data
        cells = [str(i), " ".join(f"{x:.1f}" for x in data["rows"][i])]
        for source in ("sklearn", "onnx"):
            column = data["classes"].index(data[f"{source}_label"][i])
            proba = data[f"{source}_proba"][i][column]
            cells.append(f"{data['class_names'][column]} {proba:.3f}")
        tds = "".join(f"<td>{html.escape(cell)}</td>" for cell in [*cells, "…", "…"])
        return f"<tr>{tds}<td><button>try</button></td></tr>"

    def _repr_html_(self):
        bars = "".join(
            f"<label>{html.escape(name)} <progress max='1'></progress> "
            "<span></span></label><br>"
            for name in self.data["class_names"]
        )
        return PAGE_HTML.format(
            id=self.id,
            folder=html.escape(self.ort_folder),
            sliders="".join(map(self._slider, range(len(self.data["features"])))),
            bars=bars,
            rows="".join(map(self._table_row, self.data["shown"])),
            json=json.dumps(self.data).replace("<", "\\u003c"),
            script=PAGE_SCRIPT,
        )

    def __repr__(self):
        return (
            f"LiveDemo: {len(self.data['rows'])} rows and a "
            f"{len(self.data['model']):,}-character model, live in a browser"
        )


# %%
# On your own page
# ----------------
# Copy two files from ``node_modules/onnxruntime-web/dist/`` (after ``npm
# install onnxruntime-web@1.30.0``) next to your page: this site serves
# ``ort.wasm.bundle.min.mjs`` and ``ort-wasm-simd-threaded.wasm`` from its
# ``_static/ort/`` folder, two levels above this page, and nothing from
# anywhere else. Your web server must send ``.mjs`` as JavaScript and
# ``.wasm`` as ``application/wasm``. The model in a page is public: anyone
# who opens the page can save it.
#
# Below, move the sliders or *try* a row of the table. Each answer in the
# table is a label and its probability: scikit-learn's and Python
# onnxruntime's when the page was built, then your browser's, and the largest
# difference between any of the browser's probabilities and scikit-learn's.
LiveDemo(page_data, ort_folder="../../_static/ort/")
