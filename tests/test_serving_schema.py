"""The web application keeps the promises of its OpenAPI schema: schemathesis generates requests
from the schema (valid ones and, in its negative mode, invalid ones) and runs every built-in check
on each answer (no 5xx, declared statuses and bodies, valid data accepted, invalid data refused).

In-process over ASGI, with a bounded number of examples: a few seconds."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("schemathesis")
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

import helpers
from helpers.serving import create_app

#: Examples per operation and generation mode; the coverage phase adds its boundary cases.
EXAMPLES = 150

#: What counts as refusing invalid data: schemathesis' defaults, and 413, which this application
#: answers (and declares) for a batch beyond max_batch, a limit the schema states as maxItems.
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]


def _served_app():
    """The forest: trees never overflow, so every valid row has an answer. Built and started at
    import, as schemathesis reads the schema when the module is collected (its lazy, fixture-based
    loader does not run under pytest 9.2); started, its schema states the model's width and the
    values' range."""
    X, y = load_iris(return_X_y=True)
    model = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    return create_app(helpers.convert(model, X[:1]), sklearn_model=model, max_batch=20)


APP = _served_app()
_STARTED = TestClient(APP)
_STARTED.__enter__()  # runs the lifespan: the session is created; closed by the fixture below


@pytest.fixture(scope="module", autouse=True)
def _stop_the_app():
    yield
    _STARTED.__exit__(None, None, None)


schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    APP,
    config=SchemathesisConfig.from_dict(
        {"checks": {"negative_data_rejection": {"expected-statuses": REJECTED}}}
    ),
)


def test_the_schema_was_read_from_the_started_application():
    rows = schema.raw_schema["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    assert rows["schema"]["properties"]["rows"]["items"]["maxItems"] == 4


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_keeps_the_schema(case):
    case.call_and_validate()  # every built-in check
