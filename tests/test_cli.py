"""``python -m helpers`` end to end: in-process through ``main`` and, for --help and
one error, as a real subprocess. Small models and budgets keep it fast."""

from __future__ import annotations

import base64
import io
import json
import pickle
import re
import subprocess
import sys

import joblib
import numpy as np
import pytest

import helpers
from helpers import cli
from helpers.cli import EXIT_ERROR, EXIT_MISMATCH, EXIT_OK, main

FAST = ["--budget", "0.3", "--batch-sizes", "1,20"]


class _WritesAFile:
    """A pickle that, when loaded, creates a file: proof that a refused pickle was not loaded."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.fixture
def files(tmp_path, logistic, iris):
    """An iris logistic regression as .joblib and .onnx, and iris rows as .npy."""
    model, _ = logistic
    X, _ = iris
    joblib.dump(model, tmp_path / "logistic.joblib")
    (tmp_path / "logistic.onnx").write_bytes(helpers.convert(model, X[:1]).SerializeToString())
    np.save(tmp_path / "rows.npy", X[:60])
    return tmp_path


def _one_line_error(capsys, code, expected_code=EXIT_ERROR):
    captured = capsys.readouterr()
    assert code == expected_code
    error = captured.err.strip()
    assert "\n" not in error and "Traceback" not in error, captured.err
    assert error.startswith("train-convert-predict: ")
    return error


# -- help ---------------------------------------------------------------------------
def test_help_documents_every_option_with_examples(capsys):
    assert main(["--help"]) == EXIT_OK
    text = capsys.readouterr().out
    options = ("--model", "--data", "--target", "--no-header", "--trust-pickle", "--trusted-types", "--out")
    for option in (*options, "--budget", "--batch-sizes"):
        assert option in text
    assert "examples:" in text and "exit codes:" in text
    assert "unpickling runs" in text  # why --trust-pickle exists


def test_help_as_a_subprocess():
    completed = subprocess.run(
        [sys.executable, "-m", "helpers", "--help"], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("usage: train-convert-predict")


def test_pickle_refused_as_a_subprocess(tmp_path):
    marker = tmp_path / "pickle-was-loaded"
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps(_WritesAFile(marker)))
    np.save(tmp_path / "rows.npy", np.ones((3, 4)))
    completed = subprocess.run(
        [sys.executable, "-m", "helpers", "--model", "evil.pkl", "--data", "rows.npy"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert completed.returncode == EXIT_ERROR
    assert completed.stderr.count("\n") == 1 and "Traceback" not in completed.stderr
    assert "refusing to load 'evil.pkl'" in completed.stderr and "--trust-pickle" in completed.stderr
    assert not marker.exists()


# -- the three modes ------------------------------------------------------------------
def test_demo_trains_converts_checks_and_times_three_models(capsys, monkeypatch):
    models = cli.demo_models()  # the same models, smaller, to keep the test fast
    models["random forest"].set_params(n_estimators=5)
    models["gradient boosting"].set_params(max_iter=5)
    monkeypatch.setattr(cli.jobs, "demo_models", lambda: models)
    assert main(FAST) == EXIT_OK
    captured = capsys.readouterr()
    for name in ("logistic regression", "random forest", "gradient boosting"):
        assert captured.out.count(name) == 3  # one row per batch size, and the answer
    assert "speed-up" in captured.out and "yes (max diff" in captured.out
    # every speed-up printed with its interval and the answer, e.g. "3.1x to 4.0x use ONNX Runtime"
    verdict = r"(use ONNX Runtime|keep scikit-learn|no clear difference)"
    assert len(re.findall(rf"x to [\d,.]+x +{verdict}", captured.out)) == 6
    assert len(re.findall(rf"^answer: .*{verdict} at ", captured.out, flags=re.MULTILINE)) == 3
    assert "load_breast_cancer" in captured.out and "best" not in captured.out
    assert captured.err == ""  # no progress bar when stderr is not a terminal


def test_sklearn_model_is_converted_checked_and_reported(files, capsys):
    out = files / "report"
    args = ["--model", str(files / "logistic.joblib"), "--trust-pickle", "--data", str(files / "rows.npy")]
    code = main([*args, "--out", str(out), *FAST])
    printed = capsys.readouterr().out
    assert code == EXIT_OK, printed
    assert f"wrote {out / 'report.html'}" in printed

    report = json.loads((out / "report.json").read_text())
    assert report["ok"] is True
    assert set(report) >= {"tool", "created", "settings", "environment", "data", "models"}
    assert report["settings"]["batch_sizes"] == [1, 20]
    (run,) = report["models"]
    assert run["estimator"] == "LogisticRegression" and run["method"] == "predict_proba"
    assert run["comparison"]["ok"] is True and run["comparison"]["label_agreement"] == 1.0
    assert run["checked_rows"] == 60
    # LogisticRegression's n_jobs acts on fitting only: scikit-learn is timed once (a forest's, twice:
    # test_each_batch_size_is_answered_against_the_faster_scikit_learn)
    candidates = ("scikit-learn", "onnxruntime")
    assert {(t["candidate"], t["batch_size"]) for t in run["timings"]} == {
        (c, b) for c in candidates for b in (1, 20)
    }
    against = {(s["against"], s["batch_size"]) for s in run["onnx_speedups"]}
    assert against == {("scikit-learn", b) for b in (1, 20)}
    assert all(s["speedup_low"] <= s["speedup"] <= s["speedup_high"] for s in run["onnx_speedups"])
    for verdict in run["verdicts"]:
        assert verdict["against"] == "scikit-learn" and verdict["rows_repeated"] is False
        assert verdict["verdict"] in ("use ONNX Runtime", "keep scikit-learn", "no clear difference")
    assert [v["batch_size"] for v in run["verdicts"]] == [1, 20]
    assert run["answer"].startswith("logistic: ") and "against" in printed and "verdict" in printed
    assert run["comparison"]["diagnosis"] is None
    assert all(t["median_us"] > 0 and t["rounds"] >= 6 for t in run["timings"])
    assert all(0 < t["median_low_us"] <= t["median_us"] <= t["median_high_us"] for t in run["timings"])

    # the converted model written next to the report predicts what the original does
    assert run["onnx_file"] == str(out / "logistic.onnx")
    model = joblib.load(files / "logistic.joblib")
    rows = np.load(files / "rows.npy")
    np.testing.assert_array_equal(helpers.OnnxPredictor(run["onnx_file"]).predict(rows), model.predict(rows))

    html = (out / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "ONNX vs scikit-learn, 60 rows" in html
    assert "<th>verdict</th>" in html and f"answer: {run['answer']}" in html
    image = html.split('src="data:image/png;base64,')[1].split('"')[0]
    assert base64.b64decode(image).startswith(b"\x89PNG")


def test_onnx_model_is_run_and_timed_without_comparison(files, capsys):
    out = files / "report"
    args = ["--model", str(files / "logistic.onnx"), "--data", str(files / "rows.npy"), "--out", str(out)]
    code = main([*args, *FAST])
    printed = capsys.readouterr().out
    assert code == EXIT_OK
    assert "runs (no sklearn model)" in printed and "onnxruntime (µs)" in printed
    assert "scikit-learn (µs)" not in printed
    (run,) = json.loads((out / "report.json").read_text())["models"]
    assert run["comparison"] is None and run["onnx_file"] is None
    assert {t["candidate"] for t in run["timings"]} == {"onnxruntime"}
    assert sorted(path.name for path in out.iterdir()) == ["report.html", "report.json"]


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_on_a_terminal_only(files, monkeypatch):
    args = ["--model", str(files / "logistic.onnx"), "--data", str(files / "rows.npy"), *FAST]
    for extra, shown in [([], True), (["--no-progress"], False)]:
        terminal = _Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        assert main([*args, *extra]) == EXIT_OK
        assert ("logistic.onnx: check, time" in terminal.getvalue()) is shown


def test_dataframe_model_with_csv_and_parquet(tmp_path, pipeline, mixed_frame, capsys):
    model, _ = pipeline
    frame, target = mixed_frame
    joblib.dump(model, tmp_path / "pipeline.pkl")
    (tmp_path / "pipeline.onnx").write_bytes(helpers.convert(model, frame[:1]).SerializeToString())
    with_label = frame[["city", "visits", "age"]].assign(label=target)  # other order, plus a label
    with_label.to_csv(tmp_path / "rows.csv", index=False)
    with_label.to_parquet(tmp_path / "rows.parquet")

    for data in ("rows.csv", "rows.parquet"):
        args = ["--model", str(tmp_path / "pipeline.pkl"), "--trust-pickle", "--data", str(tmp_path / data)]
        assert main([*args, "--target", "label", *FAST]) == EXIT_OK, capsys.readouterr().err
        assert "yes (max diff" in capsys.readouterr().out
    onnx_args = ["--model", str(tmp_path / "pipeline.onnx"), "--data", str(tmp_path / "rows.csv")]
    assert main([*onnx_args, "--target", "label", *FAST]) == EXIT_OK
    capsys.readouterr()
    error = _one_line_error(capsys, main([*onnx_args, *FAST]))
    assert "unexpected columns ['label']" in error


def test_numeric_dataframe_models_convert_with_one_or_many_inputs(tmp_path, capsys):
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import load_wine
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    wine = load_wine(as_frame=True)
    frame = wine.data.rename(columns=lambda name: name.replace("/", "_"))
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(frame, wine.target)
    by_name = make_pipeline(
        ColumnTransformer([("scaled", StandardScaler(), ["alcohol", "ash"])]), LogisticRegression()
    ).fit(frame, wine.target)
    frame.to_csv(tmp_path / "rows.csv", index=False)
    for name, model in [("forest", forest), ("by_name", by_name)]:
        joblib.dump(model, tmp_path / f"{name}.joblib")
        args = [
            "--model",
            str(tmp_path / f"{name}.joblib"),
            "--trust-pickle",
            "--data",
            str(tmp_path / "rows.csv"),
        ]
        assert main([*args, "--out", str(tmp_path), *FAST]) == EXIT_OK, capsys.readouterr().err
        capsys.readouterr()
    # a lone forest takes one input; a pipeline that selects columns by name, one per column
    assert [i.name for i in helpers.OnnxPredictor(tmp_path / "forest.onnx").session.get_inputs()] == ["X"]
    assert len(helpers.OnnxPredictor(tmp_path / "by_name.onnx").session.get_inputs()) == frame.shape[1]


def test_rows_are_converted_for_onnx_once_per_batch_not_per_call():
    prepared, seen = [], []

    def prepare(batch):
        prepared.append(len(batch))
        return np.asarray(batch, dtype=np.float32)

    call = cli.runs._with_prepared_input(lambda X: seen.append(X.dtype), prepare)
    result = helpers.benchmark({"onnx": call}, np.ones((4, 2)), batch_sizes=(1, 3), repeat=10, min_time=0.0)
    assert prepared == [1, 3]  # once per batch size, at the untimed warm-up
    assert set(seen) == {np.dtype(np.float32)} and len(seen) > 2 * 3
    assert result.batch_sizes == [1, 3]


def test_mismatch_exits_1_and_is_reported(files, capsys, monkeypatch):
    real_compare = helpers.compare

    def strict_compare(model, predictor, X, **kwargs):
        return real_compare(model, predictor, X, rtol=0, atol=0)  # float32 rounding then counts

    monkeypatch.setattr(cli.runs, "compare", strict_compare)
    out = files / "report"
    args = ["--model", str(files / "logistic.joblib"), "--trust-pickle", "--data", str(files / "rows.npy")]
    code = main([*args, "--out", str(out), *FAST])
    printed = capsys.readouterr().out
    assert code == EXIT_MISMATCH
    assert re.search(
        r"^MISMATCH: logistic: \d+ of 60 rows outside the tolerance", printed, flags=re.MULTILINE
    )
    assert re.search(r"^  cause: .*\n  fix: .*\n  lesson: ", printed, flags=re.MULTILINE)
    assert "(once the mismatch below is fixed)" in printed
    report = json.loads((out / "report.json").read_text())
    comparison = report["models"][0]["comparison"]
    assert report["ok"] is False and comparison["rows_outside_tolerance"]
    assert comparison["diagnosis"]["cause"] and comparison["diagnosis"]["lessons"]


def test_mismatch_message_is_one_line_on_stderr(files, capsys, monkeypatch):
    real_compare = helpers.compare
    monkeypatch.setattr(cli.runs, "compare", lambda m, p, X: real_compare(m, p, X, rtol=0, atol=0))
    args = ["--model", str(files / "logistic.joblib"), "--trust-pickle", "--data", str(files / "rows.npy")]
    error = _one_line_error(capsys, main([*args, *FAST]), expected_code=EXIT_MISMATCH)
    assert "differ from scikit-learn's" in error and "the cause and the fix" in error


def test_breast_cancer_scaler_before_trees_gets_the_cause_and_the_fix(tmp_path, capsys):
    """The issue's case: float32 ONNX sends 2 of the 143 rows to the other side of a tree threshold."""
    import pandas as pd
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X, y, random_state=0)
    model = make_pipeline(StandardScaler(), HistGradientBoostingClassifier(random_state=0)).fit(
        X_train, y_train
    )
    joblib.dump(model, tmp_path / "pipeline.joblib")
    pd.DataFrame(X_test).to_csv(tmp_path / "rows.csv", index=False)
    args = [
        "--model",
        str(tmp_path / "pipeline.joblib"),
        "--trust-pickle",
        "--data",
        str(tmp_path / "rows.csv"),
    ]
    code = main([*args, "--out", str(tmp_path / "report"), "--budget", "0.3", "--batch-sizes", "1,1000"])
    printed = capsys.readouterr().out
    assert code == EXIT_MISMATCH, printed
    assert "MISMATCH: pipeline: " in printed and "of 143 rows outside the tolerance" in printed
    cause = (
        "cause: the StandardScaler before the trees computes in float32 in ONNX, in float64 in scikit-learn"
    )
    assert cause in printed and "split threshold" in printed
    assert "fix: drop the StandardScaler and retrain" in printed
    assert "CastTransformer() between it and the trees" in printed and "dtype=np.float64" in printed
    assert "auto_examples/02_converting/plot_03_float_vs_double.html" in printed
    assert "the batch of 1,000 rows repeats the 143 checked rows (about 7 times)" in printed
    (run,) = json.loads((tmp_path / "report" / "report.json").read_text())["models"]
    diagnosis = run["comparison"]["diagnosis"]
    assert diagnosis["cause"].startswith("the StandardScaler before the trees")
    assert [lesson["label"] for lesson in diagnosis["lessons"]] == [
        "float_vs_double",
        "debugging_disagreement",
    ]
    assert [v["rows_repeated"] for v in run["verdicts"]] == [False, True]


