"""What the served model takes and gives, learnt once at start-up, and the run of one request.

Part of :mod:`helpers.serving`. At start-up :meth:`ServedModel.load` reads

* the width of a row: from the model's input shape, else from ``n_features``,
  the scikit-learn model or the feature names :func:`helpers.convert`
  recorded. Never by probing: a model whose width is free answers narrower
  rows without complaint (with made-up values), so a free width nothing
  states is refused at start-up;
* a fixed batch dimension (a model converted with ``[1, n_features]``): each
  request is run in calls of that many rows, the last padded with rows of
  zeros (which ran at start-up) whose answers are dropped, so a client may
  send any batch up to ``max_batch`` whatever the model's shape, and each
  row's answer is the one the model gives that row;
* whether a classifier's second output holds probabilities: LinearSVC,
  RidgeClassifier or SGDClassifier(loss="hinge") have no ``predict_proba``,
  and their converted second output holds scores, which are never served as
  probabilities.

Then :meth:`ServedModel.run` answers a request, and :func:`model_refusal`
turns what a run raises into the 4xx answer naming its cause.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import onnxruntime as ort
from fastapi import HTTPException

from helpers.checks import describe_rows
from helpers.errors import ChunkError
from helpers.modelfile import ModelSource
from helpers.predictor import OnnxPredictor

__all__ = ["ServedModel", "model_refusal", "predictor_options"]

#: The config entries of a ``SessionOptions`` that :func:`predictor_options` carries over.
_SPINNING = "session.intra_op.allow_spinning"


def predictor_options(session_options: ort.SessionOptions | Mapping[str, Any]) -> dict[str, Any]:
    """``OnnxPredictor``'s keyword arguments for the settings of ``session_options``.

    A mapping is passed as it is (see :func:`helpers.session_options`). From an
    ``onnxruntime.SessionOptions``, every attribute is carried over, and the
    intra-op ``allow_spinning`` entry when set; other config entries and added
    initializers are not (onnxruntime cannot list them).
    """
    if isinstance(session_options, Mapping):
        return dict(session_options)
    if not isinstance(session_options, ort.SessionOptions):
        raise TypeError(
            "session_options must be an onnxruntime.SessionOptions or a dict of its attributes, "
            f"got {type(session_options).__name__}"
        )
    names = [n for n, v in vars(ort.SessionOptions).items() if isinstance(v, property) and v.fset is not None]
    options: dict[str, Any] = {name: getattr(session_options, name) for name in names}
    try:
        options["allow_spinning"] = session_options.get_session_config_entry(_SPINNING) == "1"
    except RuntimeError:  # not set: onnxruntime's default
        pass
    return options


@dataclass(frozen=True)
class ServedModel:
    """The session (an :class:`~helpers.OnnxPredictor`) and what the application learnt of it."""

    predictor: OnnxPredictor
    width: int
    batch: int | None  # rows per session call when the model fixes it
    probabilities: bool  # a classifier whose second output holds probabilities
    sklearn_model: Any = None

    @classmethod
    def load(
        cls,
        source: ModelSource,
        *,
        preset: str | None,
        options: Mapping[str, Any],
        sklearn_model: Any,
        n_features: int | None,
    ) -> ServedModel:
        """Create the session, learn what it takes and gives, and warm it up (one call)."""
        predictor = OnnxPredictor(source, preset=preset, **options)
        shape = list(predictor.session.get_inputs()[0].shape)
        if predictor.inputs.single_float is None or len(shape) != 2:
            described = ", ".join(f"{i.name}: {i.type}{i.shape}" for i in predictor.session.get_inputs())
            raise ValueError(
                "helpers.serving serves models with one float input of shape [n_rows, n_features] "
                f"(convert an array, not a DataFrame); this model has: {described}"
            )
        width, said = _width(predictor, n_features, sklearn_model)
        batch = shape[0] if isinstance(shape[0], int) and shape[0] > 0 else None
        model = cls(predictor, width, batch, predictor.is_classifier, sklearn_model)
        try:
            _, answer = model.run_onnx(_probe(width))
        except (ValueError, RuntimeError, HTTPException) as error:
            cause = error.detail if isinstance(error, HTTPException) else error
            raise ValueError(f"the model does not run on rows of {width} values ({said}): {cause}") from None
        if sklearn_model is not None:  # the model converted tells
            return replace(
                model, probabilities=model.probabilities and hasattr(sklearn_model, "predict_proba")
            )
        return replace(model, probabilities=model.probabilities and _distributions(answer))

    @property
    def classifier(self) -> bool:
        return self.predictor.is_classifier

    def run(self, X: np.ndarray, sklearn: bool = False) -> tuple[Any, Any]:
        """Labels (or values) and probabilities (None for a regressor or a labels-only classifier)."""
        if not sklearn:
            return self.run_onnx(X)
        model = self.sklearn_model
        with np.errstate(over="ignore", invalid="ignore"):  # scikit-learn raises on what overflows
            return model.predict(X), (model.predict_proba(X) if self.probabilities else None)

    def run_onnx(self, X: np.ndarray) -> tuple[np.ndarray, Any]:
        """The ONNX model's answer, in calls of ``batch`` rows when the model fixes it."""
        outputs = self.predictor.outputs
        names = [outputs.value_name] + ([outputs.proba_name] if self.probabilities else [])
        values = self.predictor.run(names, X) if self.batch is None else self._in_calls(names, X)
        proba = outputs.probabilities(values[1]) if self.probabilities else None
        return outputs.labels(values[0]), proba

    def _in_calls(self, names: list[str], X: np.ndarray) -> list[Any]:
        (rows,) = self.predictor.inputs.feed(X).values()  # checked whole: errors name the rows as sent
        size, parts = self.batch or 1, []
        for start in range(0, len(rows), size):
            call = rows[start : start + size]
            n = len(call)
            if n < size:  # padded with zeros, as run at start-up; their answers are dropped
                call = np.concatenate([call, np.zeros((size - n, call.shape[1]), dtype=call.dtype)])
            try:
                parts.append([value[:n] for value in self.predictor.run(names, call)])
            except (ValueError, RuntimeError) as error:
                where = (
                    f"{describe_rows(range(start, start + n))} of the request (run in a call of {size} "
                    "row(s), as this model takes them; numbered from 0 below)"
                )
                raise model_refusal(error, size, where) from None
        return [_joined([part[i] for part in parts]) for i in range(len(names))]


