"""The pure parts of tools/site_check.py's live-demo check (the browser part runs in `make
site-check`): the comparison with scikit-learn's answers, the load summary, the pages found, and
the content types the local server gives the files onnxruntime-web needs."""

from __future__ import annotations

import importlib.util
import sys
import urllib.request
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[1] / "tools" / "site_check.py"
_SPEC = importlib.util.spec_from_file_location("site_check", _PATH)
site_check = importlib.util.module_from_spec(_SPEC)
sys.modules.setdefault("site_check", site_check)  # its dataclass looks its module up there
_SPEC.loader.exec_module(site_check)


def _page(proba: list[list[float]], labels: list[int]) -> dict:
    return {"sklearn_proba": proba, "sklearn_label": labels}


PROBA = [[0.9, 0.1, 0.0], [0.0, 0.4, 0.6]]
PAGE = _page(PROBA, [0, 2])


def test_the_same_answers_agree():
    result = site_check.compare_live(PAGE, {"labels": [0, 2], "proba": PROBA})
    assert result == {"rows": 2, "agrees": True, "wrong": 0, "largest": 0.0, "error": None}


def test_a_float32_rounding_agrees_and_a_larger_difference_does_not():
    float32 = np.asarray(PROBA, dtype=np.float32).tolist()
    assert site_check.compare_live(PAGE, {"labels": [0, 2], "proba": float32})["agrees"]
    moved = [[0.9, 0.1, 0.0], [0.0, 0.4 + 2e-5, 0.6 - 2e-5]]
    result = site_check.compare_live(PAGE, {"labels": [0, 2], "proba": moved})
    assert not result["agrees"]
    assert result["largest"] == pytest.approx(2e-5)


def test_another_label_disagrees_even_with_equal_probabilities():
    result = site_check.compare_live(PAGE, {"labels": [0, 1], "proba": PROBA})
    assert not result["agrees"]
    assert result["wrong"] == 1


def test_nan_probabilities_disagree():
    result = site_check.compare_live(PAGE, {"labels": [0, 2], "proba": [[np.nan] * 3, PROBA[1]]})
    assert not result["agrees"]


@pytest.mark.parametrize(
    "answer",
    [
        {"labels": [0], "proba": PROBA[:1]},  # a row lost
        {"labels": [0, 2], "proba": [row[:2] for row in PROBA]},  # a class lost
        {"labels": [0, 2, 1], "proba": [*PROBA, PROBA[0]]},  # a row invented
    ],
)
def test_a_lost_or_invented_row_or_class_disagrees_and_says_what_came(answer):
    result = site_check.compare_live(PAGE, answer)
    assert not result["agrees"]
    assert "labels and probabilities of shape" in result["error"]


def test_every_difference_up_to_the_tolerance_agrees_and_none_beyond():
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")

    @hypothesis.given(
        rows=st.integers(1, 5),
        classes=st.integers(2, 4),
        shift=st.floats(-1e-4, 1e-4, allow_nan=False),
        seed=st.integers(0, 2**16),
    )
    def check(rows, classes, shift, seed):
        proba = np.random.default_rng(seed).dirichlet(np.ones(classes), size=rows)
        labels = proba.argmax(axis=1).tolist()
        moved = proba.copy()
        moved[-1, -1] += shift
        answer = {"labels": labels, "proba": moved.tolist()}
        result = site_check.compare_live(_page(proba.tolist(), labels), answer)
        largest = abs(moved[-1, -1] - proba[-1, -1])
        assert result["largest"] == pytest.approx(largest, abs=1e-15)
        assert result["agrees"] == (largest <= site_check.LIVE_TOLERANCE)

    check()


def test_load_summary_counts_the_bytes_and_names_what_came_from_elsewhere():
    facts = {
        "origin": "http://127.0.0.1:8000",
        "files": [
            {"url": "http://127.0.0.1:8000/page.html", "bytes": 1_000},
            {"url": "http://127.0.0.1:8000/_static/ort/ort-wasm-simd-threaded.wasm", "bytes": 14_000},
            {"url": "https://cdn.example.org/lib.js", "bytes": 500},
        ],
    }
    summary = site_check.load_summary(facts)
    assert summary == {
        "bytes": 15_500,
        "files": 3,
        "ort_bytes": 14_000,
        "foreign": ["https://cdn.example.org/lib.js"],
    }


def test_live_pages_are_the_pages_holding_the_demo_data(tmp_path):
    (tmp_path / "plain.html").write_text("<p>no demo</p>", encoding="utf-8")
    (tmp_path / "live.html").write_text(
        '<script type="application/json" class="live-demo-data">{}</script>', encoding="utf-8"
    )
    assert site_check._live_pages(tmp_path, ["live.html", "plain.html"]) == ["live.html"]


def test_the_local_server_gives_modules_and_webassembly_their_types(tmp_path):
    (tmp_path / "ort.wasm.bundle.min.mjs").write_text("export {};", encoding="utf-8")
    (tmp_path / "ort-wasm-simd-threaded.wasm").write_bytes(b"\0asm\1\0\0\0")
    server, base = site_check._serve(tmp_path)
    try:
        types = {}
        for name in ("ort.wasm.bundle.min.mjs", "ort-wasm-simd-threaded.wasm"):
            with urllib.request.urlopen(base + name, timeout=10) as response:  # the loopback only
                types[name] = response.headers["Content-Type"]
    finally:
        server.shutdown()
        server.server_close()
    assert types == {
        "ort.wasm.bundle.min.mjs": "text/javascript",
        "ort-wasm-simd-threaded.wasm": "application/wasm",
    }


_RAN = "Total running time of the script: (0 minutes {} seconds)"


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("It runs in about 20 seconds on the machine", "23.2"),
        ("It runs in about\n25 seconds on the machine", "12.6"),  # wrapped, and a faster build
        ("It runs in under a second on the machine", "0.83"),
        ("The Python part runs in a few seconds; the page", "4.6"),
    ],
)
def test_a_stated_running_time_that_the_build_measured_passes(header, seconds):
    assert site_check.running_time_problem(f"{header} ... {_RAN.format(seconds)}") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It runs in a few seconds. " + _RAN.format("62.0").replace("0 minutes", "1 minutes"), "0 to 8 s"),
        ("It runs in about 10 seconds. " + _RAN.format("31.0"), "3 to 20 s"),
        ("It runs in about 40 seconds. " + _RAN.format("9.0"), "18 to 65 s"),
        ("It runs in under a second. " + _RAN.format("2.5"), "0 to 2 s"),
        ("A lesson that says nothing. " + _RAN.format("3.0"), "does not say how long"),
        ("It runs in about 10 seconds. " + _RAN.format("0.000"), "never ran"),
        ("It runs in about 10 seconds.", "no running time"),
    ],
)
def test_a_missing_or_wrong_running_time_is_a_problem(text, expected):
    assert expected in site_check.running_time_problem(text)
