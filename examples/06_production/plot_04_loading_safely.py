"""
.. _loading_safely:

Loading a model you did not make
================================

Someone sent you a model file. Whether opening it is safe depends on its
format. You will watch a pickle run code the moment it is loaded, save the same
kind of model with skops, which rebuilds only the types you allow, and see what
an ONNX file, which holds no code, can still ask of the machine that opens it.
Last, the command-line tool of :ref:`command_line` refuses a ``.skops`` file
until you list the types you checked.

It runs in a few seconds on the machine that builds these pages.
"""

# %%
# A model, and a folder for every file
# ------------------------------------
# A logistic regression on the iris data bundled with scikit-learn, fitted on
# a DataFrame. Every file of this lesson goes into a temporary directory.
import tempfile
from pathlib import Path

from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

X, y = load_iris(return_X_y=True, as_frame=True)
model = LogisticRegression(max_iter=1000).fit(X, y)
workdir = Path(tempfile.mkdtemp(prefix="loading-safely-"))
print(f"files go to {workdir}")

# %%
# A pickle runs code when it is loaded
# ------------------------------------
# ``joblib.dump`` and ``pickle.dump`` write a *program* that rebuilds the
# object: for each object, a function to call and its arguments, which the
# object chooses with ``__reduce__``. Loading the file calls those functions.
# Here an extra attribute, hidden in an otherwise normal model, asks to call
# ``Path.write_text`` on a marker file. A real attacker would call
# ``os.system`` instead; the mechanism is the same.
import joblib