def _joined(pieces: list[Any]) -> Any:
    if all(isinstance(piece, np.ndarray) for piece in pieces):
        return np.concatenate(pieces)
    return [item for piece in pieces for item in piece]  # ZipMap's lists of dicts


def _width(predictor: OnnxPredictor, n_features: int | None, sklearn_model: Any) -> tuple[int, str]:
    """The width of a row, and where it was read; a ValueError when unknown or contradicted."""
    known: dict[str, int] = {}
    if (slot := predictor.inputs.single_float) is not None and slot.width is not None:
        known["the model's input shape"] = slot.width
    if n_features is not None:
        known["n_features"] = n_features
    if sklearn_model is not None:
        fitted = getattr(sklearn_model, "n_features_in_", None)
        if fitted is None:
            raise ValueError("sklearn_model has no n_features_in_: pass a fitted scikit-learn model")
        known["sklearn_model.n_features_in_"] = int(fitted)
    if predictor.inputs.feature_names:
        known["the feature names recorded in the model"] = len(predictor.inputs.feature_names)
    if not known:
        raise ValueError(
            "this model's input has a free width (shape [n_rows, None]), and nothing says how many "
            "features it takes: it would answer narrower rows with made-up values. Convert it with a "
            'fixed width (helpers.convert does; with skl2onnx, initial_types=[("X", '
            "FloatTensorType([None, n_features]))]), or pass n_features= to create_app "
            "(ONNX_N_FEATURES for app_from_env)"
        )
    if len(set(known.values())) > 1:
        said = ", ".join(f"{where}: {width}" for where, width in known.items())
        raise ValueError(f"the width of a row is contradicted: {said}")
    where, width = next(iter(known.items()))
    return width, f"the width from {where}"


def _probe(width: int) -> np.ndarray:
    """The warm-up rows: zeros, ones, minus ones and a few seeded draws."""
    draws = np.random.default_rng(0).normal(size=(5, width))
    return np.vstack([np.zeros(width), np.ones(width), -np.ones(width), draws]).astype(np.float32)


def _distributions(answer: Any) -> bool:
    """Whether every row is a probability distribution (scores of a linear model are not)."""
    values = np.asarray(answer, dtype=np.float64)
    inside = bool(((values >= -1e-6) & (values <= 1 + 1e-6)).all())
    return inside and bool(np.allclose(values.sum(axis=1), 1.0, atol=1e-3))


#: onnxruntime's message: ``[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : ...`` then, for a node,
#: ``... Status Message: what``.
_ORT_ERROR = re.compile(r"\[ONNXRuntimeError\] : \d+ : (\w+) : (.*)")


def model_refusal(error: Exception, n_rows: int, rows: str = "the rows") -> Exception:
    """The answer for what a run on ``rows`` raised: a 4xx naming the cause, or ``error`` itself
    (a bug, answered 500).

    ``ValueError`` (an :class:`~helpers.InputError`, scikit-learn's refusals) and
    ``TypeError`` are 422. So are onnxruntime's failures (a ``RuntimeError`` from
    the predictor): the model ran at start-up on rows of this width, so what
    differs is the rows (an index out of range, a shape the graph does not take);
    except an allocation failure, a 503 (retry, or send fewer rows).
    """
    if isinstance(error, (ValueError, TypeError)):
        return HTTPException(422, f"the model rejected {rows}: {error}")
    found = _ORT_ERROR.search(str(error)) if isinstance(error, RuntimeError) else None
    if found is None:
        return error
    if isinstance(error, ChunkError):  # the row split's chunk, numbered as sent
        rows = f"rows {error.start:,} to {error.stop - 1:,}"
    code, message = found.groups()
    cause = message.split("Status Message: ", 1)[-1].strip()
    if "allocate" in cause.lower() or "bad_alloc" in cause:
        return HTTPException(
            503, f"onnxruntime could not allocate memory for {n_rows:,} rows ({cause}); retry, or send fewer"
        )
    return HTTPException(422, f"the model rejected {rows}: onnxruntime: {code}: {cause}")
