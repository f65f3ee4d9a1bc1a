"""Property-based tests (hypothesis) of how the command-line tool reads CSV files: no row is
lost without a word, and text the model takes as text comes back exactly as it was written."""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("hypothesis")
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from helpers.cli.columns import Expected
from helpers.cli.common import CliError
from helpers.cli.data import load_data
from helpers.cli.tables import NA_WORDS

SHAPES = st.tuples(st.integers(1, 12), st.integers(1, 5))
NUMBERS = st.one_of(st.integers(-3, 3).map(float), st.floats(allow_nan=False, allow_infinity=False))
# words that pandas reads as missing by default, numbers written as text, and other text
WORDS = st.one_of(
    st.sampled_from(sorted(NA_WORDS)),
    st.integers(-99, 99).map(str),
    st.sampled_from(["01234", "1e3", " NA", "None ", "paris"]),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=8),
)


@settings(max_examples=60)
@given(arrays(np.float64, SHAPES, elements=NUMBERS), st.sampled_from([None, False]))
def test_no_row_is_lost_without_a_word(X, header):
    """A headerless file: every row is read, or the file is refused, or a warning names the row."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rows.csv"
        np.savetxt(path, X, delimiter=",", fmt="%.17g")
        stderr = io.StringIO()
        try:
            with contextlib.redirect_stderr(stderr):
                data = load_data(path, header=header)
        except CliError as error:  # refused, saying why (a one-row file read as a header has no row)
            assert header is None and "--no-header" in str(error) + stderr.getvalue()
            return
    if len(data) == len(X):
        np.testing.assert_array_equal(data.to_numpy(dtype=np.float64), X)
    else:  # only the header 0, 1, ..., n-1 that pandas writes, and never in silence
        assert header is None and len(data) == len(X) - 1
        assert "took the first row" in stderr.getvalue() and "--no-header" in stderr.getvalue()


@settings(max_examples=60)
@given(st.lists(WORDS, min_size=1, max_size=10), st.booleans())
def test_text_the_model_takes_as_text_is_read_as_written(words, with_header):
    """Only an empty field is missing; "NA", "None", "01234" and " NA" come back as they were."""
    frame = pd.DataFrame({"code": words, "size": np.arange(len(words), dtype=float)})
    expected = Expected(["code", "size"], frozenset({"code"}), 2)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rows.csv"
        frame.to_csv(path, index=False, header=with_header)
        data = load_data(path, header=with_header, expected=expected)
    assert data.iloc[:, 0].tolist() == words
    assert data.iloc[:, 1].tolist() == frame["size"].tolist()


@settings(max_examples=60)
@given(st.lists(st.one_of(st.sampled_from(sorted(NA_WORDS)), NUMBERS, st.just("")), min_size=1, max_size=10))
def test_a_column_of_numbers_and_missing_words_is_numbers(cells):
    """With no model to say otherwise: NA, null, nan... and empty fields are missing numbers there."""
    frame = pd.DataFrame({"x": [str(cell) if isinstance(cell, str) else repr(cell) for cell in cells]})
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rows.csv"
        frame.to_csv(path, index=False)
        column = load_data(path)["x"]
    numbers = [np.nan if isinstance(cell, str) else cell for cell in cells]
    if all(np.isnan(numbers)):  # no number at all: the words are kept as text
        return
    np.testing.assert_array_equal(column.to_numpy(dtype=np.float64), np.array(numbers))
