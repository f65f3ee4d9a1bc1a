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
        uvicorn --factory helpers.serving:app_from_env \\
        --host 127.0.0.1 --port 8000 --workers 2

then::

    curl -s -X POST http://127.0.0.1:8000/predict \\
        -H 'content-type: application/json' -d '{"rows": [[5.1, 3.5, 1.4, 0.2]]}'

``ONNX_MAX_BATCH`` (default 1000) sets the largest batch a request may send,
``ONNX_MAX_BODY_BYTES`` the largest body (default: 64 bytes per value of a
full batch, plus 4 KiB). Only an ONNX file is read: the scikit-learn backend
exists only when your own code passes a model object to :func:`create_app`,
and nothing is ever unpickled.

**Under hostile requests** (:ref:`deployment` says what the proxy in front
should still do): the body size is checked before the body is read (from
``Content-Length``, then byte by byte as it comes), the number of rows and
their widths before any row is validated, and every refusal is a 4xx whose
JSON body is small (a few hundred bytes: at most five problems, each value
described in a few words) and pure ASCII whatever the request held (lone
surrogates, invalid UTF-8, deep nesting). A prediction that is not a finite
number (an overflow) is a 422 naming the rows, never a 500. The OpenAPI schema
declares each status with its body, and once the model is loaded, the rows'
width and the values' range.

Longer than 250 lines: the request and error schemas, the reading of the body
under its limits and the endpoints form one application; a third is its
documentation.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import Enum
from typing import Annotated, Any

import numpy as np
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from helpers.inputs import FLOAT32_LIMIT, describe_rows
from helpers.modelfile import ModelSource, check_source
from helpers.predictor import OnnxPredictor

__all__ = [
    "DEFAULT_MAX_BATCH",
    "ErrorBody",
    "InvalidRequestBody",
    "PredictRequest",
    "PredictResponse",
    "app_from_env",
    "create_app",
]

#: Largest number of rows one request may send, unless ``max_batch`` says otherwise.
DEFAULT_MAX_BATCH = 1000

#: Bytes of JSON per value allowed in a body by default: a float64 written in
#: full (``-1.2345678901234567e-308``) takes 24, its separator 2, pretty
#: printing a few more.
BODY_BYTES_PER_VALUE = 64

#: The largest body when the model's width is free (not in its input shape).
BODY_BYTES_FREE_WIDTH = 8 * 2**20

#: Longest ``detail`` of an error answer, in characters.
MAX_DETAIL = 1000

#: Most problems listed under ``errors`` in a 422 answer, each value in a few words.
MAX_ERRORS = 5

_EXAMPLE = '{"rows": [[x11, x12, ...], ...]}'
_LOG = logging.getLogger(__name__)


class Backend(str, Enum):
    """Which model answers a request."""

    onnxruntime = "onnxruntime"
    sklearn = "sklearn"


class PredictRequest(BaseModel):
    """The body of ``POST /predict``: rows of numbers.

    Numbers are strict: ``"1.5"`` (a string) or ``true`` are rejected rather
    than guessed at; integers are accepted. ``null`` is a missing value (NaN):
    it reaches the model, which answers 422 if the scikit-learn model it was
    converted from rejects NaN in that column. ``NaN`` and ``Infinity`` are not
    JSON and are refused.
    """

    model_config = ConfigDict(extra="forbid")

    rows: list[Annotated[list[StrictFloat | None], Field(min_length=1)]] = Field(
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


class ErrorBody(BaseModel):
    """Every refusal: one line saying what was wrong and what to send instead."""

    detail: str = Field(description=f"What was wrong, in at most {MAX_DETAIL} ASCII characters.")


class RequestProblem(BaseModel):
    """One problem of an invalid request, as pydantic found it."""

    loc: list[str | int] = Field(description='Where: e.g. ["body", "rows", 2, 1] is row 2, feature 1.')
    msg: str = Field(description="What was wrong.")
    type: str = Field(description="pydantic's error type, e.g. float_type.")
    input: str | None = Field(default=None, description="What came there, in a few words.")


class InvalidRequestBody(BaseModel):
    """A 422: the request, or the rows, cannot be predicted."""

    detail: str = Field(description=f"What was wrong, in at most {MAX_DETAIL} ASCII characters.")
    errors: list[RequestProblem] = Field(
        default_factory=list,
        max_length=MAX_ERRORS,
        description=f"For a request that does not match the schema: its first {MAX_ERRORS} problems.",
    )


class HealthResponse(BaseModel):
    """The answer of ``GET /health``."""

    status: str
    n_features: int | None
    classifier: bool
    backends: list[Backend]
    max_batch: int
    pid: int


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body is not valid UTF-8, or nested too deeply to read."},
    404: {"model": ErrorBody, "description": "?backend=sklearn, on a server created without sklearn_model."},
    413: {"model": ErrorBody, "description": "Too many rows (max_batch), or a body too large."},
    422: {
        "model": InvalidRequestBody,
        "description": "Not JSON, not the schema, a row of the wrong width, or rows the model refuses "
        "(NaN or infinity where scikit-learn refuses them, values beyond float32, an overflow).",
    },
    503: {"model": ErrorBody, "description": "The model is not loaded yet."},
}


