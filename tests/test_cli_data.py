"""The command-line tool reads data files without losing a row or a word (issue 20, cause 11):
a headerless CSV file is not shortened by its first row, text such as "NA" stays text, and an
ONNX model whose input width is free is checked against the width it needs, or said unchecked."""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
import pytest
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

import helpers
from helpers.cli import EXIT_ERROR, EXIT_OK, main
from helpers.cli.columns import Expected, expected_columns
from helpers.cli.data import load_data
from helpers.cli.tables import NA_WORDS

FAST = ["--budget", "0.3", "--batch-sizes", "1"]


def _run(capsys, *args):
    code = main([*(str(arg) for arg in args), *FAST])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def iris_files(tmp_path_factory, iris):
    """Iris rows without a header, the same with the label last, and a logistic regression."""
    X, y = iris
    folder = tmp_path_factory.mktemp("iris")
    np.savetxt(folder / "rows.csv", X, delimiter=",", fmt="%g")
    np.savetxt(folder / "labelled.csv", np.column_stack([X, y]), delimiter=",", fmt="%g")
    joblib.dump(LogisticRegression(max_iter=1000).fit(X, y), folder / "model.joblib")
    return folder


# -- 1. a CSV file without a header -------------------------------------------------
def test_a_first_row_of_numbers_is_refused_not_taken_for_names(iris_files, capsys):
    model = ["--model", iris_files / "model.joblib", "--trust-pickle"]
    code, out, err = _run(capsys, *model, "--data", iris_files / "rows.csv")
    assert code == EXIT_ERROR and out == ""
    assert "the first row of 'rows.csv' holds numbers (5.1" in err and "--no-header" in err
    assert "--header" in err and err.count("\n") == 1

    code, out, err = _run(capsys, *model, "--data", iris_files / "rows.csv", "--no-header")
    assert code == EXIT_OK, err
    assert "150 rows x 4 columns" in out  # not 149
    code, out, _ = _run(capsys, *model, "--data", iris_files / "labelled.csv", "--no-header", "--target", -1)
    assert code == EXIT_OK and "150 rows x 4 columns" in out
    code, out, _ = _run(capsys, *model, "--data", iris_files / "rows.csv", "--header")  # the user's call
    assert code == EXIT_OK and "149 rows x 4 columns" in out


def test_without_a_header_the_target_is_a_position(iris_files, capsys):
    model = ["--model", iris_files / "model.joblib", "--trust-pickle", "--data", iris_files / "labelled.csv"]
    code, _, err = _run(capsys, *model, "--no-header", "--target", "label")
    assert code == EXIT_ERROR and "give the label column's position" in err
    code, _, err = _run(capsys, *model, "--no-header", "--target", 5)
    assert code == EXIT_ERROR and "has 5 columns" in err


def test_header_options_are_for_csv_files_and_exclusive(iris_files, iris, capsys):
    np.save(iris_files / "rows.npy", iris[0])
    model = ["--model", iris_files / "model.joblib", "--trust-pickle"]
    code, _, err = _run(capsys, *model, "--data", iris_files / "rows.npy", "--no-header")
    assert code == EXIT_ERROR and "are for CSV files" in err
    code, _, err = _run(capsys, *model, "--data", iris_files / "rows.csv", "--header", "--no-header")
    assert code == EXIT_ERROR and "not allowed with argument" in err


def test_pandas_default_names_are_a_header_with_a_warning(iris_files, iris, capsys):
    pd.DataFrame(iris[0]).to_csv(iris_files / "pandas.csv", index=False)  # header 0,1,2,3
    model = ["--model", iris_files / "model.joblib", "--trust-pickle"]
    code, out, err = _run(capsys, *model, "--data", iris_files / "pandas.csv")
    assert code == EXIT_OK and "150 rows x 4 columns" in out
    assert "warning: took the first row of 'pandas.csv' (0, 1, 2, 3) for column names" in err
    assert "--no-header" in err


def test_numbers_that_name_the_models_columns_are_a_header(tmp_path, iris, capsys):
    """A model fitted on a DataFrame whose column names are numbers (years, say)."""
    X, y = iris
    frame = pd.DataFrame(X, columns=["1990", "2000", "2010", "2020"])
    joblib.dump(LogisticRegression(max_iter=1000).fit(frame, y), tmp_path / "years.joblib")
    frame[["2020", "1990", "2010", "2000"]].assign(label=y).to_csv(tmp_path / "years.csv", index=False)
    model = ["--model", tmp_path / "years.joblib", "--trust-pickle", "--data", tmp_path / "years.csv"]
    code, out, err = _run(capsys, *model, "--target", "label")
    assert code == EXIT_OK, err
    assert "150 rows x 4 columns" in out and "yes (max diff" in out and err == ""
    # the same rows without the header, in the model's column order: named by position
    frame.to_csv(tmp_path / "bare.csv", index=False, header=False)
    model[-1] = tmp_path / "bare.csv"
    assert _run(capsys, *model)[0] == EXIT_ERROR
    code, out, _ = _run(capsys, *model, "--no-header")
    assert code == EXIT_OK and "150 rows x 4 columns" in out


