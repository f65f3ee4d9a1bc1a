// Run the live lesson's model in Node with the onnxruntime-web files the built site serves.
//
// Usage (after `make docs`; `make node-check` runs it):
//
//     node tools/node_check.mjs docs/_build/html
//
// Every page of the site holding a live demo (a <div class="live-demo">, written by
// examples/07_beyond_python) carries its ONNX model (base64), test rows and scikit-learn's answers
// as JSON. For each, this script imports the site's own _static/ort/ort.wasm.bundle.min.mjs (the
// ES module the page imports, which fetches the .wasm beside it), loads the model on one thread,
// runs every row and checks that the labels equal scikit-learn's and the probabilities are within
// 1e-5 of them (float32 sums of the trees' votes; the lesson says why). It prints the model's load
// time and the latency for 1 and 100 rows (median and 95% interval over repeated rounds).
// Exit status: 0 when every page agrees, 1 otherwise, 2 when the site lacks what it needs.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const TOLERANCE = 1e-5; // the lesson's, for float32 probabilities
const WASM = "ort-wasm-simd-threaded.wasm"; // the one build the page fetches
const ROUNDS = 30; // timings per batch size (a 95% interval of a median needs at least 6)
const MIN_MS = 5; // each timing runs the model this long at least
const WARM_UP_MS = 1000; // runs before the timings of each batch size

function fail(message, status = 1) {
  console.error(`node_check: ${message}`);
  process.exit(status);
}

function livePages(site) {
  const pattern = /<script type="application\/json" class="live-demo-data">(.*?)<\/script>/gs;
  const pages = [];
  for (const name of fs.readdirSync(site, { recursive: true })) {
    if (!name.endsWith(".html") || name.startsWith("_")) continue;
    const text = fs.readFileSync(path.join(site, name), "utf8");
    for (const match of text.matchAll(pattern)) pages.push({ name, data: JSON.parse(match[1]) });
  }
  return pages;
}

// The median and its distribution-free interval [x_(k), x_(n-k+1)], k the largest rank with
// P(B <= k - 1) <= (1 - confidence) / 2 for B ~ Binomial(n, 1/2) (helpers.timing.median_interval).
function medianInterval(values, confidence = 0.95) {
  const x = [...values].sort((a, b) => a - b), n = x.length;
  const median = n % 2 ? x[(n - 1) / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
  let k = 1, cdf = 0, term = 0.5 ** n; // term: P(B = j)
  for (let j = 0; j < n; j++) {
    cdf += term; // P(B <= j)
    if (cdf > (1 - confidence) / 2) break;
    k = j + 1; // rank j + 1 is allowed
    term *= (n - j) / (j + 1);
  }
  return { median, low: x[k - 1], high: x[n - k] };
}

async function msPerRun(session, feed, reps) {
  const start = performance.now();
  for (let r = 0; r < reps; r++) await session.run(feed);
  return (performance.now() - start) / reps;
}

// Runs per timing, after a second of runs: V8 compiles the JavaScript around the WebAssembly as
// it runs, and the first thousand runs or so are several times slower than the rest.
async function calibrate(session, feed) {
  const end = performance.now() + WARM_UP_MS;
  while (performance.now() < end) await session.run(feed);
  return Math.max(1, Math.ceil(MIN_MS / (await msPerRun(session, feed, 20))));
}

async function checkPage(ort, { name, data }) {
  const model = Buffer.from(data.model, "base64");
  let start = performance.now(), session;
  try {
    session = await ort.InferenceSession.create(model);
  } catch (error) {
    console.log(`${name}: onnxruntime-web could not load the model: ${String(error).slice(0, 500)}`);
    return false;
  }
  const loadMs = performance.now() - start;
  const width = data.features.length, k = data.classes.length;
  const tensor = (rows) =>
    new ort.Tensor("float32", Float32Array.from(rows.flat()), [rows.length, width]);
  const out = await session.run({ [data.input]: tensor(data.rows) });
  const labels = Array.from(out.label.data, Number), proba = out.probabilities.data;
  let wrongLabels = 0, sklearnDiff = 0, onnxDiff = 0;
  data.rows.forEach((_, i) => {
    if (labels[i] !== data.sklearn_label[i]) wrongLabels += 1;
    for (let j = 0; j < k; j++) {
      sklearnDiff = Math.max(sklearnDiff, Math.abs(proba[i * k + j] - data.sklearn_proba[i][j]));
      onnxDiff = Math.max(onnxDiff, Math.abs(proba[i * k + j] - data.onnx_proba[i][j]));
    }
  });
  start = performance.now();
  await ort.InferenceSession.create(model);
  const reloadMs = performance.now() - start;

  const sizes = [1, 100];
  const feeds = sizes.map((n) => ({
    [data.input]: tensor(Array.from({ length: n }, (_, i) => data.rows[i % data.rows.length])),
  }));
  const reps = [];
  for (const feed of feeds) reps.push(await calibrate(session, feed));
  const times = sizes.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of round % 2 ? [1, 0] : [0, 1]) {
      await session.run(feeds[s]); // untimed: the other batch size ran last
      times[s].push(await msPerRun(session, feeds[s], reps[s]));
    }
  }
  const agrees = wrongLabels === 0 && sklearnDiff <= TOLERANCE;
  console.log(`${name}: ${data.rows.length} rows, ${model.length.toLocaleString("en")} bytes of ONNX`);
  console.log(
    `  labels: ${data.rows.length - wrongLabels}/${data.rows.length} equal to scikit-learn's; ` +
      `largest probability difference ${sklearnDiff.toExponential(2)} from scikit-learn ` +
      `(tolerance ${TOLERANCE}), ${onnxDiff.toExponential(2)} from Python's onnxruntime`,
  );
  console.log(
    `  model load ${loadMs.toFixed(1)} ms the first time (WebAssembly compiled), ` +
      `${reloadMs.toFixed(1)} ms again (one load each)`,
  );
  sizes.forEach((n, s) => {
    const { median, low, high } = medianInterval(times[s].map((ms) => ms * 1000));
    console.log(
      `  ${String(n).padStart(3)} row(s): ${median.toFixed(1)} µs per run ` +
        `[${low.toFixed(1)}, ${high.toFixed(1)}] (median, 95% interval, ${ROUNDS} rounds)`,
    );
  });
  console.log(`  ${agrees ? "AGREES" : "DISAGREES"} with scikit-learn`);
  return agrees;
}

const site = path.resolve(process.argv[2] ?? "docs/_build/html");
const bundle = path.join(site, "_static", "ort", "ort.wasm.bundle.min.mjs");
if (!fs.existsSync(bundle)) fail(`no ${bundle}: build the site with make docs`, 2);
const pages = livePages(site);
if (pages.length === 0) fail(`no page of ${site} holds a live demo (class="live-demo-data")`, 2);
const ort = await import(pathToFileURL(bundle).href);
ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmBinary = fs.readFileSync(path.join(path.dirname(bundle), WASM)); // Node fetches no file: URL
console.log(
  `node_check: onnxruntime-web ${ort.env.versions.web} from ${path.dirname(bundle)}, ` +
    `Node ${process.versions.node}, one thread`,
);
let allAgree = true;
for (const page of pages) allAgree = (await checkPage(ort, page)) && allAgree;
process.exit(allAgree ? 0 : 1);