def _text(value: Any, limit: int = MAX_DETAIL) -> str:
    """``value`` as printable ASCII-safe text of at most ``limit`` characters.

    Lone surrogates (``"\\ud800"`` in the request's JSON) cannot be encoded
    as UTF-8: they are written as their escape, so the answer always encodes.
    """
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _describe(value: Any, width: int = 40) -> str:
    """A received value in a few words: never the whole of a large or deeply nested one."""
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} item(s)"
    if isinstance(value, dict):
        return f"an object with {len(value)} key(s)"
    if isinstance(value, (bytes, bytearray)):
        return f"{len(value)} bytes"
    return _text(repr(value), width)


def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "rows", 2, 1)`` -> ``"row 2, feature 1"``; other places as dotted paths."""
    parts = [part for part in loc if part != "body"]
    if len(parts) >= 2 and parts[0] == "rows" and isinstance(parts[1], int):
        return f"row {parts[1]}" + (f", feature {parts[2]}" if len(parts) > 2 else "")
    return ".".join(_text(part, 60) for part in parts) or "body"


def _problems(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first :data:`MAX_ERRORS` pydantic errors, bounded and encodable."""
    return [
        {
            "loc": [part if isinstance(part, int) else _text(part, 60) for part in error.get("loc", ())][:8],
            "msg": _text(error.get("msg", "invalid"), 200),
            "type": _text(error.get("type", "invalid"), 60),
            **(
                {"input": _describe(error["input"])}
                if "input" in error and error.get("type") != "missing"
                else {}
            ),
        }
        for error in errors[:MAX_ERRORS]
    ]


def _validation_message(errors: list[dict[str, Any]]) -> str:
    """One readable line per pydantic error (the first five): where, what was wrong, what came."""
    if errors and errors[0].get("type") == "json_invalid":
        reason = errors[0].get("ctx", {}).get("error", "")
        return f"the body is not valid JSON ({_text(reason, 200)}); send {_EXAMPLE}"
    lines = []
    for error in errors[:MAX_ERRORS]:
        received = (
            f", got {_describe(error['input'])}" if "input" in error and error["type"] != "missing" else ""
        )
        lines.append(f"{_where(error.get('loc', ()))}: {_text(error.get('msg', 'invalid'), 200)}{received}")
        if error.get("type") == "model_attributes_type" and tuple(error.get("loc", ())) == ("body",):
            lines[-1] += f"; send {_EXAMPLE} with content-type: application/json"
    more = f"; and {len(errors) - MAX_ERRORS} more" if len(errors) > MAX_ERRORS else ""
    return _text("invalid request: " + "; ".join(lines) + more)


