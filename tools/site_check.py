"""Open every page of the built site in headless Chromium and check what a reader meets.

Usage (after ``make docs``)::

    python tools/site_check.py docs/_build/html --out build/site-check

It serves the site on 127.0.0.1 (a free port) and drives Debian's ``chromium``
through ``chromium-driver`` with selenium. For every HTML page it checks:

- no JavaScript console errors (browser log entries of level SEVERE);
- every ``<img>`` loaded (``naturalWidth > 0``);
- no code block wider than its column (``div.highlight pre`` whose
  ``scrollWidth`` exceeds its ``clientWidth``) and no page that scrolls sideways;
- on every lesson page, a notebook download (``.ipynb`` link) that is a valid
  notebook (``nbformat.validate``) with code cells, and a header that says how
  long the lesson runs, agreeing with the running time the build measured
  (:func:`running_time_problem`);

and on the search page that "zipmap" and "ColumnTransformer" are found.

On every page with a live demo (``<div class="live-demo">``, written by
``examples/07_beyond_python``), before any other page is opened (so that the first
visit is a reader's first visit), it waits for onnxruntime-web to load the model,
runs the model in the browser on the rows the build wrote, and checks the answers
against scikit-learn's, which the build wrote beside them: labels equal,
probabilities within 1e-5 (float32; the lesson says why). It also checks that the
page loads nothing from another host, and prints the page's load size and time,
the model's load time (first visit, then reloads) and the latency of ``session.run``
for 1 and 100 rows, timed in the page and, in paired rounds, against Python's
onnxruntime on one thread on the same rows (medians with 95% intervals,
:mod:`helpers.timing`).

It writes screenshots of the landing page, the gallery index, the walkthrough
and the live demo to the output folder, prints a summary and exits with 1 when
it found a problem, 2 when no Chromium is installed.
"""

from __future__ import annotations

import argparse
import base64
import functools
import http.server
import json
import math
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

SEARCH_TERMS = ("zipmap", "ColumnTransformer")
SCREENSHOTS = {
    "landing": "index.html",
    "gallery": "auto_examples/index.html",
    "walkthrough": "auto_examples/01_walkthrough/plot_01_train_convert_predict.html",
    "live": "auto_examples/07_beyond_python/plot_01_live_in_the_browser.html",
}
SKIPPED_DIRS = {"_static", "_images", "_downloads", "_sources", "_sphinx_design_static"}
# Chromium must not reach the network: no QUIC, no component or sync updates, no
# background requests, and a fresh profile so nothing is restored from an old run.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
DRIVER_NAMES = ("chromedriver", "chromium-driver")