class Payload:
    """Rebuilt by calling Path.write_text(marker, ...): it runs on load."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "written while unpickling\n"))


marker = workdir / "pickle-ran-code.txt"
model.note_ = Payload(marker)
pickle_path = workdir / "model.joblib"
joblib.dump(model, pickle_path)
del model.note_
assert not marker.exists()

loaded = joblib.load(pickle_path)
print(f"after joblib.load, {marker.name} exists: {marker.exists()}")
print(f"it says: {marker.read_text().strip()!r}")
assert marker.exists()
assert (loaded.predict(X) == model.predict(X)).all()  # and the model works

# %%
# Nothing in the loaded model looks wrong: it predicts as before, and the
# attribute holds what ``write_text`` returned (the number of characters
# written). No check *after* ``joblib.load`` can help, since the code already
# ran; a pickle is safe only when you trust whoever wrote it.
loaded.note_

# %%
# skops: a format that says what it will rebuild
# ----------------------------------------------
# `skops <https://skops.readthedocs.io>`_ saves a scikit-learn model as a zip
# file of JSON and arrays, and ``skops.io.load`` rebuilds only the types it
# trusts (scikit-learn's estimators, numpy, scipy) or that you list. Before
# loading, ``skops.io.get_untrusted_types`` reads the file and lists the
# others, without rebuilding any object. A plain model holds none.
import numpy as np
import skops.io

plain_path = workdir / "plain.skops"
skops.io.dump(model, plain_path)
print(skops.io.get_untrusted_types(file=plain_path))
plain = skops.io.load(plain_path)
np.testing.assert_array_equal(plain.predict_proba(X), model.predict_proba(X))

# %%
# A model that carries code of its own is another matter. This pipeline scales
# the petal columns, chosen by a function of ours; skops stores the function
# by name, and will not import it unless told to. Review the list, then pass
# it as ``trusted``: each name is code that loading imports and that the
# model may run when it predicts.
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def petal_columns(frame):
    """The columns whose name starts with 'petal'."""
    return [column for column in frame.columns if column.startswith("petal")]


petals = ColumnTransformer([("petals", StandardScaler(), petal_columns)])
pipeline = make_pipeline(petals, LogisticRegression()).fit(X, y)
pipeline_path = workdir / "pipeline.skops"
skops.io.dump(pipeline, pipeline_path)
reviewed = skops.io.get_untrusted_types(file=pipeline_path)
print(f"types to review: {reviewed}")
assert reviewed == [f"{petal_columns.__module__}.petal_columns"]

rebuilt = skops.io.load(pipeline_path, trusted=reviewed)
np.testing.assert_array_equal(rebuilt.predict(X), pipeline.predict(X))

# %%
# Suppose the file you receive is a tampered copy: the same pipeline with one
# more attribute pointing to ``os.system``. Loading it with the list you
# reviewed before fails, and the error names the type you did not review.
# Only a type listed by hand is rebuilt, so reviewing the list once per file
# is the whole job.
import os

pipeline.run_after_ = os.system  # a reference to a function, never called here
tampered_path = workdir / "tampered.skops"
skops.io.dump(pipeline, tampered_path)
del pipeline.run_after_
try:
    skops.io.load(tampered_path, trusted=reviewed)
    raise AssertionError("skops loaded a type nobody listed")
except skops.io.exceptions.UntrustedTypesFoundException as error:
    print(f"{type(error).__name__}: {error}")
    assert "system" in str(error)

# %%
# ONNX: a file that holds no code
# -------------------------------
# An ONNX file is a graph of standard operators (``MatMul``, ``TreeEnsemble``,
# ...) whose code is the runtime's own; loading it calls nothing the file
# names. It can still ask for things. It may be huge, or slow to optimise. An
# operator from a custom domain runs only if *you* register a library for it.
# And a tensor may live in another file ("external data", for models over
# 2 GB): the file names a path, and a hostile file names one outside its
# folder. Here is such a model, one ``Add`` whose weights point to
# ``../secret.bin``, a file next to the model's folder.
import onnx
import onnxruntime
from onnx import TensorProto, helper

(workdir / "secret.bin").write_bytes(np.arange(4, dtype=np.float32).tobytes())
weights = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4])
weights.data_location = TensorProto.EXTERNAL
for key, value in {"location": "../secret.bin", "offset": "0", "length": "16"}.items():
    weights.external_data.add(key=key, value=value)
graph = helper.make_graph(
    [helper.make_node("Add", ["x", "w"], ["y"])],
    "reads_a_neighbour",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
    initializer=[weights],
)
(workdir / "received").mkdir()
hostile_path = workdir / "received" / "model.onnx"
hostile_path.write_bytes(helper.make_model(graph).SerializeToString())

# %%
# The onnxruntime and onnx installed here both refuse a path that leaves the
# model's folder (so they do an absolute path, or a symbolic link that points
# out). Had it loaded, ``y`` would be the secret's four numbers plus ``x``: a
# model's answers can carry a file's content to whoever reads them.
try:
    session = onnxruntime.InferenceSession(
        hostile_path, providers=["CPUExecutionProvider"]
    )
    raise AssertionError("onnxruntime read a file outside the model's folder")
except onnxruntime.capi.onnxruntime_pybind11_state.Fail as error:
    print(f"onnxruntime {onnxruntime.__version__}: {str(error).splitlines()[0]}")
try:
    onnx.load(hostile_path)
    raise AssertionError("onnx read a file outside the model's folder")
except onnx.checker.ValidationError as error:
    print(f"onnx {onnx.__version__}: {str(error).splitlines()[0]}")

# %%
# These checks came with time: onnx 1.21.0, for one, fixed a symbolic link
# that led ``onnx.load`` out of the folder (advisory GHSA-3r9x-f23j-gc73).
# Keep onnx and onnxruntime current when you open files from others.
#
# How ``helpers`` keeps pickles out
# ---------------------------------
# :func:`helpers.convert` takes a fitted model *object*: loading it, and
# trusting the file, is your decision, made in your code.
# :class:`helpers.OnnxPredictor` reads ONNX bytes only, and refuses a pickle
# by its first byte (``helpers.modelfile.check_not_pickle``) before
# anything parses it. Given the pickle from above, nothing runs.
import helpers

marker.unlink()
try:
    helpers.OnnxPredictor(pickle_path)
    raise AssertionError("a pickle was accepted as an ONNX model")
except helpers.ModelFileError as error:
    print(f"ModelFileError: {error}")
assert not marker.exists()

# %%
# The command-line tool and a ``.skops`` file
# -------------------------------------------
# ``python -m helpers --model file.skops`` loads a skops file without asking
# only when it holds no untrusted type; otherwise it exits with code 2 and
# lists them. Data can need a review too: this model carries the date it was
# trained on, a ``datetime.date``, which skops does not rebuild unless listed.
# We call the tool's entry point, :func:`helpers.cli.main`, in the notebook,
# with the rows in a CSV file, and catch stderr to show the message.
import contextlib
import datetime
import io

from helpers.cli import main

dated = LogisticRegression(max_iter=1000).fit(X, y)
dated.trained_on_ = datetime.date(2025, 1, 31)
dated_path = workdir / "dated.skops"
skops.io.dump(dated, dated_path)
rows_path = workdir / "iris.csv"
X.to_csv(rows_path, index=False)
arguments = ["--model", str(dated_path), "--data", str(rows_path)]
arguments += ["--budget", "1", "--batch-sizes", "1,100", "--no-progress"]
stderr = io.StringIO()
with contextlib.redirect_stderr(stderr):
    refused_code = main(arguments)
print(f"exit code {refused_code}: {stderr.getvalue().strip()}")
assert refused_code == 2 and "--trusted-types datetime.date" in stderr.getvalue()

# %%
# With the types you reviewed, given as ``--trusted-types`` (comma-separated),
# the tool loads the model with ``skops.io.load(path, trusted=...)`` and goes
# on as for a pickle: it converts the model, checks it against scikit-learn
# on the rows, and times both (:ref:`command_line` explains the table). Its
# timings were measured here:
code = main([*arguments, "--trusted-types", "datetime.date"])
assert code == 0
helpers.machine_summary()

# %%
# A type the file holds and the list lacks is still refused: the tampered
# pipeline, given the list reviewed for the genuine one, ends in exit code 2,
# naming what was not reviewed.
stderr = io.StringIO()
with contextlib.redirect_stderr(stderr):
    tampered_args = ["--model", str(tampered_path), *arguments[2:]]
    tampered_code = main([*tampered_args, "--trusted-types", ",".join(reviewed)])
print(f"exit code {tampered_code}: {stderr.getvalue().strip()}")
assert tampered_code == 2 and "system" in stderr.getvalue()

# %%
# What to trust, format by format
# -------------------------------
# scikit-learn's `guide to model persistence
# <https://scikit-learn.org/stable/model_persistence.html>`_ ranks these
# formats the same way: ONNX the most secure option, skops more secure than
# the pickle-based formats.
import pandas as pd

pd.DataFrame(
    {
        "can run code on load": [
            "yes: any code the file names",
            "only types you list (or skops trusts)",
            "no: the runtime's operators only",
        ],
        "what you must trust": [
            "whoever wrote the file",
            "each type you list, after review",
            "onnx and onnxruntime (keep them current)",
        ],
        "how helpers treats it": [
            "never unpickles; the CLI does with --trust-pickle",
            "the CLI loads it once --trusted-types lists them",
            "the only format OnnxPredictor reads",
        ],
    },
    index=pd.Index(["pickle, joblib", "skops", "ONNX"], name="format"),
)
