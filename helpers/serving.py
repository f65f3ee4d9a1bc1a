"""Serve an ONNX model over HTTP: a small FastAPI application.

Introduced in :ref:`web_service`, which builds the bare version of this
application by hand first (a FastAPI lifespan that creates one
``onnxruntime.InferenceSession``, a pydantic request model, one endpoint).
This module adds what a service needs on top: checks that turn every bad
request into a 4xx answer with a clear message, a batch limit, a health
check, and, for comparison only, the same endpoint backed by the
scikit-learn model.

fastapi is in the ``lessons`` extra, not a core dependency, so
``import helpers`` does not import this module: ``import helpers.serving``.

**Endpoints.**

``POST /predict``
    Body ``{"rows": [[x11, x12, ...], [x21, x22, ...]]}``: one list of numbers
    per row, in the order of the model's features. Answer
    ``{"backend": "onnxruntime", "predictions": [...], "probabilities": [[...]]}``
    (``probabilities`` is null for a regressor). ``?backend=sklearn`` answers
    with the scikit-learn model instead, when one was given to
    :func:`create_app`.
``GET /health``
    ``{"status": "ok", ...}`` once the session is created and warmed up.

**From the command line.** :func:`app_from_env` reads the model path from
the environment, so that uvicorn can build one application, hence one
session, in each worker process::

    ONNX_MODEL_PATH=/path/to/model.onnx \\
        uvicorn --factory helpers.serving:app_from_env --host 127.0.0.1 --port 8000 --workers 2

then::

    curl -s -X POST http://127.0.0.1:8000/predict \\
        -H 'content-type: application/json' -d '{"rows": [[5.1, 3.5, 1.4, 0.2]]}'

``ONNX_MAX_BATCH`` (default 1000) sets the largest batch a request may send.
Only an ONNX file is read: the scikit-learn backend exists only when your own
code passes a model object to :func:`create_app`, and nothing is ever
unpickled.

Longer than 250 lines: the request schema, the error answers and the endpoints
form one application; a third is its documentation.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import Enum
from typing import Any

import numpy as np
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictFloat

from helpers.modelfile import ModelSource, check_source
from helpers.predictor import OnnxPredictor

__all__ = ["DEFAULT_MAX_BATCH", "PredictRequest", "PredictResponse", "app_from_env", "create_app"]

#: Largest number of rows one request may send, unless ``max_batch`` says otherwise.
DEFAULT_MAX_BATCH = 1000

_EXAMPLE = '{"rows": [[x11, x12, ...], ...]}'


class Backend(str, Enum):
    """Which model answers a request."""

    onnxruntime = "onnxruntime"
    sklearn = "sklearn"


class PredictRequest(BaseModel):
    """The body of ``POST /predict``: rows of numbers.

    Numbers are strict: ``"1.5"`` (a string) or ``true`` are rejected rather
    than guessed at; integers are accepted. ``null`` is a missing value (NaN):
    it reaches the model, which answers 422 if the scikit-learn model it was
    converted from rejects NaN in that column.
    """

    model_config = ConfigDict(extra="forbid")

    rows: list[list[StrictFloat | None]] = Field(
        min_length=1,
        description="One list of feature values per row, in the model's feature order.",
        examples=[[[5.1, 3.5, 1.4, 0.2]]],
    )


class PredictResponse(BaseModel):
    """The answer of ``POST /predict``."""

    backend: Backend
    predictions: list[Any] = Field(description="One label (classifier) or value (regressor) per row.")
    probabilities: list[list[float]] | None = Field(
        default=None, description="Class probabilities per row, columns in class order (classifiers)."
    )


def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "rows", 2, 1)`` -> ``"row 2, feature 1"``; other places as dotted paths."""
    parts = [part for part in loc if part != "body"]
    if len(parts) >= 2 and parts[0] == "rows" and isinstance(parts[1], int):
        return f"row {parts[1]}" + (f", feature {parts[2]}" if len(parts) > 2 else "")
    return ".".join(str(part) for part in parts) or "body"


