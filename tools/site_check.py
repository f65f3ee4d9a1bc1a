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
  notebook (``nbformat.validate``) with code cells;

and on the search page that "zipmap" and "ColumnTransformer" are found. It writes
screenshots of the landing page, the gallery index and the walkthrough to the
output folder, prints a summary and exits with 1 when it found a problem, 2 when
no Chromium is installed.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

SEARCH_TERMS = ("zipmap", "ColumnTransformer")
SCREENSHOTS = {
    "landing": "index.html",
    "gallery": "auto_examples/index.html",
    "walkthrough": "auto_examples/01_walkthrough/plot_01_train_convert_predict.html",
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
EAGER_IMAGES_JS = """
document.querySelectorAll('img[loading="lazy"]').forEach(img => { img.loading = 'eager'; });
return Array.from(document.images).every(img => img.complete);
"""


@dataclass
class Report:
    """What the check saw, and the problems it found."""

    pages: int = 0
    images: int = 0
    code_blocks: int = 0
    notebooks: int = 0
    problems: list[str] = field(default_factory=list)
    overflows: list[dict] = field(default_factory=list)

    def problem(self, page: str, text: str) -> None:
        self.problems.append(f"{page}: {text}")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
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


def _check_page(driver, base: str, page: str, report: Report) -> None:
    driver.get(base + page)
    _wait(lambda: driver.execute_script("return document.readyState") == "complete")
    _wait(lambda: driver.execute_script(EAGER_IMAGES_JS), timeout=10)
    facts = driver.execute_script(PAGE_FACTS_JS)
    report.pages += 1
    for entry in driver.get_log("browser"):
        if entry.get("level") == "SEVERE":
            report.problem(page, f"console error: {entry.get('message', '')[:200]}")
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
        if not facts["notebooks"]:
            report.problem(page, "no notebook download (.ipynb link)")
        for url in sorted(set(facts["notebooks"])):
            _check_notebook(url, page, report)


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
            for page in _pages(args.site):
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
