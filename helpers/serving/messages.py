"""The web application's refusals: one bounded, ASCII line a person can read.

Part of :mod:`helpers.serving`: whatever a request held (lone surrogates,
deep nesting, huge values), what comes back is small and encodes.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from helpers.serving.schemas import EXAMPLE, MAX_DETAIL, MAX_ERRORS


def bounded_text(value: Any, limit: int = MAX_DETAIL) -> str:
    """``value`` as printable ASCII-safe text of at most ``limit`` characters.

    Lone surrogates (``"\\ud800"`` in the request's JSON) cannot be encoded
    as UTF-8: they are written as their escape, so the answer always encodes.
    """
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def describe_value(value: Any, width: int = 40) -> str:
    """A received value in a few words: never the whole of a large or deeply nested one."""
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} item(s)"
    if isinstance(value, dict):
        return f"an object with {len(value)} key(s)"
    if isinstance(value, (bytes, bytearray)):
        return f"{len(value)} bytes"
    return bounded_text(repr(value), width)


def where(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "rows", 2, 1)`` -> ``"row 2, feature 1"``; other places as dotted paths."""
    parts = [part for part in loc if part != "body"]
    if len(parts) >= 2 and parts[0] == "rows" and isinstance(parts[1], int):
        return f"row {parts[1]}" + (f", feature {parts[2]}" if len(parts) > 2 else "")
    return ".".join(bounded_text(part, 60) for part in parts) or "body"


def problems(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first :data:`MAX_ERRORS` pydantic errors, bounded and encodable."""
    return [
        {
            "loc": [
                part if isinstance(part, int) else bounded_text(part, 60) for part in error.get("loc", ())
            ][:8],
            "msg": bounded_text(error.get("msg", "invalid"), 200),
            "type": bounded_text(error.get("type", "invalid"), 60),
            **(
                {"input": describe_value(error["input"])}
                if "input" in error and error.get("type") != "missing"
                else {}
            ),
        }
        for error in errors[:MAX_ERRORS]
    ]


def validation_message(errors: list[dict[str, Any]]) -> str:
    """One readable line per pydantic error (the first five): where, what was wrong, what came."""
    if errors and errors[0].get("type") == "json_invalid":
        reason = errors[0].get("ctx", {}).get("error", "")
        return f"the body is not valid JSON ({bounded_text(reason, 200)}); send {EXAMPLE}"
    lines = []
    for error in errors[:MAX_ERRORS]:
        received = (
            f", got {describe_value(error['input'])}"
            if "input" in error and error["type"] != "missing"
            else ""
        )
        lines.append(
            f"{where(error.get('loc', ()))}: {bounded_text(error.get('msg', 'invalid'), 200)}{received}"
        )
        if error.get("type") == "model_attributes_type" and tuple(error.get("loc", ())) == ("body",):
            lines[-1] += f"; send {EXAMPLE} with content-type: application/json"
    more = f"; and {len(errors) - MAX_ERRORS} more" if len(errors) > MAX_ERRORS else ""
    return bounded_text("invalid request: " + "; ".join(lines) + more)


class StrictJSON(JSONResponse):
    """JSON that is always strict and encodable: ASCII escapes, and no NaN (JSON has none)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def refusal(status: int, detail: str, headers: dict[str, str] | None = None) -> StrictJSON:
    return StrictJSON({"detail": bounded_text(detail)}, status_code=status, headers=headers)


def add_handlers(app: FastAPI, log: logging.Logger) -> None:
    """The handlers that answer every refusal as one bounded line (logged at INFO), and a bug
    (any other exception) as a 500 logged with its traceback."""

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> StrictJSON:
        # One line a person can read under "detail", and the first problems under "errors",
        # each bounded and encodable whatever the request held.
        errors = list(error.errors())
        detail = validation_message(errors)
        log.info("%s %s: 422 %s", request.method, request.url.path, detail)
        return StrictJSON({"detail": detail, "errors": problems(errors)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def refused(request: Request, error: StarletteHTTPException) -> StrictJSON:
        detail = bounded_text(error.detail, 200)
        log.info("%s %s: %d %s", request.method, request.url.path, error.status_code, detail)
        return refusal(error.status_code, str(error.detail), getattr(error, "headers", None))

    @app.exception_handler(Exception)
    async def failed(request: Request, error: Exception) -> StrictJSON:  # a bug: logged with its traceback
        log.error("%s %s: 500", request.method, request.url.path, exc_info=error)
        return refusal(500, f"internal error ({type(error).__name__}); the server logged it")
