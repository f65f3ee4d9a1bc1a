"""Reading a request's body under its limits, before any value is validated.

Part of :mod:`helpers.serving`: the size from ``Content-Length`` and then as
the bytes come, the JSON, the number of rows and their widths; and the
answer's values, which JSON can carry only when finite.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError

from helpers.checks import describe_rows
from helpers.serving.schemas import EXAMPLE


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:  # not "²"
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


def parse_body(body: bytes, content_type: str | None) -> Any:
    """The body's JSON, or the 400 or 422 that says why it has none."""
    media = (content_type or "").split(";")[0].strip().lower()
    if not body or not (
        media == "application/json" or (media.startswith("application/") and media.endswith("+json"))
    ):
        raise HTTPException(
            422, f"invalid request: body: expected JSON; send {EXAMPLE} with content-type: application/json"
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
            400, f"the body's JSON is nested too deeply to read; {EXAMPLE} is nested three levels"
        ) from None
    except ValueError as error:  # NaN, Infinity
        raise HTTPException(422, f"the body is not valid JSON ({error})") from None


def check_rows(parsed: Any, width: int | None, max_batch: int) -> None:
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


def refuse_non_finite(predictions: Any, probabilities: Any) -> None:
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