def _short(value: Any, width: int = 60) -> str:
    """``repr(value)``, cut to ``width`` characters with an ellipsis."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _validation_message(errors: list[dict[str, Any]]) -> str:
    """One readable line per pydantic error: where, what was wrong, what came."""
    if errors and errors[0].get("type") == "json_invalid":
        reason = errors[0].get("ctx", {}).get("error", "")
        return f"the body is not valid JSON ({reason}); send {_EXAMPLE}"
    lines = []
    for error in errors[:5]:
        received = (
            f", got {_short(error['input'])}" if "input" in error and error["type"] != "missing" else ""
        )
        lines.append(f"{_where(error.get('loc', ()))}: {error.get('msg', 'invalid')}{received}")
        if error.get("type") == "model_attributes_type" and tuple(error.get("loc", ())) == ("body",):
            lines[-1] += f"; send {_EXAMPLE} with content-type: application/json"
    more = f"; and {len(errors) - 5} more" if len(errors) > 5 else ""
    return "invalid request: " + "; ".join(lines) + more


def _check_servable(predictor: OnnxPredictor) -> int | None:
    """The number of features, after checking the model takes one numeric matrix."""
    slot = predictor.inputs.single_float
    if slot is None:
        described = ", ".join(f"{s.name}: {s.dtype.name}[{s.width or '?'}]" for s in predictor.inputs.slots)
        raise ValueError(
            "helpers.serving serves models with one float input of shape [n_rows, n_features] "
            f"(convert an array, not a DataFrame); this model has: {described}"
        )
    return slot.width


def create_app(
    onnx_model: ModelSource,
    *,
    sklearn_model: Any = None,
    max_batch: int = DEFAULT_MAX_BATCH,
    preset: str = "latency",
) -> FastAPI:
    """A FastAPI application that serves ``onnx_model`` on ``POST /predict``.

    The ``onnxruntime.InferenceSession`` (an :class:`~helpers.OnnxPredictor`)
    is created when the application starts, once per process, in FastAPI's
    lifespan handler, and warmed up with one prediction so that the first
    request does not pay for the session's first-run allocations. Endpoints
    are plain ``def`` functions: FastAPI runs them in its thread pool, so a
    large batch does not block the event loop, and onnxruntime releases the
    GIL while it computes.

    Parameters
    ----------
    onnx_model : onnx.ModelProto, bytes, str or path
        A model with one float input of shape ``[n_rows, n_features]``, as
        :func:`helpers.convert` makes from an array. A path is checked now and
        read at start-up, by each worker process.
    sklearn_model : fitted scikit-learn estimator, optional
        The model ``onnx_model`` was converted from. When given, the same
        endpoint answers with it for ``?backend=sklearn`` (to compare the
        two); otherwise that backend answers 404. This function never loads
        a model from a pickle. Under overlapping requests, a scikit-learn
        forest may print spurious joblib warnings (see :ref:`web_service`).
    max_batch : int, default 1000
        Most rows per request; a larger batch gets a 413 answer.
    preset : {"latency", "throughput"}, default "latency"
        Session settings (see :data:`helpers.predictor.PRESETS`); "latency"
        uses one intra-op thread, so that several worker processes share
        the cores instead of fighting over them.

    Returns
    -------
    fastapi.FastAPI

    Examples
    --------
    >>> from fastapi.testclient import TestClient
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from helpers import convert
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(max_iter=500).fit(X, y)
    >>> app = create_app(convert(model, X[:1]), sklearn_model=model)
    >>> with TestClient(app) as client:  # "with" runs the lifespan: session created, warmed up
    ...     answer = client.post("/predict", json={"rows": X[:2].tolist()})
    >>> answer.status_code, answer.json()["predictions"]
    (200, [0, 0])
    """
    if not isinstance(max_batch, int) or max_batch < 1:
        raise ValueError(f"max_batch must be a positive integer, got {max_batch!r}")
    check_source(onnx_model)  # fail now on a missing file or a wrong type; read at start-up
    source = os.fspath(onnx_model) if isinstance(onnx_model, (str, os.PathLike)) else onnx_model
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        predictor = OnnxPredictor(source, preset=preset)
        width = _check_servable(predictor)
        if width is None and sklearn_model is not None:
            width = getattr(sklearn_model, "n_features_in_", None)
        if width is not None:  # a model whose width is free, served without sklearn_model, is not warmed up
            warm_up = np.zeros((1, width), dtype=np.float32)
            _predict(predictor, warm_up)
        state.update(predictor=predictor, width=width, dtype=predictor.inputs.slots[0].dtype)
        yield
        state.clear()

    app = FastAPI(
        title="ONNX model server",
        summary="Predictions from an ONNX model with onnxruntime (train-convert-predict).",
        lifespan=lifespan,
    )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's default answer is a list of pydantic errors; keep it under "errors" and add
        # one line a person can read. A body that is not JSON is reported here too.
        errors = jsonable_encoder(error.errors())
        return JSONResponse(
            status_code=422, content={"detail": _validation_message(errors), "errors": errors}
        )

    def _rows_to_array(rows: list[list[float]], width: int | None, dtype: Any) -> np.ndarray:
        if len(rows) > max_batch:
            raise HTTPException(
                413, f"batch too large: {len(rows)} rows, this server takes at most {max_batch}"
            )
        expected = width if width is not None else len(rows[0])
        for index, row in enumerate(rows):
            if len(row) != expected:
                raise HTTPException(
                    422, f"row {index} has {len(row)} values, expected {expected} (one per feature)"
                )
        with np.errstate(over="ignore"):  # too large for float32 becomes inf, reported below
            array = np.asarray(rows, dtype=dtype)  # null becomes NaN
        infinite = np.isinf(array)
        if infinite.any():
            row, column = (int(i) for i in np.argwhere(infinite)[0])
            raise HTTPException(
                422, f"row {row}, feature {column}: the value is infinite or too large for {array.dtype}"
            )
        return array

    @app.get("/health")
    def health() -> dict[str, Any]:
        """Ready once the session is created and warmed up."""
        if "predictor" not in state:
            raise HTTPException(503, "the model is not loaded: the application has not started")
        predictor = state["predictor"]
        return {
            "status": "ok",
            "n_features": state["width"],
            "classifier": predictor.is_classifier,
            "backends": [b.value for b in Backend if b is Backend.onnxruntime or sklearn_model is not None],
            "max_batch": max_batch,
            "pid": os.getpid(),
        }

    @app.post("/predict", response_model=PredictResponse)
    def predict(
        body: PredictRequest,
        backend: Backend = Query(Backend.onnxruntime, description="Which model answers."),  # noqa: B008
    ) -> JSONResponse:
        """Predict the rows of the body with the ONNX model (or scikit-learn's, to compare)."""
        if "predictor" not in state:
            raise HTTPException(503, "the model is not loaded: the application has not started")
        predictor: OnnxPredictor = state["predictor"]
        if backend is Backend.sklearn:
            if sklearn_model is None:
                raise HTTPException(
                    404, "no scikit-learn backend: this server was created without sklearn_model"
                )
            model, dtype = sklearn_model, np.float64  # what the scikit-learn model was trained on
        else:
            model, dtype = predictor, state["dtype"]
        X = _rows_to_array(body.rows, state["width"], dtype)
        try:
            start = time.perf_counter()
            predictions, probabilities = _predict(model, X, predictor.is_classifier)
            model_ms = (time.perf_counter() - start) * 1e3
        except ValueError as error:  # helpers.InputError (NaN where rejected) or scikit-learn's ValueError
            raise HTTPException(422, f"the model rejected the rows: {error}") from None
        content = {
            "backend": backend.value,
            "predictions": np.asarray(predictions).tolist(),
            "probabilities": None if probabilities is None else np.asarray(probabilities).tolist(),
        }
        # Server-Timing: the time spent in the model, so a client can tell it from HTTP and JSON.
        return JSONResponse(content, headers={"Server-Timing": f"model;dur={model_ms:.3f}"})

    return app


def _predict(model: Any, X: np.ndarray, classifier: bool = True) -> tuple[Any, Any]:
    """Labels and probabilities (None for a regressor): one session run for an OnnxPredictor."""
    if isinstance(model, OnnxPredictor):
        return model.predict_with_proba(X) if model.is_classifier else (model.predict(X), None)
    return model.predict(X), (model.predict_proba(X) if classifier else None)


def app_from_env() -> FastAPI:
    """Build the application from environment variables, for ``uvicorn --factory``.

    ``ONNX_MODEL_PATH`` (required) is the path of the ``.onnx`` file;
    ``ONNX_MAX_BATCH`` (optional, default 1000) the largest batch. uvicorn
    calls this once in each worker process, so each worker has its own session.

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"ONNX_MODEL_PATH": ""}):
    ...     app_from_env()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    RuntimeError: set ONNX_MODEL_PATH to the path of the .onnx file to serve, e.g. ...
    """
    path = os.environ.get("ONNX_MODEL_PATH")
    if not path:
        raise RuntimeError(
            "set ONNX_MODEL_PATH to the path of the .onnx file to serve, "
            "e.g. ONNX_MODEL_PATH=model.onnx uvicorn --factory helpers.serving:app_from_env"
        )
    max_batch = os.environ.get("ONNX_MAX_BATCH", str(DEFAULT_MAX_BATCH))
    if not max_batch.isdigit() or int(max_batch) < 1:
        raise RuntimeError(f"ONNX_MAX_BATCH must be a positive integer, got {max_batch!r}")
    return create_app(path, max_batch=int(max_batch))