class _JSON(JSONResponse):
    """JSON that is always strict and encodable: ASCII escapes, and no NaN (JSON has none)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def _refusal(status: int, detail: str, headers: dict[str, str] | None = None) -> _JSON:
    return _JSON({"detail": _text(detail)}, status_code=status, headers=headers)


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


def _value_schema(predictor: OnnxPredictor | None, width: int | None) -> dict[str, Any]:
    """The JSON schema of one feature value: its range, and null where NaN is accepted everywhere."""
    number: dict[str, Any] = {"type": "number"}
    if predictor is None or width is None:
        return {"anyOf": [number, {"type": "null"}]}
    inputs, columns = predictor.inputs, range(width)
    if all(inputs.refuses_inf(c) for c in columns):  # then beyond the input type is refused too
        limit = FLOAT32_LIMIT if inputs.slots[0].dtype == np.float32 else float(np.finfo(np.float64).max)
        number.update(minimum=-limit, maximum=limit)
    if any(inputs.refuses_nan(c) for c in columns):
        return number
    return {"anyOf": [number, {"type": "null"}]}


def _request_schema(predictor: OnnxPredictor | None, width: int | None, max_batch: int) -> dict[str, Any]:
    """``PredictRequest``'s schema with what the loaded model fixes: the width and the values' range."""
    row: dict[str, Any] = {"type": "array", "items": _value_schema(predictor, width), "minItems": width or 1}
    if width is not None:
        row["maxItems"] = width
    return {
        "title": "PredictRequest",
        "type": "object",
        "properties": {
            "rows": {
                "type": "array",
                "items": row,
                "minItems": 1,
                "maxItems": max_batch,
                "description": "One list of feature values per row, in the model's feature order"
                + (f" ({width} per row)." if width else "."),
            }
        },
        "required": ["rows"],
        "additionalProperties": False,
        "examples": [{"rows": [[0.0] * (width or 4)]}],
    }


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(
            413, f"body too large: {int(declared):,} bytes, this server takes at most {limit:,}"
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(
                413, f"body too large: more than {limit:,} bytes, this server takes at most {limit:,}"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON value; send null for a missing value")


def _parse(body: bytes, content_type: str | None) -> Any:
    """The body's JSON, or the 400 or 422 that says why it has none."""
    media = (content_type or "").split(";")[0].strip().lower()
    if not body or not (
        media == "application/json" or (media.startswith("application/") and media.endswith("+json"))
    ):
        raise HTTPException(
            422, f"invalid request: body: expected JSON; send {_EXAMPLE} with content-type: application/json"
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise HTTPException(
            400,
            f"the body is not valid UTF-8 (byte 0x{body[error.start]:02x} at position {error.start}); "
            "JSON must be encoded in UTF-8",
        ) from None
    try:  # integers as floats: the rows are floats, and int() of 5,000 digits would raise
        return json.loads(text, parse_constant=_not_json, parse_int=float)
    except json.JSONDecodeError as error:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", error.pos),
                    "msg": "JSON decode error",
                    "ctx": {"error": error.msg},
                }
            ]
        ) from None
    except RecursionError:
        raise HTTPException(
            400, f"the body's JSON is nested too deeply to read; {_EXAMPLE} is nested three levels"
        ) from None
    except ValueError as error:  # NaN, Infinity
        raise HTTPException(422, f"the body is not valid JSON ({error})") from None


def _check_rows(parsed: Any, width: int | None, max_batch: int) -> None:
    """The number of rows and their widths, before pydantic validates each value."""
    rows = parsed.get("rows") if isinstance(parsed, dict) else None
    if not isinstance(rows, list):
        return  # pydantic says what is wrong
    if len(rows) > max_batch:
        raise HTTPException(
            413, f"batch too large: {len(rows):,} rows, this server takes at most {max_batch:,}"
        )
    for index, row in enumerate(rows):
        if isinstance(row, list) and width is not None and len(row) != width:
            raise HTTPException(422, f"row {index} has {len(row)} values, expected {width} (one per feature)")


def _non_finite(predictions: Any, probabilities: Any) -> None:
    """A 422 for answers JSON cannot carry: the model overflowed on those rows."""
    for values in (predictions, probabilities):
        values = np.asarray(values) if values is not None else None
        if values is not None and values.dtype.kind == "f" and not np.isfinite(values).all():
            rows = np.nonzero(~np.isfinite(values.reshape(len(values), -1)).all(axis=1))[0]
            raise HTTPException(
                422,
                f"the model rejected the rows: its answer for {describe_rows(rows)} is not a finite number "
                "(an overflow in its computation); scale those features",
            )