PAGE_FACTS_JS = """
const images = Array.from(document.images).map(img => ({
    src: img.currentSrc || img.src, complete: img.complete, width: img.naturalWidth}));
const blocks = Array.from(document.querySelectorAll('div.highlight pre')).map(pre => {
    const lines = pre.textContent.replace(/\\n$/, '').split('\\n');
    const longest = lines.reduce((a, b) => (b.length > a.length ? b : a), '');
    const wrapper = pre.closest('div[class*="highlight-"]');
    return {scroll: pre.scrollWidth, client: pre.clientWidth,
            chars: longest.length, line: longest.slice(0, 60),
            kind: wrapper ? wrapper.className.split(' ')[0] : 'highlight'};
});
const notebooks = Array.from(document.querySelectorAll('a[href$=".ipynb"]')).map(a => a.href);
return {images: images, blocks: blocks, notebooks: notebooks,
        pageScroll: document.documentElement.scrollWidth, viewport: window.innerWidth};
"""
# The live demo (examples/07_beyond_python): its <div> and the JSON the build wrote in it.
LIVE_MARKER = 'class="live-demo-data"'
# The lesson's tolerance: ONNX Runtime sums the trees' votes in float32, which drifts from
# scikit-learn's float64 average by a few 1e-7 (at most about 2e-6 for its 30 trees), while a
# real difference (one tree voting otherwise) moves a probability by 1/30.
LIVE_TOLERANCE = 1e-5
LIVE_RELOADS = 5  # model load times after the first visit
LIVE_ROUNDS = 30  # paired timing rounds per batch size
LIVE_BATCHES = (1, 100)
LIVE_MIN_TIME = 0.02  # seconds per timing: Chromium's performance.now() counts in 0.1 ms steps
LIVE_WARM_UP = 1.0  # seconds of runs before the timings (in Node, the first thousand run slower)
LIVE_STATE_JS = """
const box = document.querySelector('div.live-demo');
return box && box.dataset.state
    ? {state: box.dataset.state, status: box.querySelector('.live-demo-status').textContent}
    : null;
"""
LIVE_DATA_JS = "return JSON.parse(document.querySelector('.live-demo-data').textContent);"
LIVE_PREDICT_JS = """
const done = arguments[arguments.length - 1];
const box = document.querySelector('div.live-demo');
const data = JSON.parse(box.querySelector('.live-demo-data').textContent);
box.liveDemo.predict(data.rows).then(done, (error) => done({error: String(error)}));
"""
LIVE_LOAD_JS = """
const nav = performance.getEntriesByType('navigation')[0];
const files = [nav, ...performance.getEntriesByType('resource')].map(entry => ({
    url: entry.name, bytes: entry.encodedBodySize || entry.decodedBodySize || 0}));
const demo = document.querySelector('div.live-demo').liveDemo;
return {files: files, pageMs: nav.loadEventEnd, modelMs: demo.loadMs,
        version: demo.ort.env.versions.web, origin: location.origin};
"""
# Milliseconds per session.run over `reps` runs, after one untimed run (the caches after the pause).
LIVE_TIME_JS = """
const [size, reps, done] = arguments;
const box = document.querySelector('div.live-demo');
const data = JSON.parse(box.querySelector('.live-demo-data').textContent);
const {ort, session} = box.liveDemo;
const rows = Array.from({length: size}, (_, i) => data.rows[i % data.rows.length]);
const X = new ort.Tensor('float32', Float32Array.from(rows.flat()), [size, rows[0].length]);
const feed = {[data.input]: X};
(async () => {
    await session.run(feed);
    const start = performance.now();
    for (let r = 0; r < reps; r++) await session.run(feed);
    done((performance.now() - start) / reps);
})().catch(error => done({error: String(error)}));
"""
EAGER_IMAGES_JS = """
document.querySelectorAll('img[loading="lazy"]').forEach(img => { img.loading = 'eager'; });
return Array.from(document.images).every(img => img.complete);
"""

# A lesson's header says how long it runs ("It runs in about 25 seconds on the machine that
# builds these pages"); sphinx-gallery prints the time this build measured at the bottom.
STATED_TIME = re.compile(r"runs\s+in\s+(under\s+a\s+second|a\s+few\s+seconds|about\s+(\d+)\s+seconds)")
MEASURED_TIME = re.compile(r"Total running time of the script:\s*\((\d+) minutes ([\d.]+) seconds\)")


@dataclass
class Report:
    """What the check saw, and the problems it found."""

    pages: int = 0
    images: int = 0
    code_blocks: int = 0
    notebooks: int = 0
    problems: list[str] = field(default_factory=list)
    overflows: list[dict] = field(default_factory=list)
    live: list[dict] = field(default_factory=list)

    def problem(self, page: str, text: str) -> None:
        self.problems.append(f"{page}: {text}")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    # a browser imports an ES module and compiles WebAssembly only when served with these types
    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".wasm": "application/wasm",
    }

    def log_message(self, format, *args):  # the base class's signature
        pass


def _serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def _find(names: tuple[str, ...]) -> str | None:
    return next((path for name in names if (path := shutil.which(name))), None)


