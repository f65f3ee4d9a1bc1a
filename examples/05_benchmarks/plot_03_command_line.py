"""
.. _command_line:

The command-line tool
=====================

Everything the lessons do to one model, convert, check, time, without
writing code: ``python -m helpers`` (installed also as
``train-convert-predict``). You will run it on a model you saved with joblib
and on the ONNX file it writes, read its table and its HTML and JSON report,
and see why it refuses a pickle unless you pass ``--trust-pickle``. It follows
:ref:`tuning` and uses the helpers of :ref:`with_helpers`.

It runs in about 10 seconds on the machine that builds these pages.
"""

# %%
# What the tool does
# ------------------
# In a shell you would type ``python -m helpers --help``. Here we call the
# same entry point in the notebook: :func:`helpers.cli.main` takes the list of
# arguments and returns the exit code instead of ending the process. The help
# lists every option, with examples and the meaning of the exit codes.
from helpers.cli import main

help_code = main(["--help"])
assert help_code == 0

# %%
# Without any argument, the tool trains three models on scikit-learn's
# breast cancer data, converts and checks them, and times them at 1, 100 and
# 10,000 rows per call. That demonstration takes as long as its ``--budget``
# (see the help above), so this lesson runs the tool on a model of its own.
#
# Train a model and save it
# -------------------------
# The wine data ships with scikit-learn, with named columns. The model is a
# 100-tree random forest fitted on a DataFrame, with scikit-learn's defaults,
# saved with :func:`joblib.dump` the way most scikit-learn models are saved.
# We need not pick its ``n_jobs``: the tool times the model as saved and, since
# a forest has ``n_jobs``, also on every core (``n_jobs=-1``), and compares
# ONNX Runtime with the faster of the two at each batch size. The rows we
# will check it on go to a CSV file, with the label column left in, as data
# often comes. Everything is written into a temporary directory.
import tempfile
from pathlib import Path

import joblib
from sklearn.datasets import load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

