"""Why the ONNX model disagrees with scikit-learn, when the tool can tell: the cause, the fix, the lesson.

Run only after :func:`helpers.compare` found a mismatch. Each cause is one the
tool checks on the model's structure and on the rows that disagree; none is
guessed:

* steps before a tree ensemble (a scaler): the trees converted alone and fed
  scikit-learn's own transformed values agree, so the steps before them,
  which compute in float32 in ONNX, moved values across a split threshold;
* a tree ensemble: the rows that disagree have a feature within one float32
  step of a split threshold, which ONNX's tree operator stores in float32;
* float32 arithmetic: the model converted with ``dtype=np.float64`` agrees.

Anything else is reported as a cause the tool cannot see, with the lesson on
finding where the two part.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper
from sklearn.pipeline import Pipeline

from helpers.predictor import OnnxPredictor
from helpers.validate import compare

__all__ = ["LESSONS", "Diagnosis", "diagnose"]

#: The lessons a diagnosis points to: reference label -> (title, page in the built documentation).
LESSONS = {
    "float_vs_double": (
        "float32 against float64",
        "auto_examples/02_converting/plot_03_float_vs_double.html",
    ),
    "debugging_disagreement": (
        "Debugging a disagreement",
        "auto_examples/02_converting/plot_07_debugging_disagreement.html",
    ),
}
_TREE_OPERATORS = ("TreeEnsembleClassifier", "TreeEnsembleRegressor", "TreeEnsemble")
_FLOAT64 = "helpers.convert(model, X, dtype=np.float64)"


@dataclass(frozen=True)
class Diagnosis:
    """The cause of a mismatch (what the tool checked), the fix, and the lessons that explain it.

    >>> Diagnosis("c", "f", ("float_vs_double",)).to_dict()["lessons"][0]["label"]
    'float_vs_double'
    """

    cause: str
    fix: str
    lessons: tuple[str, ...]

    def lines(self) -> list[str]:
        """``cause: ...``, ``fix: ...`` and one ``lesson: ...`` line per lesson."""
        lessons = [f"lesson: {LESSONS[label][0]} ({LESSONS[label][1]})" for label in self.lessons]
        return [f"cause: {self.cause}", f"fix: {self.fix}", *lessons]

    def to_dict(self) -> dict[str, Any]:
        lessons = [
            {"label": label, "title": LESSONS[label][0], "page": LESSONS[label][1]} for label in self.lessons
        ]
        return {"cause": self.cause, "fix": self.fix, "lessons": lessons}


def diagnose(
    model: Any, X: Any, comparison: Any, onnx_model: onnx.ModelProto, convert: Callable[..., Any]
) -> Diagnosis:
    """Find the cause of the mismatch ``comparison`` found between ``model`` and ``onnx_model`` on ``X``.

    ``convert(model, X, dtype=...)`` converts the way the tool does. Every
    probe that fails (a converter without float64, a step whose output is not
    a dense array) only means that the probe cannot tell.
    """
    rows = np.union1d(comparison.worst_rows, comparison.label_mismatches).astype(int)
    shown = _rows(rows, len(X))
    tolerance = {"rtol": comparison.rtol, "atol": comparison.atol}
    double_predictor = _probe(lambda: OnnxPredictor(convert(model, X, dtype=np.float64)))
    double_agrees = double_predictor is not None and _probe(
        lambda: compare(model, double_predictor, X, **tolerance).ok
    )
    steps, trees = (
        (model[:-1], model[-1]) if isinstance(model, Pipeline) and len(model) > 1 else (None, model)
    )
    features = _probe(lambda: _dense(steps.transform(X) if steps is not None else X))
    if _has_trees(onnx_model) and features is not None:
        trees_onnx = onnx_model if steps is None else _probe(lambda: convert(trees, features))
        nearest = _probe(lambda: _nearest_threshold(features[rows], trees_onnx))
        trees_alone_agree = steps is not None and _probe(
            lambda: compare(trees, OnnxPredictor(trees_onnx), features, **tolerance).ok
        )
        if trees_alone_agree and nearest is not None:
            return _steps_before_trees(steps, shown, float(nearest[0].max()), double_agrees)
        if nearest is not None and nearest[1].any():
            return _tree_thresholds(_rows(rows[nearest[1]], len(X)), comparison, double_agrees)
    if double_agrees:
        return Diagnosis(
            "float32 arithmetic: the ONNX model computes in float32, scikit-learn in float64 "
            "(checked: converted with float64 inputs, the model agrees on every row)",
            f"convert in float64: {_FLOAT64}; the ONNX model then takes float64 rows",
            ("float_vs_double",),
        )
    return Diagnosis(
        f"not one the tool can check (float32 arithmetic, steps before trees, tree thresholds) on {shown}",
        "find the first step where ONNX and scikit-learn part: run the pipeline step by step on those "
        "rows and compare each step's output with the ONNX graph's intermediate result",
        ("debugging_disagreement",),
    )


def _steps_before_trees(steps: Any, rows: str, distance: float, double_agrees: bool) -> Diagnosis:
    names = " and ".join(type(step).__name__ for _, step in steps.steps)
    one = len(steps.steps) == 1
    it, computes = ("it", "computes") if one else ("them", "compute")
    cause = (
        f"the {names} before the trees {computes} in float32 in ONNX, in float64 in scikit-learn; "
        f"{rows} have a value that reaches the trees within {distance:.1g} of a split threshold, and the "
        "float32 value goes down the other branch (checked: the trees converted alone and fed "
        "scikit-learn's values agree on every row)"
    )
    scalers = all(type(step).__name__.endswith("Scaler") for _, step in steps.steps)
    drop = f"drop the {names} and retrain (trees split on thresholds, and scaling moves no row across one)"
    if double_agrees:
        fix = f"convert in float64: {_FLOAT64} (tried here: it agrees on every row)"
        fix += f"; or {drop}" if scalers else ""
    else:
        cast = (
            f"put skl2onnx.sklapi.CastTransformer() between {it} and the trees, retrain, and convert "
            f"with {_FLOAT64}, so that {it} {computes} in float64 in ONNX too"
        )
        fix = f"{drop}; or keep {it}: {cast}" if scalers else cast
    return Diagnosis(cause, fix, ("float_vs_double", "debugging_disagreement"))


def _tree_thresholds(rows: str, comparison: Any, double_agrees: bool) -> Diagnosis:
    cause = (
        "float32 thresholds of the tree ensemble: ONNX stores the split thresholds and compares the "
        f"inputs in float32, scikit-learn in float64, and {rows} have a feature within one float32 step "
        "of a threshold, so a tree can send them down the other branch"
    )
    if double_agrees:
        fix = f"convert in float64: {_FLOAT64} (tried here: it agrees on every row)"
    else:
        fix = (
            "none in the conversion: these rows sit on a threshold, and float32 rounding sends them the "
            f"other way. Accept the difference, or compare {comparison.values} with a tolerance that "
            f"allows it (here up to {comparison.max_abs_diff:.2g}); training on data rounded to float32 "
            "makes such rows rarer"
        )
    return Diagnosis(cause, fix, ("float_vs_double",))


def _probe(step: Callable[[], Any]) -> Any:
    """``step()``, or None when it raises: a probe that cannot run tells nothing."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. feature names lost between steps
            return step()
    except Exception:
        return None


