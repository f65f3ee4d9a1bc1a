"""Check that an ONNX model predicts what the scikit-learn model predicts, as the walkthrough
does by hand. Introduced in :ref:`sphx_glr_auto_examples_01_walkthrough_plot_02_with_helpers.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

import numpy as np
from sklearn.base import is_classifier

__all__ = ["DEFAULT_ATOL", "DEFAULT_RTOL", "ComparisonReport", "assert_agrees", "compare"]

#: Default tolerances. A float32 model keeps about 7 significant digits, a little less after
#: summing hundreds of trees or a softmax: differences of 1e-7 to 1e-6 are rounding; anything
#: above ``atol + rtol * |expected|`` is worth explaining.
DEFAULT_RTOL = 1e-4
DEFAULT_ATOL = 1e-5


@dataclass(frozen=True)
class ComparisonReport:
    """How far ONNX predictions are from scikit-learn's: ``values`` (``"probabilities"``,
    ``"predictions"`` or ``"labels only"``) agree when ``|onnx - sklearn| <= atol + rtol * |sklearn|``;
    ``max_rel_diff`` divides by ``max(|onnx|, |sklearn|)`` over values above ``atol``."""

    n_rows: int
    values: str
    max_abs_diff: float
    max_rel_diff: float
    rtol: float
    atol: float
    label_mismatches: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))
    worst_rows: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))
    has_labels: bool = False

    @property
    def label_agreement(self) -> float:
        """Fraction of rows with the same label (1.0 for a regressor)."""
        return 1.0 - len(self.label_mismatches) / self.n_rows if self.n_rows else 1.0

    @property
    def ok(self) -> bool:
        """True when every label agrees and every value is within tolerance."""
        return len(self.label_mismatches) == 0 and len(self.worst_rows) == 0

    def _lines(self) -> list[tuple[str, str]]:
        lines = []
        if self.has_labels:
            same = self.n_rows - len(self.label_mismatches)
            lines.append(("labels", f"{same} / {self.n_rows} agree ({self.label_agreement:.2%})"))
            if len(self.label_mismatches):
                lines.append(("rows with another label", _head(self.label_mismatches)))
        if self.values != "labels only":
            lines += [
                (f"max |difference| of {self.values}", f"{self.max_abs_diff:.3g}"),
                (f"max relative difference of {self.values}", f"{self.max_rel_diff:.3g}"),
                ("tolerance", f"atol={self.atol:g}, rtol={self.rtol:g}"),
                ("rows outside tolerance", _head(self.worst_rows) if len(self.worst_rows) else "none"),
            ]
        return [*lines, ("verdict", "ok" if self.ok else "MISMATCH")]

    def __repr__(self) -> str:
        width = max(len(name) for name, _ in self._lines())
        body = "\n".join(f"  {name:<{width}}  {value}" for name, value in self._lines())
        return f"ComparisonReport ({self.n_rows} rows)\n{body}"

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th>{escape(n)}</th><td>{escape(v)}</td></tr>" for n, v in self._lines())
        return f"<table><caption>ONNX vs scikit-learn, {self.n_rows} rows</caption>{rows}</table>"


def _head(indices: np.ndarray, n: int = 10) -> str:
    shown = ", ".join(str(int(i)) for i in indices[:n]) + (", ..." if len(indices) > n else "")
    return f"row{'s' * (len(indices) > 1)} {shown} ({len(indices)} in all)"  # "row 0 (1 in all)"


def compare(
    sklearn_model: Any, onnx_predictor: Any, X: Any, *, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL
) -> ComparisonReport:
    """Compare an ONNX predictor (or any object with its methods) with the scikit-learn model on
    the rows ``X``: a classifier's labels and probabilities, a regressor's predictions, or what a
    transformer's ``transform`` gives (a sparse matrix made dense; lists of arrays side by side).

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from helpers import OnnxPredictor, convert
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(max_iter=500).fit(X, y)
    >>> compare(model, OnnxPredictor(convert(model, X[:1])), X).ok
    True
    """
    has_labels = is_classifier(sklearn_model) and getattr(onnx_predictor, "is_classifier", True)
    mismatches = np.empty(0, dtype=int)
    if has_labels:
        expected_labels = np.asarray(sklearn_model.predict(X))
        onnx_labels = np.asarray(onnx_predictor.predict(X))
        if expected_labels.dtype.kind in "OUS":
            onnx_labels, expected_labels = onnx_labels.astype(str), expected_labels.astype(str)
        differ = (expected_labels != onnx_labels).reshape(len(expected_labels), -1)  # a row per row
        mismatches = np.flatnonzero(differ.any(axis=1))
    if has_labels and not hasattr(sklearn_model, "predict_proba"):  # LinearSVC, RidgeClassifier
        values = "labels only"  # their scores are no probabilities
        expected_values = onnx_values = np.zeros(len(expected_labels))
    else:
        values, method = ("probabilities", "predict_proba") if has_labels else ("predictions", "predict")
        onnx_values = _dense(getattr(onnx_predictor, method)(X))
        if method == "predict" and hasattr(sklearn_model, "transform"):  # a transformer, or RFE
            if not hasattr(sklearn_model, "predict") or np.size(sklearn_model.predict(X)) != onnx_values.size:
                values, method = "transformed values", "transform"
        expected_values = _dense(getattr(sklearn_model, method)(X))
    onnx_values = onnx_values.reshape(expected_values.shape)
    diff = np.abs(onnx_values - expected_values)
    scale = np.maximum(np.abs(onnx_values), np.abs(expected_values))
    rel = np.divide(diff, scale, out=np.zeros_like(diff), where=scale > atol)
    outside = diff > atol + rtol * np.abs(expected_values)
    if outside.ndim > 1:
        outside = outside.any(axis=tuple(range(1, outside.ndim)))
    return ComparisonReport(
        n_rows=len(expected_values),
        values=values,
        max_abs_diff=float(diff.max()) if diff.size else 0.0,
        max_rel_diff=float(rel.max()) if rel.size else 0.0,
        rtol=rtol,
        atol=atol,
        label_mismatches=mismatches,
        worst_rows=np.flatnonzero(outside),
        has_labels=bool(has_labels),
    )


def _dense(values: Any) -> np.ndarray:
    """One float64 array: a sparse matrix made dense, a list of arrays (one per output) side by side."""
    values = values.toarray() if hasattr(values, "toarray") else values
    return np.asarray(np.hstack(values) if isinstance(values, list) else values, dtype=np.float64)


def assert_agrees(
    sklearn_model: Any, onnx_predictor: Any, X: Any, *, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL
) -> ComparisonReport:
    """Like :func:`compare`, but raise ``AssertionError`` with the report on a mismatch;
    return the report when everything agrees, so a notebook can show it."""
    report = compare(sklearn_model, onnx_predictor, X, rtol=rtol, atol=atol)
    if not report.ok:
        raise AssertionError(f"the ONNX model does not agree with scikit-learn:\n{report!r}")
    return report