def test_diagnosis_of_tree_thresholds_and_of_float32_arithmetic():
    """Sensor readings near 1,000 (the float-vs-double lesson's data): two more causes the tool checks."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    from helpers.cli.diagnose import diagnose

    rng = np.random.default_rng(0)
    X = 1_000 + rng.normal(0, 0.01, size=(2_000, 4))
    y = (X[:, 0] - X[:, 1] + rng.normal(0, 0.005, len(X)) > 0).astype(int)
    causes = {}
    X_train, X_test, y_train = X[:1_000], X[1_000:], y[:1_000]
    for model in (HistGradientBoostingClassifier(max_iter=20, random_state=0), LogisticRegression()):
        model.fit(X_train, y_train)
        onnx_model = cli.runs._convert(model, X_train)
        comparison = helpers.compare(model, helpers.OnnxPredictor(onnx_model), X_test)
        assert not comparison.ok
        causes[type(model).__name__] = diagnose(model, X_test, comparison, onnx_model, cli.runs._convert)
    trees = causes["HistGradientBoostingClassifier"]
    assert (
        trees.cause.startswith("float32 thresholds of the tree ensemble")
        and "within one float32 step" in trees.cause
    )
    assert "sit on a threshold" in trees.fix and "with a tolerance" in trees.fix
    linear = causes["LogisticRegression"]
    assert linear.cause.startswith("float32 arithmetic") and "dtype=np.float64" in linear.fix
    assert linear.lessons == ("float_vs_double",)


def test_each_batch_size_is_answered_against_the_faster_scikit_learn():
    from helpers.benchmark import BenchmarkResult
    from helpers.cli.verdicts import answer_line, verdicts

    timings = {
        ("scikit-learn", 1): [10e-6] * 8,  # one row: the default wins, ONNX Runtime is slower
        ("scikit-learn n_jobs=-1", 1): [300e-6] * 8,
        ("onnxruntime", 1): [20e-6] * 8,
        ("scikit-learn", 1000): [4000e-6] * 8,  # many rows: all cores win, ONNX Runtime is as fast
        ("scikit-learn n_jobs=-1", 1000): [100e-6] * 8,
        ("onnxruntime", 1000): [101e-6, 99e-6] * 4,
    }
    result = BenchmarkResult(timings, ["scikit-learn", "scikit-learn n_jobs=-1", "onnxruntime"], [1, 1000])
    run = cli.ModelRun("forest", "RandomForestClassifier", "predict_proba", None, result, 100)
    one, many = verdicts(run)
    assert (one.against, one.answer, one.repeated) == ("scikit-learn", "keep scikit-learn", False)
    assert (many.against, many.answer, many.repeated) == (
        "scikit-learn n_jobs=-1",
        "no clear difference",
        True,
    )
    assert (
        answer_line(run)
        == "forest: keep scikit-learn at 1 row per call; no clear difference at 1,000 rows per call"
    )
    table = cli.summary_table([run])
    assert list(table["against"]) == ["as saved", "n_jobs=-1"]
    assert list(table["verdict"]) == ["keep scikit-learn", "no clear difference"]


def test_a_model_saved_on_all_cores_is_also_timed_with_the_default():
    from sklearn.ensemble import RandomForestClassifier

    name, default = cli.n_jobs.other_jobs(RandomForestClassifier(n_jobs=-1))
    assert name == "scikit-learn n_jobs=None" and default.n_jobs is None
    assert cli.n_jobs.other_jobs(RandomForestClassifier(n_jobs=2))[1].n_jobs == -1
    for model in cli.demo_models().values():  # scikit-learn's defaults: the tool times n_jobs=-1 itself
        assert all(v is None for k, v in model.get_params().items() if k.endswith("n_jobs"))


def test_only_an_n_jobs_that_acts_on_prediction_gets_a_second_timing():
    """LogisticRegression's n_jobs does nothing since scikit-learn 1.8: timing it twice would time one
    computation twice; a ColumnTransformer's runs its transformers on joblib workers."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    assert cli.n_jobs.other_jobs(LogisticRegression(n_jobs=2)) is None
    model = make_pipeline(ColumnTransformer([("s", StandardScaler(), [0])]), LogisticRegression(n_jobs=2))
    name, copied = cli.n_jobs.other_jobs(model)
    assert name == "scikit-learn n_jobs=-1"
    assert copied.get_params()["columntransformer__n_jobs"] == -1
    assert copied.get_params()["logisticregression__n_jobs"] == 2  # as saved


