"""Sphinx configuration. The sources are in docs/: sphinx-build -c . docs docs/_build/html"""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")
# onnxruntime 1.29+ sends usage telemetry when imported (Linux, macOS); the build makes no
# network call, so it is off before any lesson imports onnxruntime.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

project = "train-convert-predict"
author = "the train-convert-predict authors"
copyright = "2026, " + author
release = version = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx_gallery.gen_gallery",
]

exclude_patterns = ["_build", "_static", "**.ipynb_checkpoints", "auto_examples/*.ipynb", "auto_examples/**/*.ipynb"]
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "description"
napoleon_numpy_docstring = True
napoleon_google_docstring = False
nitpicky = False

html_theme = "pydata_sphinx_theme"
html_title = "train-convert-predict"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
}
# docs/_static/site.css: a wider article so that 88-character lesson code fits the column
html_static_path = ["docs/_static"]
html_css_files = ["site.css"]
html_favicon = "docs/_static/favicon.svg"
# the theme logs a console error on a reader's first visit when no default mode is set
html_context = {"default_mode": "auto"}

# The first cell of every downloaded notebook says how to install what the lessons import. It is
# commented out, so that nothing is installed when a notebook runs in `make test` or in
# tools/outside_check.sh (which checks this text); the landing page's section says more.
_WHEEL = f"train_convert_predict-{release}-py3-none-any.whl"  # what `make docs` ships in _downloads/
FIRST_NOTEBOOK_CELL = f"""\
# To run this notebook outside the project's repository, install its package,
# train-convert-predict, with the [lessons] extra (what the lessons import).
# It is not on PyPI, and `pip install helpers` installs an unrelated package:
# uncomment one line, with the wheel from the documentation's landing page
# (section "Use it in your own project") or from beside a clone of the project.
# %pip install "{_WHEEL}[lessons]"
# %pip install "./train-convert-predict[lessons]"
# A file helpers.py beside this notebook would be imported instead of ours.
# onnxruntime 1.29+ sends usage telemetry when imported (Linux, macOS); this
# line, run before it is imported, turns that off: nothing here needs a network.
import os; os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
%matplotlib inline"""

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": True,
    "first_notebook_cell": FIRST_NOTEBOOK_CELL,
    "remove_config_comments": True,
    "reference_url": {"helpers": None},
    "doc_module": ("helpers",),
    "backreferences_dir": "generated/backreferences",
    "show_memory": False,
    "min_reported_time": 0,
    "matplotlib_animations": False,
    # the execution-time pages load jQuery and DataTables from CDNs (network, console errors
    # offline); the build log prints the same times ("computation time summary")
    "write_computation_times": False,
}