# -- 2. text stays text -------------------------------------------------------------
@pytest.fixture(scope="module")
def coded(tmp_path_factory):
    """A pipeline fitted on codes that pandas would read as missing ("NA", "None", "null"), zip
    codes written with digits, and a number with missing values; the same rows as a CSV file."""
    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame(
        {
            "code": rng.choice(["NA", "None", "null", "n/a", "ok"], n),
            "zip": rng.choice(["01234", "75001", "13008"], n),
            "size": rng.normal(size=n),
        }
    )
    frame.loc[::7, "size"] = np.nan
    target = (frame["code"].isin(["NA", "ok"]) ^ (frame["zip"] == "01234")).astype(int)
    columns = ColumnTransformer(
        [
            ("codes", OneHotEncoder(handle_unknown="ignore"), ["code", "zip"]),
            ("size", SimpleImputer(), ["size"]),
        ]
    )
    model = make_pipeline(columns, LogisticRegression()).fit(frame, target)
    folder = tmp_path_factory.mktemp("coded")
    frame.to_csv(folder / "rows.csv", index=False)  # a missing size is an empty field
    joblib.dump(model, folder / "model.joblib")
    (folder / "model.onnx").write_bytes(helpers.convert(model, frame[:1]).SerializeToString())
    return model, frame, folder


def test_the_model_says_which_columns_are_text(coded):
    model, frame, folder = coded
    expected = expected_columns(model)
    assert expected == Expected(["code", "zip", "size"], frozenset({"code", "zip"}), 3)
    assert expected_columns(helpers.OnnxPredictor(folder / "model.onnx")) == expected
    data = load_data(folder / "rows.csv", expected=expected)
    pd.testing.assert_series_equal(data["code"], frame["code"], check_dtype=False)
    assert data["zip"].tolist() == frame["zip"].tolist()  # "01234", not 1234
    assert data["size"].isna().sum() == frame["size"].isna().sum() and data["size"].dtype == np.float64


@pytest.mark.parametrize("model_file", ["model.joblib", "model.onnx"])
def test_na_and_none_are_categories_not_missing_values(coded, capsys, model_file):
    _, frame, folder = coded
    code, out, err = _run(
        capsys, "--model", folder / model_file, "--trust-pickle", "--data", folder / "rows.csv"
    )
    assert code == EXIT_OK, err
    assert f"{len(frame)} rows x 3 columns" in out
    assert model_file == "model.onnx" or "yes (max diff" in out


def test_na_words_are_text_unless_the_column_holds_numbers(tmp_path):
    (tmp_path / "rows.csv").write_text("word,number\nNA,1.5\nNone,NA\nnull,\nn/a,nan\n,2\n")
    data = load_data(tmp_path / "rows.csv")
    assert data["word"].iloc[:4].tolist() == ["NA", "None", "null", "n/a"] and pd.isna(data["word"].iloc[4])
    np.testing.assert_array_equal(data["number"], [1.5, np.nan, np.nan, np.nan, 2.0])
    assert NA_WORDS >= {"NA", "None", "null", "n/a", "NaN", "nan", "<NA>", "NULL", "#N/A"}


# -- 3. the width an ONNX model needs -------------------------------------------------
@pytest.fixture(scope="module")
def free_width(tmp_path_factory, iris):
    """A logistic regression as ONNX with a free input width, with and without helpers' metadata."""
    X, y = iris
    folder = tmp_path_factory.mktemp("free")
    model = LogisticRegression(max_iter=1000).fit(X, y)
    bare = to_onnx(model, initial_types=[("X", FloatTensorType([None, None]))])
    (folder / "bare.onnx").write_bytes(bare.SerializeToString())
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    recorded = helpers.convert(LogisticRegression(max_iter=1000).fit(frame, y), X[:1])
    recorded.graph.input[0].type.tensor_type.shape.dim[1].dim_param = "features"  # free, as in bare
    (folder / "recorded.onnx").write_bytes(recorded.SerializeToString())
    for width in range(1, 7):
        np.save(folder / f"width{width}.npy", np.tile(X, 2)[:, :width])
    return folder


def test_a_free_width_model_is_checked_against_its_recorded_columns(free_width, capsys):
    assert helpers.OnnxPredictor(free_width / "recorded.onnx").n_features_in_ is None  # the core can't tell
    for width in range(1, 7):
        code, out, err = _run(
            capsys, "--model", free_width / "recorded.onnx", "--data", free_width / f"width{width}.npy"
        )
        if width == 4:
            assert code == EXIT_OK and err == "", err
        else:
            assert code == EXIT_ERROR and out == ""
            assert f"'recorded.onnx' expects 4 features (columns), the data has {width}" in err


def test_a_free_width_model_without_a_record_is_said_unchecked(free_width, capsys):
    code, out, err = _run(capsys, "--model", free_width / "bare.onnx", "--data", free_width / "width2.npy")
    assert code == EXIT_OK  # onnxruntime's LinearClassifier reads the 2 columns without complaint
    assert "warning: bare.onnx: width not checked" in err and "the data's 2 are right" in err
    assert "note: bare: width not checked" in out