# -- bad input: one line on stderr, exit code 2 -------------------------------------------
def test_missing_files(files, capsys):
    error = _one_line_error(capsys, main(["--model", str(files / "nothere.onnx"), "--data", "x.npy"]))
    assert "no model file" in error and "nothere.onnx" in error
    error = _one_line_error(capsys, main(["--model", str(files / "logistic.onnx"), "--data", "nothere.csv"]))
    assert "no data file at 'nothere.csv'" in error


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("broken.csv", b'a,b\n1,2\n3,"4\n', "cannot read 'broken.csv' as CSV"),
        (
            "broken.npy",
            b"not a numpy file",
            "cannot read 'broken.npy' as a .npy array: it has no .npy header",
        ),
        ("broken.parquet", b"PAR1 not really", "cannot read 'broken.parquet' as Parquet"),
        ("rows.txt", b"1 2 3 4", "unsupported data file 'rows.txt'"),
    ],
)
def test_unreadable_data(files, capsys, name, content, expected):
    (files / name).write_bytes(content)
    error = _one_line_error(
        capsys, main(["--model", str(files / "logistic.onnx"), "--data", str(files / name)])
    )
    assert expected in error


def test_parquet_without_pyarrow_says_what_to_install(files, capsys, monkeypatch, iris):
    import pandas as pd

    def no_engine(*args, **kwargs):
        raise ImportError("Unable to find a usable engine; tried using: 'pyarrow', 'fastparquet'.")

    pd.DataFrame(iris[0][:5]).to_parquet(files / "rows.parquet")
    monkeypatch.setattr(pd, "read_parquet", no_engine)
    error = _one_line_error(
        capsys, main(["--model", str(files / "logistic.onnx"), "--data", str(files / "rows.parquet")])
    )
    assert "reading Parquet needs pyarrow" in error and "pip install pyarrow" in error


