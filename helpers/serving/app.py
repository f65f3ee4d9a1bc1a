"""The FastAPI application: its lifespan (one session per process), endpoints and handlers.

Part of :mod:`helpers.serving`, which documents the endpoints and the limits.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from helpers.modelfile import ModelSource, check_source
from helpers.serving.body import check_rows, parse_body, read_body, refuse_non_finite
from helpers.serving.messages import StrictJSON, add_handlers
from helpers.serving.model import ServedModel, model_refusal, predictor_options
from helpers.serving.schemas import (
    BODY_BYTES_PER_VALUE,
    DEFAULT_MAX_BATCH,
    ERROR_RESPONSES,
    Backend,
    HealthResponse,
    PredictRequest,
    PredictResponse,
    request_schema,
)
from helpers.serving.status import Counters, add_status

__all__ = ["app_from_env", "create_app"]

_LOG = logging.getLogger("helpers.serving")


def create_app(
    onnx_model: ModelSource,
    *,
    sklearn_model: Any = None,
    max_batch: int = DEFAULT_MAX_BATCH,
    max_body_bytes: int | None = None,
    preset: str = "latency",
    session_options: ort.SessionOptions | Mapping[str, Any] | None = None,
    n_features: int | None = None,
) -> FastAPI:
    """A FastAPI application that serves ``onnx_model`` on ``POST /predict``.

    The ``onnxruntime.InferenceSession`` (an :class:`~helpers.OnnxPredictor`)
    is created when the application starts, once per process, in FastAPI's
    lifespan handler, and warmed up with one prediction so that the first
    request does not pay for the session's first-run allocations. The
    endpoint reads the body on the event loop, within its size limit, then
    parses, checks and predicts in FastAPI's thread pool, so a large batch
    blocks neither ``/health`` nor other requests, and onnxruntime releases
    the GIL while it computes.

    Parameters
    ----------
    onnx_model : onnx.ModelProto, bytes, str or path
        A model with one float input of shape ``[n_rows, n_features]``, as
        :func:`helpers.convert` makes from an array. A path is checked now and
        read at start-up, by each worker process. A fixed batch dimension
        (``[1, n_features]``) is fine: requests are run in calls of that many
        rows (:mod:`helpers.serving.model`).
    sklearn_model : fitted scikit-learn estimator, optional
        The model ``onnx_model`` was converted from. When given, the same
        endpoint answers with it for ``?backend=sklearn`` (to compare the
        two); otherwise that backend answers 404. This function never loads
        a model from a pickle. Under overlapping requests, a scikit-learn
        forest may print spurious joblib warnings (see :ref:`web_service`).
    max_batch : int, default 1000
        Most rows per request; a larger batch gets a 413 answer, before any
        row is validated.
    max_body_bytes : int, optional
        Largest body in bytes; a larger one gets a 413 answer before it is
        read. Default: :data:`~helpers.serving.schemas.BODY_BYTES_PER_VALUE` per value of a full batch,
        plus 4 KiB.
    preset : {"latency", "default", "throughput"}, default "latency"
        Session settings (see :data:`helpers.session.PRESETS`); "latency"
        uses one intra-op thread, so that several worker processes share
        the cores instead of fighting over them.
    session_options : onnxruntime.SessionOptions or dict, optional
        The session's settings, e.g. to compare ``enable_cpu_mem_arena`` on and
        off (``GET /status`` reports them): a ``SessionOptions`` replaces the
        preset (its attributes and intra-op ``allow_spinning`` entry are read;
        other config entries are not), a dict overrides the preset's settings
        (see :func:`helpers.session_options`).
    n_features : int, optional
        The width of a row, for a model whose input shape leaves it free
        (``[None, None]``) and that records no feature names; such a model is
        refused at start-up without it (or ``sklearn_model``), since it would
        answer narrower rows with made-up values.

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
    >>> with TestClient(app) as client:  # "with" runs the lifespan: session, warm-up
    ...     answer = client.post("/predict", json={"rows": X[:2].tolist()})
    >>> answer.status_code, answer.json()["predictions"]
    (200, [0, 0])
    """
    for name, value in (
        ("max_batch", max_batch),
        ("max_body_bytes", max_body_bytes),
        ("n_features", n_features),
    ):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    options = {} if session_options is None else predictor_options(session_options)
    check_source(onnx_model)  # fail now on a missing file or a wrong type; read at start-up
    source = os.fspath(onnx_model) if isinstance(onnx_model, (str, os.PathLike)) else onnx_model
    state: dict[str, Any] = {}
    counters = Counters()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        served = ServedModel.load(
            source,
            preset=None if isinstance(session_options, ort.SessionOptions) else preset,
            options=options,
            sklearn_model=sklearn_model,
            n_features=n_features,
        )  # and warmed up
        body_limit = max_body_bytes or BODY_BYTES_PER_VALUE * max_batch * served.width + 4096
        state.update(served=served, predictor=served.predictor, width=served.width, max_body=body_limit)
        counters.start()
        app.openapi_schema = None  # the schema gains the model's width
        yield
        state.clear()

    app = FastAPI(
        title="ONNX model server",
        summary="Predictions from an ONNX model with onnxruntime (train-convert-predict).",
        lifespan=lifespan,
        default_response_class=StrictJSON,
    )

    add_handlers(app, _LOG)  # every refusal a bounded ASCII line; a bug logged and answered 500
    add_status(app, lambda: state.get("served"), counters)

    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        """FastAPI's schema, with the request body as the loaded model takes it."""
        if app.openapi_schema is None:
            schema = default_openapi()
            post = schema["paths"]["/predict"]["post"]
            post["requestBody"]["content"]["application/json"]["schema"] = request_schema(
                state.get("predictor"), state.get("width"), max_batch
            )
            if "predictor" not in state:
                app.openapi_schema = None  # regenerated once the model is loaded
                return schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    def answer(body: bytes, content_type: str | None, backend: Backend) -> tuple[StrictJSON, int]:
        """Parse, check and predict, in the thread pool: the answer and its number of rows."""
        served: ServedModel = state["served"]
        parsed = parse_body(body, content_type)
        check_rows(parsed, state["width"], max_batch)
        try:
            rows = PredictRequest.model_validate(parsed).rows
        except ValidationError as error:
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
            ) from None
        X = np.array(rows, dtype=np.float64)  # null becomes NaN; the model's own checks follow
        try:
            start = time.perf_counter()
            predictions, probabilities = served.run(X, sklearn=backend is Backend.sklearn)
            model_ms = (time.perf_counter() - start) * 1e3
        except (ValueError, TypeError, RuntimeError) as error:  # a 4xx naming the cause; a bug re-raised
            raise model_refusal(error, len(X)) from None
        refuse_non_finite(predictions, probabilities)
        content = {
            "backend": backend.value,
            "predictions": np.asarray(predictions).tolist(),
            "probabilities": None if probabilities is None else np.asarray(probabilities).tolist(),
        }
        # Server-Timing: the time spent in the model, so a client can tell it from HTTP and JSON.
        return StrictJSON(content, headers={"Server-Timing": f"model;dur={model_ms:.3f}"}), len(X)

    @app.get("/health", response_model=HealthResponse, responses={503: ERROR_RESPONSES[503]})
    async def health() -> dict[str, Any]:
        """Ready once the session is created and warmed up (answered on the event loop, even
        while the thread pool is busy with predictions)."""
        if "predictor" not in state:
            raise HTTPException(503, "the model is not loaded: the application has not started")
        served: ServedModel = state["served"]
        return {
            "status": "ok",
            "n_features": served.width,
            "classifier": served.classifier,
            "probabilities": served.probabilities,
            "model_batch": served.batch,
            "backends": [b.value for b in Backend if b is Backend.onnxruntime or sklearn_model is not None],
            "max_batch": max_batch,
            "pid": os.getpid(),
        }

    @app.post(
        "/predict",
        response_model=PredictResponse,
        responses=ERROR_RESPONSES,
        openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {}}}}},
    )
    async def predict(
        request: Request,
        backend: Backend = Query(Backend.onnxruntime, description="Which model answers."),  # noqa: B008
    ) -> StrictJSON:
        """Predict the rows of the body (a :class:`PredictRequest`) with the ONNX model (or
        scikit-learn's, to compare)."""
        try:
            if "predictor" not in state:
                raise HTTPException(503, "the model is not loaded: the application has not started")
            if backend is Backend.sklearn and sklearn_model is None:
                raise HTTPException(
                    404, "no scikit-learn backend: this server was created without sklearn_model"
                )
            body = await read_body(request, state["max_body"])
            content, rows = await run_in_threadpool(
                answer, body, request.headers.get("content-type"), backend
            )
        except Exception as error:  # counted, then answered by the handlers
            counters.count(error=error)
            raise
        counters.count(rows)
        return content

    return app


