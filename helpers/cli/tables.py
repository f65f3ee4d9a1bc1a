"""Read a CSV file without losing a row or a word: a first row of numbers is not taken for
column names unless the model says so, and text stays text (``"NA"`` and ``"None"`` are
categories, not missing values); only an empty field is missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from helpers.cli.columns import Expected
from helpers.cli.common import PROG, CliError

__all__ = ["NA_WORDS", "looks_like_data", "read_csv"]

#: The words pandas' ``read_csv`` reads as missing by default (its documented list, less "").
#: The tool reads them as missing only in a column whose other fields are all numbers (as R
#: writes a missing number: NA); in a text column they are text.
NA_WORDS = frozenset(
    "#N/A, #N/A N/A, #NA, -1.#IND, -1.#QNAN, -NaN, -nan, 1.#IND, 1.#QNAN, <NA>, N/A, NA, NULL, NaN, "
    "None, n/a, nan, null".split(", ")
)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def looks_like_data(cells: list[str]) -> bool:
    """Whether a row holds numbers (and perhaps empty or missing fields) and no word.

    Examples
    --------
    >>> looks_like_data(["5.1", "3.5", "", "NA"]), looks_like_data(["age", "2019"])
    (True, False)
    """
    filled = [cell.strip() for cell in cells if cell.strip()]
    numbers = [cell for cell in filled if _is_number(cell)]
    return bool(numbers) and all(cell in NA_WORDS or _is_number(cell) for cell in filled)


def read_csv(path: Path, header: bool | None, expected: Expected) -> pd.DataFrame:
    """Read ``path``: with a header row (``header=True``), without (False) or, with None, a
    header row unless the first row looks like data (:func:`looks_like_data`).

    A first row of numbers is column names when the model was fitted on those names
    (a DataFrame whose columns were named ``"1990"``, ``"2000"``...), or, with a warning
    on stderr, when it is ``0, 1, ..., n-1``, the names pandas writes for an unnamed
    DataFrame; otherwise it is refused, because either reading would be a guess:
    ``--no-header`` or ``--header`` decides.
    Without a header, the columns are numbered (a ``RangeIndex``).

    Raises
    ------
    CliError
        The file cannot be read, or its first row is ambiguous.
    """
    first = _read(path, header=None, nrows=1, dtype=str, na_filter=False)
    cells = [str(cell) for cell in first.iloc[0]] if len(first) else []
    if header is None:
        header = _has_header(path.name, cells, expected)
    text = _text_columns(cells if header else None, expected)
    frame = _read(
        path,
        header=0 if header else None,
        keep_default_na=False,
        na_values=[""],
        dtype=dict.fromkeys(text, str),
    )
    for column in frame.columns:
        if column not in text:
            frame[column] = _numbers_if_numeric(frame[column])
    if not header:
        frame.columns = pd.RangeIndex(frame.shape[1])
    return frame


def _read(path: Path, **options: object) -> pd.DataFrame:
    try:
        return pd.read_csv(path, **options)
    except Exception as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CliError(f"cannot read {path.name!r} as CSV: {message}") from None


def _has_header(file_name: str, cells: list[str], expected: Expected) -> bool:
    if not looks_like_data(cells):
        return True
    if expected.names and set(expected.names) <= {cell.strip() for cell in cells}:
        return True  # the model's own column names, which are numbers
    shown = ", ".join(cell.strip() for cell in cells)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    if [cell.strip() for cell in cells] == [str(index) for index in range(len(cells))]:
        print(  # what pandas writes for a DataFrame without column names: names, most likely
            f"{PROG}: warning: took the first row of {file_name!r} ({shown}) for column names, as "
            "pandas writes them for an unnamed DataFrame; pass --no-header if it is a row of data",
            file=sys.stderr,
        )
        return True
    by_position = " (in the model's column order)" if expected.names else ""
    raise CliError(
        f"the first row of {file_name!r} holds numbers ({shown}), not column names: pass --no-header "
        f"to read it as the first row of data, columns taken by position{by_position}, or --header "
        "if it does hold the column names"
    )


def _text_columns(cells: list[str] | None, expected: Expected) -> list[str | int]:
    """The columns of the file to read as text: by name, or by position without a header."""
    if cells is not None:
        return [cell for cell in cells if cell in expected.text]
    names = expected.names or []
    return [index for index, name in enumerate(names) if name in expected.text]


def _numbers_if_numeric(column: pd.Series) -> pd.Series:
    """A column of numbers and missing-value words (``NA``, ``nan``...) as numbers; any other
    column as it is (text keeps every word)."""
    if pd.api.types.is_numeric_dtype(column):
        return column
    filled = column.dropna()
    words = filled.isin(NA_WORDS)
    numbers = pd.to_numeric(filled[~words], errors="coerce")
    if len(numbers) == 0 or numbers.isna().any():
        return column
    return pd.to_numeric(column.mask(column.isin(NA_WORDS)))