def test_nan_where_sklearn_rejects_it_is_one_line(files, capsys, iris):
    rows = iris[0][:10].copy()
    rows[2, 1] = np.nan
    np.save(files / "nan.npy", rows)
    for model in ("logistic.joblib", "logistic.onnx"):
        args = ["--model", str(files / model), "--trust-pickle", "--data", str(files / "nan.npy")]
        assert "NaN" in _one_line_error(capsys, main(args))


def test_data_that_would_need_unpickling_is_refused(files, capsys):
    np.save(files / "objects.npy", np.array([[{"a": 1}, 2]], dtype=object), allow_pickle=True)
    error = _one_line_error(
        capsys, main(["--model", str(files / "logistic.onnx"), "--data", str(files / "objects.npy")])
    )
    assert "never unpickled" in error


def test_wrong_columns(files, capsys):
    np.save(files / "narrow.npy", np.ones((5, 3)))
    for model in ("logistic.onnx", "logistic.joblib"):
        args = ["--model", str(files / model), "--trust-pickle", "--data", str(files / "narrow.npy")]
        error = _one_line_error(capsys, main(args))
        assert "expect" in error and "4 features" in error and "3" in error
    np.save(files / "flat.npy", np.ones(4))
    error = _one_line_error(
        capsys, main(["--model", str(files / "logistic.onnx"), "--data", str(files / "flat.npy")])
    )
    assert "expected a 2-D array" in error