def app_from_env() -> FastAPI:
    """Build the application from environment variables, for ``uvicorn --factory``.

    ``ONNX_MODEL_PATH`` (required) is the path of the ``.onnx`` file;
    ``ONNX_MAX_BATCH`` (optional, default 1000) the largest batch;
    ``ONNX_MAX_BODY_BYTES`` (optional) the largest body; ``ONNX_N_FEATURES``
    (optional) the width of a row, for a model whose input shape leaves it free. uvicorn
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
    max_batch = _positive_int("ONNX_MAX_BATCH", os.environ.get("ONNX_MAX_BATCH", str(DEFAULT_MAX_BATCH)))
    max_body = os.environ.get("ONNX_MAX_BODY_BYTES", "")
    max_body_bytes = _positive_int("ONNX_MAX_BODY_BYTES", max_body) if max_body else None
    width = os.environ.get("ONNX_N_FEATURES", "")
    n_features = _positive_int("ONNX_N_FEATURES", width) if width else None
    return create_app(path, max_batch=max_batch, max_body_bytes=max_body_bytes, n_features=n_features)


def _positive_int(name: str, text: str) -> int:
    """The variable ``name``'s ``text`` as a positive integer in ASCII digits (isdigit takes "²")."""
    if text.isascii() and text.isdigit() and int(text) >= 1:
        return int(text)
    raise RuntimeError(f"{name} must be a positive integer written in digits 0-9 (e.g. 1000), got {text!r}")
