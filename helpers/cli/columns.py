"""What a model expects of the data's columns: their names, which of them hold text, how many.

The tool reads a data file knowing this, so that a header row is told from a row of data, a
column the model takes as text keeps its text (``"NA"`` stays ``"NA"``), and a model whose
input width is free is still checked against the width it needs where that is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from helpers.cli.common import CliError

__all__ = ["Expected", "expected_columns", "fit_to_onnx", "is_positional"]


@dataclass(frozen=True)
class Expected:
    """The columns a model takes: ``names`` in the model's order (None: by position only),
    ``text``, the names of those it takes as text, and ``width`` (None: the model does not say)."""

    names: list[str] | None = None
    text: frozenset[str] = frozenset()
    width: int | None = None


def expected_columns(model: Any) -> Expected:
    """What a fitted scikit-learn model or an :class:`helpers.OnnxPredictor` takes.

    For an ONNX model: one input per column gives the names and the text inputs; one matrix
    input gives its width, or, when its width is free, the number of column names that
    :func:`helpers.convert` recorded. For scikit-learn: ``feature_names_in_``,
    ``n_features_in_``, and the columns whose encoder, imputer or vectorizer was fitted on text.

    Examples
    --------
    >>> from sklearn.preprocessing import OneHotEncoder
    >>> frame = pd.DataFrame({"code": ["NA", "x"], "size": [1.0, 2.0]})
    >>> expected_columns(OneHotEncoder().fit(frame))
    Expected(names=['code', 'size'], text=frozenset({'code'}), width=2)
    """
    inputs = getattr(model, "inputs", None)
    if inputs is not None:  # an OnnxPredictor
        slots = inputs.slots
        if len(slots) > 1:
            text = frozenset(slot.column for slot in slots if slot.dtype.kind == "O")
            return Expected([slot.column for slot in slots], text, len(slots))
        names = inputs.metadata.feature_names
        width = slots[0].width if slots[0].width is not None else (len(names) if names else None)
        text = frozenset(names or [slots[0].column]) if slots[0].dtype.kind == "O" else frozenset()
        return Expected(names, text, width)
    found = getattr(model, "feature_names_in_", None)
    names = None if found is None else [str(name) for name in found]
    text = (
        frozenset()
        if names is None
        else frozenset(n for n, t in zip(names, _text(model, names), strict=True) if t)
    )
    return Expected(names, text, getattr(model, "n_features_in_", None))


def _text(step: Any, names: list[str]) -> list[bool]:
    """Per column of ``names``: whether ``step`` (fitted on those columns) was fitted on text there."""
    if isinstance(step, Pipeline):  # its first step sees the columns as they come
        first = next((s for _, s in step.steps if s not in (None, "passthrough")), None)
        return [False] * len(names) if first is None else _text(first, names)
    if isinstance(step, ColumnTransformer):
        found = dict.fromkeys(names, False)
        for _, transformer, columns in step.transformers_:
            chosen = _chosen(columns, names)
            if transformer in ("drop", "passthrough") or not chosen:
                continue
            for name, text in zip(chosen, _text(transformer, chosen), strict=True):
                found[name] = found[name] or text
        return list(found.values())
    learned = getattr(step, "categories_", None)  # encoders: one array of categories per column
    if learned is None:
        learned = getattr(step, "statistics_", None)  # imputers: one value per column
    if learned is not None and len(learned) == len(names):
        return [any(isinstance(value, str) for value in np.ravel(values)) for values in learned]
    return [hasattr(step, "vocabulary_")] * len(names)  # a text vectorizer takes text


def _chosen(columns: Any, names: list[str]) -> list[str]:
    """The names a ``ColumnTransformer`` entry selects (names, positions or a mask); [] if unknown."""
    if isinstance(columns, str):
        return [columns] if columns in names else []
    try:
        items = list(np.ravel(columns))
    except TypeError:  # a slice or another selector: unknown, so no column is forced to text
        return []
    if items and all(isinstance(item, (bool, np.bool_)) for item in items) and len(items) == len(names):
        return [name for name, chosen in zip(names, items, strict=True) if chosen]
    if all(isinstance(item, (int, np.integer)) and not isinstance(item, bool) for item in items):
        return [names[int(item)] for item in items if -len(names) <= int(item) < len(names)]
    return [str(item) for item in items if str(item) in names]


def is_positional(data: Any) -> bool:
    """Whether ``data`` is a DataFrame read without a header (its columns are numbered, not named)."""
    return isinstance(data, pd.DataFrame) and isinstance(data.columns, pd.RangeIndex)


def fit_to_onnx(data: Any, expected: Expected, file_name: str) -> tuple[Any, list[str]]:
    """Name the columns of headerless data, check the width; return the data and any notes.

    A DataFrame read with ``--no-header`` gets the model's column names by position. The
    width is checked against the one the model needs when it is known; when it is not (a
    free-width input without recorded column names), the note says that it was not checked:
    some ONNX operators (``LinearClassifier``) read fewer columns without complaint.
    """
    width = data.shape[1]
    if isinstance(data, pd.DataFrame) and not is_positional(data) and expected.names:
        return data, []  # matched by name when predicting: a missing or extra column is named
    if expected.width is not None and width != expected.width:
        raise CliError(
            f"{file_name!r} expects {expected.width} features (columns), the data has {width}"
            + (f"; the model's columns are {expected.names}" if expected.names else "")
        )
    if is_positional(data) and expected.names:
        data = data.set_axis(expected.names, axis=1)
    if expected.width is None:
        return data, [
            f"width not checked: the model's input takes any number of columns and does not record "
            f"how many it needs, so the tool cannot tell whether the data's {width} are right "
            "(convert with helpers.convert to record it)"
        ]
    return data, []