wine = load_wine(as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(
    wine.data, wine.target, test_size=0.3, stratify=wine.target, random_state=0
)
model = RandomForestClassifier(n_estimators=100, random_state=0)
model.fit(X_train, y_train)

workdir = Path(tempfile.mkdtemp(prefix="command-line-"))
model_path = workdir / "wine_forest.joblib"
joblib.dump(model, model_path)
rows_path = workdir / "wine_rows.csv"
X_test.assign(cultivar=y_test).to_csv(rows_path, index=False)
n_rows, n_features = X_test.shape
print(f"saved {model_path.name}, and {rows_path.name}: {n_rows} rows")
print(f"{n_features} feature columns and the label column")

# %%
# A pickle is refused unless you trust it
# ---------------------------------------
# A ``.joblib`` or ``.pkl`` file is a pickle, and loading a pickle runs
# whatever code its author put in it: a model file from someone else can do
# anything your account can. The tool therefore refuses to load one unless
# you say ``--trust-pickle``, and says so in one line on stderr with exit
# code 2. (ONNX files and ``.npy`` data are never unpickled.) We catch stderr
# to show the message here.
import contextlib
import io

stderr = io.StringIO()
with contextlib.redirect_stderr(stderr):
    refused_code = main(["--model", str(model_path), "--data", str(rows_path)])
print(f"exit code {refused_code}: {stderr.getvalue().strip()}")
assert refused_code == 2 and "--trust-pickle" in stderr.getvalue()

# %%
# Convert, check and time your model
# ----------------------------------
# With ``--trust-pickle`` the tool loads the model, matches the CSV columns
# to the ones the model was fitted with (by name, in any order; ``--target``
# drops the label), converts it with :func:`helpers.convert`, compares it
# with scikit-learn on every row with :func:`helpers.compare`, and times
# ``predict_proba`` of both with :func:`helpers.benchmark`, interleaved in
# paired rounds. scikit-learn gets the rows as read (float64); the ONNX
# model gets them converted to float32 once, before timing, and is called
# through :class:`helpers.OnnxPredictor`, the tool's ``onnxruntime`` column
# (its private fast path, not the bare ``session.run``). ``--budget`` bounds
# the whole run in seconds; the timing gets what the other steps leave, and
# at least ten rounds per batch size. ``--out`` names the directory for the
# report and the converted model.
report_dir = workdir / "report"
arguments = ["--model", str(model_path), "--trust-pickle"]
arguments += ["--data", str(rows_path), "--target", "cultivar"]
arguments += ["--out", str(report_dir), "--budget", "4"]
code = main([*arguments, "--batch-sizes", "1,100,10000"])
assert code == 0

# %%
# Read the table by rows: each line is one batch size, with the median time
# per call of each candidate over the rounds; ``against``, the faster
# scikit-learn setting at that batch size; ONNX Runtime's speed-up over it
# (the median of the rounds' paired ratios) with its 95% interval; the
# verdict read from that interval, "use ONNX Runtime", "keep scikit-learn"
# or "no clear difference"; and whether the ONNX model gave the same labels
# and the same probabilities up to float32 rounding (the tolerance of
# :func:`helpers.compare`). The ``answer`` line under the table sums the
# verdicts up, and a note says which batches repeat the test rows, as a
# batch larger than the data can only be made of copies. The JSON report,
# below, holds the same figures. A check that fails ends with exit code 1, after the
# table, a ``MISMATCH`` line with the cause the tool found, the fix and the
# lesson that explains it (often :ref:`float_vs_double`), and the report,
# so that a script or a CI job can stop on it.
#
# The report
# ----------
# ``--out`` wrote three files: the converted model, the report for people
# (an HTML page that needs nothing else: its figures are embedded PNG
# images), and the same facts for programs, as JSON.
import pandas as pd

files = sorted(report_dir.iterdir())
pd.DataFrame(
    {
        "file": [file.name for file in files],
        "bytes": [file.stat().st_size for file in files],
    }
)

# %%
# The JSON holds the settings, the machine and library versions, and for
# each model its check and every timing. Here is what a program would read,
# and the checks that this lesson relies on: the median time per call of
# each candidate, by batch size.
import json

report = json.loads((report_dir / "report.json").read_text())
(forest_run,) = report["models"]
assert report["ok"] and forest_run["comparison"]["ok"]
assert forest_run["comparison"]["label_agreement"] == 1.0
assert {"settings", "environment", "data", "models"} <= set(report)
assert Path(forest_run["onnx_file"]).exists()
timings = pd.DataFrame(forest_run["timings"])
medians = timings.pivot(index="batch_size", columns="candidate", values="median_us")
medians.style.format("{:,.1f}")

# %%
# The HTML page shows the same table, the agreement report and one figure per
# model. We take the figure out of the page and draw it here: its title was
# formatted from this run's measurements.
import base64

import matplotlib.image
import matplotlib.pyplot as plt

page = (report_dir / "report.html").read_text()
png = base64.b64decode(page.split("data:image/png;base64,")[1].split('"')[0])
image = matplotlib.image.imread(io.BytesIO(png), format="png")
fig, ax = plt.subplots(figsize=(10, 4), layout="constrained")
ax.imshow(image)
ax.set_axis_off()
plt.show()

# %%
# What this run measured, formatted from the JSON's ``verdicts``: per batch
# size, the scikit-learn setting ONNX Runtime was compared with (the faster
# of the two in the same rounds), the speed-up with its interval, and the
# answer read from it. For a single row, scikit-learn calls each of the
# forest's 100 trees from Python, where ONNX Runtime makes one compiled
# call; the check is that this row's answer is "use ONNX Runtime".


def ratio(value):
    """2.35x, 23.5x, 1,826x: the digits that matter."""
    return f"{value:.3g}x" if value < 1_000 else f"{value:,.0f}x"


def per_call(batch_size):
    """'     1 row per call', '10,000 rows per call'."""
    return f"{batch_size:>6,} row{'s' * (batch_size != 1)} per call"


verdicts = pd.DataFrame(forest_run["verdicts"]).set_index("batch_size")
for batch_size, row in verdicts.iterrows():
    print(
        f"{per_call(batch_size)}: {ratio(row.speedup)} "
        f"[{ratio(row.speedup_low)}, {ratio(row.speedup_high)}] "
        f"against {row.against}: {row.verdict}"
    )
assert verdicts.loc[1, "verdict"] == "use ONNX Runtime", verdicts.loc[1]

# %%
# The machine these timings come from (the JSON's ``environment`` says the
# same):
import helpers

helpers.machine_summary()

# %%
# Check and time an ONNX file
# ---------------------------
# When all you have is the ``.onnx`` file, say on the serving machine, give
# the tool that file and rows as a ``.npy`` array (read with
# ``allow_pickle=False``). Without the scikit-learn model there is nothing
# to compare predictions with, so the tool checks what it can: the model
# loads, accepts the rows (their number of columns, their type), and returns
# one finite prediction per row. Then it times ONNX Runtime alone.
import numpy as np

npy_path = workdir / "wine_rows.npy"
np.save(npy_path, X_test.to_numpy())
onnx_file = forest_run["onnx_file"]
onnx_dir = workdir / "onnx-report"
onnx_arguments = ["--model", onnx_file, "--data", str(npy_path), "--budget", "2"]
onnx_code = main([*onnx_arguments, "--out", str(onnx_dir)])
assert onnx_code == 0

# %%
# Both runs timed the same predictor, with the same preset, on the same rows,
# yet their ``onnxruntime`` times need not match: they are two runs, seconds
# apart, and nothing pairs a timing of one with a timing of the other. Within
# a run, the rounds interleave the candidates, so a slow moment of the
# machine hits them alike and the speed-ups cancel it; across runs, every
# change in what else the machine does goes straight into the times. The
# 100-row preset is onnxruntime's defaults, a pool of one thread per
# physical core that spins between calls: it needs the cores free, so it
# moves most with other work. The JSON gives each median its 95% interval
# (``median_low_us``, ``median_high_us``). Unpaired runs have no interval
# for their ratio, but two intervals that do not overlap say that the same
# call was timed differently in the two runs: by other work on the machine,
# or by what ran just before it (in the first run, scikit-learn's calls
# take turns with it; in the second, nothing does):
onnx_only = json.loads((onnx_dir / "report.json").read_text())["models"][0]
first_run = timings[timings.candidate == "onnxruntime"].set_index("batch_size")
second_run = pd.DataFrame(onnx_only["timings"]).set_index("batch_size")


def with_interval(row):
    """'263.8 µs [250.1, 280.2]'."""
    low, high = row.median_low_us, row.median_high_us
    return f"{row.median_us:,.1f} µs [{low:,.1f}, {high:,.1f}]"


for batch_size, first in first_run.iterrows():
    second = second_run.loc[batch_size]
    apart = (
        first.median_low_us > second.median_high_us
        or second.median_low_us > first.median_high_us
    )
    reading = "no overlap: the runs differ" if apart else "the intervals overlap"
    print(
        f"{per_call(batch_size)}: {with_interval(first)} in the first run, "
        f"{with_interval(second)} in the ONNX-only run: {reading}"
    )

# %%
# Read the speed-ups of one run, with their intervals, and compare times
# across runs only when their intervals overlap, or rerun them on a quiet
# machine.

# %%
# Bad input, one line
# -------------------
# Every bad input ends the same way: one line on stderr that says what was
# expected and what came, and exit code 2, never a traceback. Here the
# ``.npy`` file lacks a column:
np.save(workdir / "narrow.npy", X_test.to_numpy()[:, :-1])
stderr = io.StringIO()
with contextlib.redirect_stderr(stderr):
    narrow_code = main(["--model", onnx_file, "--data", str(workdir / "narrow.npy")])
print(f"exit code {narrow_code}: {stderr.getvalue().strip()}")
assert narrow_code == 2 and stderr.getvalue().count("\n") == 1

# %%
# In a shell
# ----------
# The same runs, from a terminal, where a progress bar shows on stderr
# (it stays quiet when the output goes to a file or a pipe)::
#
#     python -m helpers                                    # the demonstration
#     python -m helpers --out report/                      # and its report
#     train-convert-predict --model wine_forest.joblib --trust-pickle \
#         --data wine_rows.csv --target cultivar --out report/
#     train-convert-predict --model report/wine_forest.onnx --data wine_rows.npy
#
# Clean up the temporary directory:
import shutil

shutil.rmtree(workdir)
