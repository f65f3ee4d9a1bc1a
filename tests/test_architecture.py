"""The shape of helpers: what `make lint`'s import contracts cannot check."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

HELPERS = Path(__file__).resolve().parent.parent / "helpers"
PRIVATE_ONNXRUNTIME = {"_sess", "_iobinding"}  # onnxruntime's private attributes that helpers uses
LONGEST = 250  # lines a module may have without saying why at its top


def _modules():
    return sorted(HELPERS.rglob("*.py"))


def test_private_onnxruntime_attributes_only_in_fastcall():
    users = set()
    for path in _modules():
        names = {
            node.attr for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Attribute)
        }
        names |= {
            node.value
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        }
        if names & PRIVATE_ONNXRUNTIME:
            users.add(path.name)
    assert users == {"fastcall.py"}


def test_long_modules_say_why():
    unexplained = []
    for path in _modules():
        text = path.read_text()
        if len(text.splitlines()) > LONGEST and f"Longer than {LONGEST} lines" not in text[:3000]:
            unexplained.append(f"{path.relative_to(HELPERS)}: {len(text.splitlines())} lines")
    assert unexplained == []


def test_import_helpers_leaves_the_optional_heavy_libraries_alone():
    """dask, fastapi and the boosting libraries load only with the modules that need them."""
    optional = ["dask", "distributed", "fastapi", "lightgbm", "xgboost", "onnxmltools"]
    code = f"import sys, helpers; print(sorted(set({optional!r}) & set(sys.modules)))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"
