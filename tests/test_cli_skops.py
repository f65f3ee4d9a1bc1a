"""``.skops`` model files in the command-line tool (issue 21): loaded without opt-in only when
they hold nothing but types skops trusts; otherwise refused with the list of the types to check,
and loaded once ``--trusted-types`` lists every one of them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from helpers.cli import EXIT_ERROR, EXIT_OK, main
from helpers.cli.models import load_skops_model

skops_io = pytest.importorskip("skops.io")

FAST = ["--budget", "0.3", "--batch-sizes", "1"]


def petal_columns(frame):
    """A column selector: a function of the user's own, which skops does not trust by default."""
    return [column for column in frame.columns if column.startswith("petal")]


class WritesOnLoad:
    """An object that creates a file when it is rebuilt: proof that a refused file was not loaded."""

    def __init__(self, path):
        self.path = str(path)

    def __setstate__(self, state):
        self.__dict__.update(state)
        open(self.path, "w").close()


def _name(thing):
    return f"{thing.__module__}.{thing.__qualname__}"


def _run(capsys, *args):
    code = main([*(str(arg) for arg in args), *FAST])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Three skops files (a plain model, a pipeline with a function of ours, the same carrying
    os.system and an object that writes a file when rebuilt) and the iris rows as CSV."""
    X, y = load_iris(return_X_y=True, as_frame=True)
    folder = tmp_path_factory.mktemp("skops")
    X.to_csv(folder / "rows.csv", index=False)
    skops_io.dump(LogisticRegression(max_iter=1000).fit(X, y), folder / "plain.skops")
    selected = ColumnTransformer([("petals", StandardScaler(), petal_columns)])
    pipeline = make_pipeline(selected, LogisticRegression()).fit(X, y)
    skops_io.dump(pipeline, folder / "pipeline.skops")
    pipeline.run_after_ = os.system  # never called: a reference, as an attacker would add one
    pipeline.marker_ = WritesOnLoad(folder / "object-was-rebuilt")
    skops_io.dump(pipeline, folder / "tampered.skops")
    return folder


def test_a_file_of_trusted_types_runs_without_opt_in(files, capsys):
    assert skops_io.get_untrusted_types(file=files / "plain.skops") == []
    code, out, err = _run(capsys, "--model", files / "plain.skops", "--data", files / "rows.csv")
    assert code == EXIT_OK, err
    assert "yes (max diff" in out and "150 rows x 4 columns" in out


def test_an_untrusted_type_is_listed_then_accepted(files, capsys):
    model = ["--model", files / "pipeline.skops", "--data", files / "rows.csv"]
    code, out, err = _run(capsys, *model)
    assert code == EXIT_ERROR and out == "" and err.count("\n") == 1
    refused = "refusing to load 'pipeline.skops': it holds types skops does not trust by default"
    assert f"{refused} ({_name(petal_columns)})" in err
    assert f"pass --trusted-types {_name(petal_columns)}" in err

    code, out, err = _run(capsys, *model, "--trusted-types", _name(petal_columns))
    assert code == EXIT_OK, err
    assert "yes (max diff" in out and "pipeline" in out


def test_a_type_not_listed_stays_refused_and_nothing_is_rebuilt(files, capsys):
    system, marker = _name(os.system), _name(WritesOnLoad)
    model = ["--model", files / "tampered.skops", "--data", files / "rows.csv"]
    code, _, err = _run(capsys, *model, "--trusted-types", _name(petal_columns))
    assert code == EXIT_ERROR
    assert "it holds types that --trusted-types does not list:" in err and system in err and marker in err
    code, _, err = _run(capsys, *model)  # without the option: every untrusted type listed
    assert code == EXIT_ERROR and all(name in err for name in (system, marker, _name(petal_columns)))
    assert not (files / "object-was-rebuilt").exists()
    # listed after checking them, they load (os.system is referenced, never called)
    everything = ",".join([_name(petal_columns), system, marker])
    model_object = load_skops_model(files / "tampered.skops", everything.split(","))
    assert model_object.run_after_ is os.system and (files / "object-was-rebuilt").exists()


def test_trusted_types_go_with_skops_files_only(files, capsys, tmp_path):
    import joblib

    joblib.dump(LogisticRegression(), tmp_path / "model.joblib")
    code, _, err = _run(
        capsys,
        "--model",
        tmp_path / "model.joblib",
        "--trust-pickle",
        "--trusted-types",
        "a.B",
        "--data",
        files / "rows.csv",
    )
    assert code == EXIT_ERROR and "--trusted-types lists the types to trust in a .skops file" in err
    code, _, err = _run(
        capsys, "--model", files / "plain.skops", "--trusted-types", " , ", "--data", files / "rows.csv"
    )
    assert code == EXIT_ERROR and "expected comma-separated type names" in err


def test_a_file_that_is_not_skops_and_a_missing_skops(files, capsys, tmp_path, monkeypatch):
    (tmp_path / "fake.skops").write_bytes(b"\x80\x04not a zip file")
    code, _, err = _run(capsys, "--model", tmp_path / "fake.skops", "--data", files / "rows.csv")
    assert code == EXIT_ERROR and "cannot read 'fake.skops' as a skops file" in err
    monkeypatch.setitem(sys.modules, "skops.io", None)  # as if skops were not installed
    code, _, err = _run(capsys, "--model", files / "plain.skops", "--data", files / "rows.csv")
    assert code == EXIT_ERROR and "needs skops, which is not installed: pip install skops" in err


def test_skops_is_imported_only_for_a_skops_file(files):
    code = "import sys, helpers.cli; print('skops' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert output.stdout.strip() == "False"