def create_app(
    onnx_model: ModelSource,
    *,
    sklearn_model: Any = None,
    max_batch: int = DEFAULT_MAX_BATCH,
    max_body_bytes: int | None = None,
    preset: str = "latency",
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
        read at start-up, by each worker process.
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
        read. Default: :data:`BODY_BYTES_PER_VALUE` per value of a full batch,
        plus 4 KiB (8 MiB for a model whose width is free).
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
    >>> with TestClient(app) as client:  # "with" runs the lifespan: session, warm-up
    ...     answer = client.post("/predict", json={"rows": X[:2].tolist()})
    >>> answer.status_code, answer.json()["predictions"]
    (200, [0, 0])
    """
    for name, value in (("max_batch", max_batch), ("max_body_bytes", max_body_bytes)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
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
        body_limit = max_body_bytes or (
            BODY_BYTES_PER_VALUE * max_batch * width + 4096 if width else BODY_BYTES_FREE_WIDTH
        )
        state.update(predictor=predictor, width=width, max_body=body_limit)
        app.openapi_schema = None  # the schema gains the model's width
        yield
        state.clear()

    app = FastAPI(
        title="ONNX model server",
        summary="Predictions from an ONNX model with onnxruntime (train-convert-predict).",
        lifespan=lifespan,
        default_response_class=_JSON,
    )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> _JSON:
        # One line a person can read under "detail", and the first problems under "errors",
        # each bounded and encodable whatever the request held.
        errors = list(error.errors())
        detail = _validation_message(errors)
        _LOG.info("%s %s: 422 %s", request.method, request.url.path, detail)
        return _JSON({"detail": detail, "errors": _problems(errors)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def refused(request: Request, error: StarletteHTTPException) -> _JSON:
        _LOG.info(
            "%s %s: %d %s", request.method, request.url.path, error.status_code, _text(error.detail, 200)
        )
        return _refusal(error.status_code, str(error.detail), getattr(error, "headers", None))

    @app.exception_handler(Exception)
    async def failed(request: Request, error: Exception) -> _JSON:  # a bug: logged with its traceback
        _LOG.error("%s %s: 500", request.method, request.url.path, exc_info=error)
        return _refusal(500, f"internal error ({type(error).__name__}); the server logged it")

    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        """FastAPI's schema, with the request body as the loaded model takes it."""
        if app.openapi_schema is None:
            schema = default_openapi()
            post = schema["paths"]["/predict"]["post"]
            post["requestBody"]["content"]["application/json"]["schema"] = _request_schema(
                state.get("predictor"), state.get("width"), max_batch
            )
            if "predictor" not in state:
                app.openapi_schema = None  # regenerated once the model is loaded
                return schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    def answer(body: bytes, content_type: str | None, backend: Backend) -> _JSON:
        """Parse, check and predict, in the thread pool."""
        predictor: OnnxPredictor = state["predictor"]
        parsed = _parse(body, content_type)
        _check_rows(parsed, state["width"], max_batch)
        try:
            rows = PredictRequest.model_validate(parsed).rows
        except ValidationError as error:
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
            ) from None
        if state["width"] is None and len({len(row) for row in rows}) > 1:
            raise HTTPException(422, "rows of different lengths: one value per feature in each row")
        X = np.array(rows, dtype=np.float64)  # null becomes NaN; the model's own checks follow
        model = sklearn_model if backend is Backend.sklearn else predictor
        try:
            start = time.perf_counter()
            predictions, probabilities = _predict(model, X, predictor.is_classifier)
            model_ms = (time.perf_counter() - start) * 1e3
        except (ValueError, TypeError) as error:  # helpers.InputError, or scikit-learn's ValueError
            raise HTTPException(422, f"the model rejected the rows: {error}") from None
        _non_finite(predictions, probabilities)
        content = {
            "backend": backend.value,
            "predictions": np.asarray(predictions).tolist(),
            "probabilities": None if probabilities is None else np.asarray(probabilities).tolist(),
        }
        # Server-Timing: the time spent in the model, so a client can tell it from HTTP and JSON.
        return _JSON(content, headers={"Server-Timing": f"model;dur={model_ms:.3f}"})

    @app.get("/health", response_model=HealthResponse, responses={503: _ERRORS[503]})
    async def health() -> dict[str, Any]:
        """Ready once the session is created and warmed up (answered on the event loop, even
        while the thread pool is busy with predictions)."""
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

    @app.post(
        "/predict",
        response_model=PredictResponse,
        responses=_ERRORS,
        openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {}}}}},
    )
    async def predict(
        request: Request,
        backend: Backend = Query(Backend.onnxruntime, description="Which model answers."),  # noqa: B008
    ) -> _JSON:
        """Predict the rows of the body (a :class:`PredictRequest`) with the ONNX model (or
        scikit-learn's, to compare)."""
        if "predictor" not in state:
            raise HTTPException(503, "the model is not loaded: the application has not started")
        if backend is Backend.sklearn and sklearn_model is None:
            raise HTTPException(404, "no scikit-learn backend: this server was created without sklearn_model")
        body = await _read_body(request, state["max_body"])
        return await run_in_threadpool(answer, body, request.headers.get("content-type"), backend)

    return app


def _predict(model: Any, X: np.ndarray, classifier: bool = True) -> tuple[Any, Any]:
    """Labels and probabilities (None for a regressor): one session run for an OnnxPredictor."""
    if isinstance(model, OnnxPredictor):
        return model.predict_with_proba(X) if model.is_classifier else (model.predict(X), None)
    with np.errstate(over="ignore", invalid="ignore"):  # scikit-learn raises on what overflows; no log noise
        return model.predict(X), (model.predict_proba(X) if classifier else None)


def app_from_env() -> FastAPI:
    """Build the application from environment variables, for ``uvicorn --factory``.

    ``ONNX_MODEL_PATH`` (required) is the path of the ``.onnx`` file;
    ``ONNX_MAX_BATCH`` (optional, default 1000) the largest batch;
    ``ONNX_MAX_BODY_BYTES`` (optional) the largest body. uvicorn
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
    max_body = os.environ.get("ONNX_MAX_BODY_BYTES", "")
    if max_body and (not max_body.isdigit() or int(max_body) < 1):
        raise RuntimeError(f"ONNX_MAX_BODY_BYTES must be a positive integer, got {max_body!r}")
    return create_app(path, max_batch=int(max_batch), max_body_bytes=int(max_body) if max_body else None)
