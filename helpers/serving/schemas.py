"""The web application's request, answer and error schemas, and its limits.

Part of :mod:`helpers.serving`: what the OpenAPI schema declares, and the
constants that bound a request and an answer.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StrictFloat

from helpers.checks import FLOAT32_LIMIT
from helpers.predictor import OnnxPredictor

#: Largest number of rows one request may send, unless ``max_batch`` says otherwise.
DEFAULT_MAX_BATCH = 1000

#: Bytes of JSON per value allowed in a body by default: a float64 written in
#: full (``-1.2345678901234567e-308``) takes 24, its separator 2, pretty
#: printing a few more.
BODY_BYTES_PER_VALUE = 64

#: Longest ``detail`` of an error answer, in characters.
MAX_DETAIL = 1000

#: Most problems listed under ``errors`` in a 422 answer, each value in a few words.
MAX_ERRORS = 5

#: What a body looks like, for error messages.
EXAMPLE = '{"rows": [[x11, x12, ...], ...]}'


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
        default=None,
        description="Class probabilities per row, columns in class order; null for a regressor, and for a "
        "classifier that gives labels only (no predict_proba: GET /health says probabilities: false).",
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
    n_features: int = Field(description="Values per row.")
    classifier: bool
    probabilities: bool = Field(
        description="Whether answers hold class probabilities: false for a regressor, and for a classifier "
        "without predict_proba (LinearSVC, RidgeClassifier), whose scores are not served."
    )
    model_batch: int | None = Field(
        description="Rows per session call when the model's input shape fixes it; a request is run in "
        "calls of that many rows. Null: any number."
    )
    backends: list[Backend]
    max_batch: int
    pid: int


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body is not valid UTF-8, or nested too deeply to read."},
    404: {"model": ErrorBody, "description": "?backend=sklearn, on a server created without sklearn_model."},
    413: {"model": ErrorBody, "description": "Too many rows (max_batch), or a body too large."},
    422: {
        "model": InvalidRequestBody,
        "description": "Not JSON, not the schema, a row of the wrong width, or rows the model refuses "
        "(NaN or infinity where scikit-learn refuses them, values beyond float32, an overflow, an error of "
        "onnxruntime on those rows, named).",
    },
    503: {
        "model": ErrorBody,
        "description": "The model is not loaded yet, or onnxruntime could not allocate memory for the rows.",
    },
}


def value_schema(predictor: OnnxPredictor | None, width: int | None) -> dict[str, Any]:
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


def request_schema(predictor: OnnxPredictor | None, width: int | None, max_batch: int) -> dict[str, Any]:
    """``PredictRequest``'s schema with what the loaded model fixes: the width and the values' range."""
    row: dict[str, Any] = {"type": "array", "items": value_schema(predictor, width), "minItems": width or 1}
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