def _start_browser(width: int, height: int, profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = _find(CHROMIUM_NAMES), _find(DRIVER_NAMES)
    if browser is None or driver_path is None:
        return None
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={width},{height}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(120)  # the live demo's timings run as asynchronous scripts
    return driver


def _wait(condition, timeout: float = 15.0, step: float = 0.1):
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > end:
            return value
        time.sleep(step)


def _pages(root: Path) -> list[str]:
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*.html")
        if not SKIPPED_DIRS.intersection(path.relative_to(root).parts)
    )


def _is_lesson(page: str) -> bool:
    return page.startswith("auto_examples/") and Path(page).name.startswith("plot_")


def _check_notebook(url: str, page: str, report: Report) -> None:
    import nbformat

    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # the local server only
            notebook = nbformat.reads(response.read().decode("utf-8"), as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # any failure to fetch, parse or validate is the finding
        report.problem(page, f"notebook {url.rsplit('/', 1)[-1]} is not valid: {error}")
        return
    code_cells = sum(cell.cell_type == "code" for cell in notebook.cells)
    if code_cells == 0:
        report.problem(page, f"notebook {url.rsplit('/', 1)[-1]} has no code cell")
    report.notebooks += 1


def running_time_problem(text: str) -> str | None:
    """What is wrong with a lesson page's ``text`` about its running time, or None: the build
    measured no time, or 0 (the code never ran), the header states none, or the stated time is
    not the measured one (under a second: at most 2 s; a few seconds: at most 8 s; about N
    seconds: N/2 - 2 to 1.5 N + 5 s, room for a slower or faster build)."""
    measured = MEASURED_TIME.search(text)
    if measured is None:
        return "no running time at the bottom of the page"
    seconds = 60 * int(measured[1]) + float(measured[2])
    if seconds == 0:
        return "ran in 0.000 seconds: its code never ran"
    stated = STATED_TIME.search(text)
    if stated is None:
        return f"the header does not say how long the lesson runs (this build: {seconds:.1f} s)"
    words = " ".join(stated[0].split())
    if stated[2] is None:
        low, high = 0.0, 2.0 if words.endswith("a second") else 8.0
    else:
        low, high = max(int(stated[2]) / 2 - 2, 0.0), 1.5 * int(stated[2]) + 5
    if not low <= seconds <= high:
        return f"says it {words} ({low:g} to {high:g} s), and the build ran it in {seconds:.1f} s"
    return None


def _console_errors(driver, page: str, report: Report) -> None:
    """Report the browser log's errors (level SEVERE) since it was last read."""
    for entry in driver.get_log("browser"):
        if entry.get("level") == "SEVERE":
            report.problem(page, f"console error: {entry.get('message', '')[:200]}")


def _check_page(driver, base: str, page: str, report: Report) -> None:
    driver.get(base + page)
    _wait(lambda: driver.execute_script("return document.readyState") == "complete")
    _wait(lambda: driver.execute_script(EAGER_IMAGES_JS), timeout=10)
    facts = driver.execute_script(PAGE_FACTS_JS)
    report.pages += 1
    _console_errors(driver, page, report)
    for image in facts["images"]:
        report.images += 1
        if not image["complete"] or image["width"] == 0:
            report.problem(page, f"image not loaded: {image['src']}")
    for block in facts["blocks"]:
        report.code_blocks += 1
        if block["scroll"] > block["client"] + 1:
            report.overflows.append({"page": page, **block})
    if facts["pageScroll"] > facts["viewport"] + 1:
        wide, window = facts["pageScroll"], facts["viewport"]
        report.problem(page, f"page scrolls sideways: {wide} px in a {window} px window")
    if _is_lesson(page):
        if problem := running_time_problem(driver.execute_script("return document.body.innerText")):
            report.problem(page, problem)
        if not facts["notebooks"]:
            report.problem(page, "no notebook download (.ipynb link)")
        for url in sorted(set(facts["notebooks"])):
            _check_notebook(url, page, report)


def _live_pages(root: Path, pages: list[str]) -> list[str]:
    return [page for page in pages if LIVE_MARKER in (root / page).read_text(encoding="utf-8")]


def compare_live(data: dict, answer: dict, tolerance: float = LIVE_TOLERANCE) -> dict:
    """The browser's ``answer`` (``labels``, ``proba``) against scikit-learn's, from the page's
    ``data`` (``sklearn_label``, ``sklearn_proba``): rows, rows with another label, the largest
    absolute difference of a probability, and whether all of it is within ``tolerance``."""
    import numpy as np

    expected = np.asarray(data["sklearn_proba"], dtype=float)
    proba = np.asarray(answer["proba"], dtype=float)
    labels = list(answer["labels"])
    if proba.shape != expected.shape or len(labels) != len(data["sklearn_label"]):
        shape = f"{len(labels)} labels and probabilities of shape {proba.shape}"
        return {"rows": len(expected), "agrees": False, "wrong": None, "largest": None, "error": shape}
    wrong = sum(label != want for label, want in zip(labels, data["sklearn_label"], strict=True))
    largest = float(np.max(np.abs(proba - expected), initial=0.0))
    agrees = wrong == 0 and largest <= tolerance  # NaN compares False: it does not agree
    return {"rows": len(expected), "agrees": agrees, "wrong": wrong, "largest": largest, "error": None}


def load_summary(facts: dict) -> dict:
    """Bytes the page loaded (its HTML and every resource), those of onnxruntime-web (under
    ``_static/ort/``), and the URLs from another origin than the page's."""
    files = facts["files"]
    return {
        "bytes": sum(item["bytes"] for item in files),
        "files": len(files),
        "ort_bytes": sum(item["bytes"] for item in files if "/_static/ort/" in item["url"]),
        "foreign": [item["url"] for item in files if not item["url"].startswith(facts["origin"])],
    }


def _wait_live(driver, timeout: float = 120.0) -> dict | None:
    return _wait(lambda: driver.execute_script(LIVE_STATE_JS), timeout=timeout, step=0.2)


def _browser_ms(driver, size: int, reps: int) -> float:
    value = driver.execute_async_script(LIVE_TIME_JS, size, reps)
    if isinstance(value, dict):
        raise RuntimeError(value["error"])
    return float(value)


def _time_live(driver, data: dict) -> dict:
    """Paired rounds: in each, the page's session.run and Python's onnxruntime (one thread, as
    the page's) on the same batch, in a random order, each timing at least LIVE_MIN_TIME."""
    import random

    import numpy as np
    import onnxruntime

    from helpers.timing import PAUSE, calibrate, paired_rounds

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    model = base64.b64decode(data["model"])
    session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    rows = np.asarray(data["rows"], dtype=np.float32)
    order = random.Random(0)
    times: dict[str, dict[int, list[float]]] = {"browser": {}, "python": {}}
    for size in LIVE_BATCHES:
        batch = {data["input"]: rows[np.arange(size) % len(rows)]}
        python_run = functools.partial(session.run, None)
        python_number = calibrate(python_run, batch, LIVE_MIN_TIME)
        # the browser compiles its JavaScript as it runs: a second of runs first, then calibrate
        first_ms = _browser_ms(driver, size, 20)
        _browser_ms(driver, size, max(20, math.ceil(LIVE_WARM_UP * 1e3 / first_ms)))
        warm_ms = _browser_ms(driver, size, max(20, math.ceil(LIVE_MIN_TIME * 1e3 / first_ms)))
        browser_reps = max(1, math.ceil(LIVE_MIN_TIME * 1e3 / warm_ms))
        times["browser"][size], times["python"][size] = [], []
        for _ in range(LIVE_ROUNDS):
            for name in order.sample(["browser", "python"], 2):
                if name == "browser":  # the page runs once untimed after the pause, as Python does
                    time.sleep(PAUSE)
                    seconds = _browser_ms(driver, size, browser_reps) / 1e3
                else:  # one round of helpers' own timing: the pause, an untimed run, the runs
                    seconds = float(paired_rounds([python_run], batch, [python_number], max_rounds=1)[0, 0])
                times[name][size].append(seconds)
    return times


def _check_live(driver, base: str, page: str, report: Report) -> None:
    """The live demo agrees with scikit-learn, loads nothing from elsewhere; its figures."""
    from helpers.timing import median_interval, ratio_interval, verdict

    driver.get(base + page)
    state = _wait_live(driver)
    if not state or state["state"] != "ready":
        status = state["status"] if state else "no answer in 120 s"
        report.problem(page, f"the live demo did not load: {status}")
        _console_errors(driver, page, report)
        return
    load = driver.execute_script(LIVE_LOAD_JS)
    data = driver.execute_script(LIVE_DATA_JS)
    answer = driver.execute_async_script(LIVE_PREDICT_JS)
    if "error" in answer:
        report.problem(page, f"the live demo's model failed in the browser: {answer['error']}")
        return
    agreement = compare_live(data, answer)
    if not agreement["agrees"]:
        report.problem(page, f"the browser disagrees with scikit-learn: {agreement}")
    size = load_summary(load)
    for url in size["foreign"]:
        report.problem(page, f"loaded from another origin: {url}")
    reloads = []
    for _ in range(LIVE_RELOADS):
        driver.get(base + page)
        if (_wait_live(driver) or {}).get("state") == "ready":
            reloads.append(driver.execute_script(LIVE_LOAD_JS)["modelMs"])
    times = _time_live(driver, data)
    _console_errors(driver, page, report)  # here, not on the next page checked
    print(
        f"live demo {page}: onnxruntime-web {load['version']}; {agreement['rows']} rows, "
        f"{agreement['rows'] - (agreement['wrong'] or 0)} labels equal to scikit-learn's, "
        f"largest probability difference {agreement['largest']:.1e} (tolerance {LIVE_TOLERANCE:g})"
    )
    print(
        f"  page load: {size['bytes'] / 1e6:.1f} MB in {size['files']} files "
        f"(onnxruntime-web {size['ort_bytes'] / 1e6:.1f} MB), "
        f"{len(size['foreign'])} from another origin; load event at {load['pageMs']:,.0f} ms"
    )
    model_ms = f"  model load: {load['modelMs']:,.0f} ms on the first visit"
    if reloads:
        median, low, high = median_interval(reloads)
        model_ms += f"; {median:,.0f} ms [{low:,.0f}, {high:,.0f}] over {len(reloads)} reloads"
    print(model_ms)
    latency = {}
    for batch in LIVE_BATCHES:
        browser, python = times["browser"][batch], times["python"][batch]
        b, p = (tuple(x * 1e6 for x in median_interval(t)) for t in (browser, python))
        speedup = ratio_interval(python, browser)
        latency[batch] = {"browser_us": b, "python_us": p, "browser_speedup": speedup}
        print(
            f"  {batch:>3} row(s): browser {b[0]:,.1f} µs [{b[1]:,.1f}, {b[2]:,.1f}], "
            f"Python onnxruntime (1 thread) {p[0]:,.1f} µs [{p[1]:,.1f}, {p[2]:,.1f}]: the "
            f"browser takes {1 / speedup[0]:.1f}x [{1 / speedup[2]:.1f}, {1 / speedup[1]:.1f}] "
            f"Python's time ({verdict(speedup[1], speedup[2])}; medians, 95% intervals, "
            f"{LIVE_ROUNDS} paired rounds)"
        )
    report.live.append(
        {
            "page": page,
            "agreement": agreement,
            "load": size | {"page_ms": load["pageMs"], "model_ms": load["modelMs"]},
            "model_reload_ms": reloads,
            "latency": latency,
            "times_s": {name: {str(k): v for k, v in sizes.items()} for name, sizes in times.items()},
        }
    )


def _check_search(driver, base: str, report: Report) -> None:
    results_js = "return document.querySelectorAll('#search-results ul.search li').length"
    for term in SEARCH_TERMS:
        driver.get(f"{base}search.html?q={urllib.parse.quote(term)}")
        found = _wait(lambda: driver.execute_script(results_js), timeout=20)
        if not found:
            report.problem("search.html", f"no result for {term!r}")
        else:
            print(f"search {term!r}: {found} results")


def _screenshot(driver, base: str, page: str, path: Path, width: int, height: int) -> None:
    driver.get(base + page)
    _wait(lambda: driver.execute_script("return document.readyState") == "complete")
    _wait(lambda: driver.execute_script(EAGER_IMAGES_JS), timeout=10)
    full = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(full, height), 12_000))
    time.sleep(0.5)
    driver.save_screenshot(str(path))
    driver.set_window_size(width, height)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path, help="the built HTML, e.g. docs/_build/html")
    parser.add_argument("--out", type=Path, default=Path("build/site-check"), help="screenshots and report")
    parser.add_argument("--width", type=int, default=1280, help="window width in px (default 1280)")
    parser.add_argument("--height", type=int, default=900, help="window height in px (default 900)")
    parser.add_argument(
        "--allow-overflow",
        action="store_true",
        help="list code blocks wider than their column without failing",
    )
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        print(f"site_check: no {args.site / 'index.html'}; build the docs first (make docs)")
        return 1
    os.environ.setdefault("SE_AVOID_STATS", "true")  # selenium must not report usage anywhere
    args.out.mkdir(parents=True, exist_ok=True)
    report = Report()
    server, base = _serve(args.site)
    with tempfile.TemporaryDirectory(prefix="site-check-profile-") as profile:
        driver = _start_browser(args.width, args.height, profile)
        if driver is None:
            server.shutdown()
            print(
                "site_check: no Chromium found (looked for chromium and chromedriver on PATH).\n"
                "Install Debian's: sudo apt-get install chromium chromium-driver"
            )
            return 2
        try:
            pages = _pages(args.site)
            for page in _live_pages(args.site, pages):  # first: a reader's first visit
                _check_live(driver, base, page, report)
            for page in pages:
                _check_page(driver, base, page, report)
            _check_search(driver, base, report)
            for name, page in SCREENSHOTS.items():
                if (args.site / page).is_file():
                    _screenshot(driver, base, page, args.out / f"{name}.png", args.width, args.height)
                else:
                    report.problem(page, "missing: no screenshot")
        finally:
            driver.quit()
            server.shutdown()

    for item in report.overflows:
        if _is_lesson(item["page"]):  # auto_examples/<part>/<lesson>.html comes from examples/
            source = "examples/" + item["page"].removeprefix("auto_examples/").removesuffix(".html") + ".py"
            item["page"] = f"{item['page']} ({source})"
        text = (
            f"{item['kind']} block {item['scroll']} px wide in a {item['client']} px column "
            f"(longest line {item['chars']} chars: {item['line']!r})"
        )
        if args.allow_overflow:
            print(f"overflow (allowed) {item['page']}: {text}")
        else:
            report.problem(item["page"], text)
    for problem in report.problems:
        print(f"PROBLEM {problem}")
    (args.out / "report.json").write_text(json.dumps(report.__dict__, indent=1))
    print(
        f"site_check: {report.pages} pages, {report.images} images, {report.code_blocks} code blocks, "
        f"{report.notebooks} notebooks checked at {args.width} px; {len(report.overflows)} code blocks "
        f"wider than their column; {len(report.problems)} problems. Screenshots in {args.out}/"
    )
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