def test_unsupported_models(files, capsys, iris):
    X, y = iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import NearestCentroid

    data = ["--trust-pickle", "--data", str(files / "rows.npy")]
    joblib.dump({"not": "a model"}, files / "dict.joblib")
    error = _one_line_error(capsys, main(["--model", str(files / "dict.joblib"), *data]))
    assert "holds a dict, not a scikit-learn estimator" in error
    joblib.dump(NearestCentroid().fit(X, y), files / "centroid.joblib")
    error = _one_line_error(capsys, main(["--model", str(files / "centroid.joblib"), *data]))
    assert "no converter for" in error and "NearestCentroid" in error
    joblib.dump(LogisticRegression(), files / "unfitted.joblib")
    error = _one_line_error(capsys, main(["--model", str(files / "unfitted.joblib"), *data]))
    assert "is not fitted" in error
    (files / "model.h5").write_bytes(b"")
    error = _one_line_error(capsys, main(["--model", str(files / "model.h5"), *data]))
    assert "unsupported model file 'model.h5'" in error


def test_corrupt_onnx_file(files, capsys):
    content = (files / "logistic.onnx").read_bytes()
    (files / "truncated.onnx").write_bytes(content[: len(content) // 2])
    error = _one_line_error(
        capsys, main(["--model", str(files / "truncated.onnx"), "--data", str(files / "rows.npy")])
    )
    assert "truncated.onnx" in error and "not a loadable ONNX model" in error


def test_pickle_without_trust_is_not_loaded(files, capsys):
    marker = files / "pickle-was-loaded"
    (files / "evil.joblib").write_bytes(pickle.dumps(_WritesAFile(marker)))
    error = _one_line_error(
        capsys, main(["--model", str(files / "evil.joblib"), "--data", str(files / "rows.npy")])
    )
    assert "unpickling runs any code" in error and "--trust-pickle" in error
    assert not marker.exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--model", "m.onnx"], "--model needs --data"),
        (["--data", "x.npy"], "--data and --target go with --model"),
        (["--budget", "-1"], "--budget must be positive"),
        (["--batch-sizes", "1,zero"], "expected comma-separated integers"),
        (["--preset", "fastest"], "invalid choice: 'fastest'"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_bad_options(capsys, args, expected):
    assert expected in _one_line_error(capsys, main(args))


def test_target_needs_named_columns(files, capsys):
    args = ["--model", str(files / "logistic.onnx"), "--data", str(files / "rows.npy"), "--target", "y"]
    assert "no column names" in _one_line_error(capsys, main(args))


def test_out_must_be_a_directory(files, capsys):
    (files / "afile").write_text("")
    args = [
        "--model",
        str(files / "logistic.onnx"),
        "--data",
        str(files / "rows.npy"),
        "--out",
        str(files / "afile"),
    ]
    assert "is a file, not a directory" in _one_line_error(capsys, main([*args, *FAST]))


def test_console_script_is_main():
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="train-convert-predict")
    assert script.load() is main


def test_auto_preset_is_the_default_and_follows_the_batch_size(monkeypatch):
    import numpy as np
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    import helpers
    from helpers import cli
    from helpers.session import AUTO_BATCH

    assert cli.build_parser().parse_args([]).preset == "auto"
    X, y = load_iris(return_X_y=True)
    onnx_model = helpers.convert(LogisticRegression(max_iter=1000).fit(X, y), X[:1])
    made = []
    real = helpers.OnnxPredictor

    class Recording(real):
        def predict(self, X):
            made.append((self.preset, len(X)))
            return super().predict(X)

    monkeypatch.setattr(cli.runs, "OnnxPredictor", Recording)
    call = cli.runs._timed_call(onnx_model, "auto", "predict")
    big = np.resize(X, (AUTO_BATCH, 4)).astype(np.float32)
    assert len(call(X[:5].astype(np.float32))) == 5 and len(call(big)) == AUTO_BATCH
    assert len(call(big[:100])) == 100
    assert made == [("latency", 5), ("throughput", AUTO_BATCH), ("default", 100)]


# -- hostile options and data (issue 11) ----------------------------------------------------
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--budget", "nan"], "--budget must be a finite number of seconds, got nan"),
        (["--budget", "inf"], "--budget must be a finite number of seconds, got inf"),
        (["--budget", "1e999"], "--budget must be a finite number of seconds, got inf"),
        (["--budget", "1e9"], "--budget must be at most 86400 s"),
        (["--budget", "0"], "--budget must be positive"),
        (["--rows", "0"], "--rows must be at least 1"),
        (["--rows", "nan"], "invalid int value: 'nan'"),
        (["--batch-sizes", "0,10"], "batch sizes must be positive"),
        (["--batch-sizes", ""], "expected comma-separated integers"),
        (["--batch-sizes", "1e3"], "expected comma-separated integers"),
    ],
)
def test_numeric_options_are_finite_and_bounded(capsys, args, expected):
    assert expected in _one_line_error(capsys, main(args))


@pytest.mark.parametrize("model", ["logistic.onnx", "logistic.joblib"])
def test_a_batch_that_would_not_fit_in_memory_is_refused_before_any_allocation(files, capsys, model):
    import time

    args = ["--model", str(files / model), "--trust-pickle", "--data", str(files / "rows.npy")]
    start = time.perf_counter()
    code = main([*args, "--budget", "1", "--batch-sizes", "1,1000000000"])
    error = _one_line_error(capsys, code)
    assert time.perf_counter() - start < 10
    assert "a batch of 1,000,000,000 rows" in error and "available" in error and "at most" in error


def test_demo_checks_the_batch_sizes_before_training(capsys):
    error = _one_line_error(capsys, main(["--batch-sizes", "1000000000000"]))
    assert "would not fit in memory" in error


def test_report_json_is_strict_json():
    from helpers.cli.report import report_json

    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    text = report_json({"settings": {"budget_s": float("nan")}, "values": [1.0, float("inf"), np.float32(2)]})
    assert json.loads(text, parse_constant=refuse) == {
        "settings": {"budget_s": None},
        "values": [1.0, None, 2.0],
    }
