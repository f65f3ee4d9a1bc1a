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
    (``probabilities`` is null for a regressor, and for a classifier without
    ``predict_proba`` such as LinearSVC: its scores are never served as
    probabilities). ``?backend=sklearn`` answers with the scikit-learn model
    instead, when one was given to :func:`create_app`.
``GET /health``
    ``{"status": "ok", ...}`` once the session is created and warmed up; it
    says the width of a row, whether answers hold probabilities, and the
    batch size the model fixes, if any (a request is then run in calls of
    that many rows).
``GET /status``
    What the operator of a long-running service needs
    (``StatusResponse`` in the OpenAPI schema): ``cpus`` (the
    machine's, the affinity mask's, the cgroup quota, the usable count),
    ``threads`` (the session's intra-op and inter-op threads as configured, 0
    meaning onnxruntime's default; spinning; the row split; the thread
    variables of the environment), ``memory`` (resident bytes now and at the
    peak, the memory arena and pattern settings), ``requests`` (served, rows
    predicted, refused, failed since start-up), ``pid``, ``onnxruntime``'s
    version and ``uptime_seconds``. ``create_app(..., session_options=...)``
    sets what it reports, e.g. to compare the memory with the arena on and off.

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
full batch, plus 4 KiB), ``ONNX_N_FEATURES`` the width of a row for a model
whose input shape leaves it free (such a model is refused at start-up
otherwise: it would answer narrower rows with made-up values). Only an ONNX
file is read: the scikit-learn backend exists only when your own code passes
a model object to :func:`create_app`, and nothing is ever unpickled.

**Under hostile requests** (:ref:`deployment` says what the proxy in front
should still do): the body size is checked before the body is read (from
``Content-Length``, then byte by byte as it comes), the number of rows and
their widths before any row is validated, and every refusal is a 4xx whose
JSON body is small (a few hundred bytes: at most five problems, each value
described in a few words) and pure ASCII whatever the request held (lone
surrogates, invalid UTF-8, deep nesting). A prediction that is not a finite
number (an overflow) is a 422 naming the rows, and so is an error of
onnxruntime on the rows, named; a 500 is a bug, logged with its traceback. The OpenAPI schema
declares each status with its body, and once the model is loaded, the rows'
width and the values' range.

The package's modules: :mod:`~helpers.serving.schemas` (request, answer and
error schemas, limits), :mod:`~helpers.serving.messages` (refusals),
:mod:`~helpers.serving.body` (reading a body under its limits),
:mod:`~helpers.serving.model` (what the model takes and gives, learnt at
start-up, and the run of a request), :mod:`~helpers.serving.status` (``GET
/status``) and :mod:`~helpers.serving.app` (the application).
"""

from __future__ import annotations

from helpers.serving.app import app_from_env, create_app
from helpers.serving.schemas import (
    BODY_BYTES_PER_VALUE,
    DEFAULT_MAX_BATCH,
    MAX_DETAIL,
    MAX_ERRORS,
    ErrorBody,
    InvalidRequestBody,
    PredictRequest,
    PredictResponse,
)
from helpers.serving.status import StatusResponse

__all__ = [
    "BODY_BYTES_PER_VALUE",
    "DEFAULT_MAX_BATCH",
    "MAX_DETAIL",
    "MAX_ERRORS",
    "ErrorBody",
    "InvalidRequestBody",
    "PredictRequest",
    "PredictResponse",
    "StatusResponse",
    "app_from_env",
    "create_app",
]