def _dense(values: Any) -> np.ndarray:
    """A 2-D float64 array of ``values`` (an array or an all-numeric DataFrame); raises otherwise."""
    array = np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError("not a 2-D array")
    return array


def _has_trees(onnx_model: onnx.ModelProto) -> bool:
    return any(node.op_type in _TREE_OPERATORS for node in onnx_model.graph.node)


def _thresholds(onnx_model: onnx.ModelProto) -> tuple[np.ndarray, np.ndarray]:
    """The features and the float32 split thresholds of the model's tree operators."""
    features, values = [], []
    for node in onnx_model.graph.node:
        if node.op_type not in _TREE_OPERATORS:
            continue
        attributes = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        split = next(
            attributes[k]
            for k in ("nodes_values", "nodes_values_as_tensor", "nodes_splits")
            if k in attributes
        )
        split = numpy_helper.to_array(split) if isinstance(split, onnx.TensorProto) else np.asarray(split)
        modes = attributes["nodes_modes"]  # a list of names (LEAF for leaves), or a tensor of branches
        branch = np.asarray(
            [mode != b"LEAF" for mode in modes] if isinstance(modes, list) else [True] * len(split)
        )
        features.append(np.asarray(attributes["nodes_featureids"])[branch])
        values.append(split.astype(np.float32)[branch])
    return np.concatenate(features).astype(int), np.concatenate(values).astype(np.float64)


def _nearest_threshold(rows: np.ndarray, onnx_model: onnx.ModelProto) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the distance from its features to the closest split threshold of the same
    feature, and whether a feature lies within one float32 step of a threshold."""
    features, thresholds = _thresholds(onnx_model)
    step = np.spacing(np.abs(thresholds).astype(np.float32)).astype(np.float64)
    nearest, within = np.full(len(rows), np.inf), np.zeros(len(rows), dtype=bool)
    for feature in np.unique(features):
        mine = features == feature
        gaps = np.abs(rows[:, [feature]] - thresholds[mine])
        nearest = np.minimum(nearest, gaps.min(axis=1))
        within |= (gaps <= step[mine]).any(axis=1)
    return nearest, within


def _rows(rows: np.ndarray, total: int) -> str:
    shown = ", ".join(str(int(row)) for row in rows[:10]) + (", ..." if len(rows) > 10 else "")
    return f"{len(rows)} of the {total} rows ({'row' if len(rows) == 1 else 'rows'} {shown})"
