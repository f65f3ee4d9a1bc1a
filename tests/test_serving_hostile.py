"""helpers.serving under hostile requests (issue 11): never a 500, limits enforced before the work
they bound, error bodies small and encodable whatever came in, and a schema that says so."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

import helpers
from helpers.serving import create_app

MAX_BATCH = 50
#: The largest error body any request may provoke, in bytes.
MAX_ERROR_BODY = 4096


@pytest.fixture(scope="module")
def client(logistic, iris):
    """A logistic regression: its float32 graph overflows on rows of huge values. Its body limit is
    raised, so that the checks behind it (rows, nesting, values) can be reached."""
    model, _ = logistic
    X, _ = iris
    app = create_app(
        helpers.convert(model, X[:1]), sklearn_model=model, max_batch=MAX_BATCH, max_body_bytes=16 * 2**20
    )
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="module")
def default_client(logistic, iris):
    model, _ = logistic
    X, _ = iris
    with TestClient(create_app(helpers.convert(model, X[:1]), max_batch=MAX_BATCH)) as client:
        yield client


def _post(client, content: bytes, **headers):
    return client.post("/predict", content=content, headers={"content-type": "application/json", **headers})


def _refused(answer, status: int, *words: str) -> str:
    """The answer is ``status`` with a small JSON body whose detail holds ``words``."""
    assert answer.status_code == status, answer.text[:500]
    assert len(answer.content) <= MAX_ERROR_BODY, len(answer.content)
    body = json.loads(answer.content.decode("utf-8"))  # strict UTF-8: encodable whatever came in
    assert isinstance(body["detail"], str)
    for word in words:
        assert word in body["detail"], body["detail"]
    return body["detail"]


def _still_up(client):
    assert client.get("/health").status_code == 200
    assert client.post("/predict", json={"rows": [[5.1, 3.5, 1.4, 0.2]]}).status_code == 200


# -- no 500s ----------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["onnxruntime", "sklearn"])
def test_a_row_that_overflows_float32_is_a_422(client, backend):
    answer = client.post("/predict", params={"backend": backend}, json={"rows": [[3e38] * 4, [1, 2, 3, 4]]})
    if backend == "sklearn":  # scikit-learn computes in float64 and answers
        assert answer.status_code == 200, answer.text
    else:
        _refused(answer, 422, "row 0", "overflow", "dtype=np.float64")
    _still_up(client)


def test_a_model_answer_json_cannot_carry_is_a_422(ridge):
    model, _, X = ridge
    app = create_app(helpers.convert(model, X[:1], dtype=np.float64), sklearn_model=model)
    with TestClient(app) as client:
        for backend in ("onnxruntime", "sklearn"):
            answer = client.post("/predict", params={"backend": backend}, json={"rows": [[1e308] * 10]})
            _refused(answer, 422, "row 0")


@pytest.mark.parametrize(
    "content",
    [
        b'{"rows": [[1, 2, 3, "\\ud800"]]}',  # a lone surrogate in a value
        b'{"rows": [[1, 2, 3, 4]], "\\ud800": 1}',  # in a key
        b'{"\\udfff\\ud800": [[1, 2, 3, 4]]}',
        b'{"rows": [[1, 2, 3, 4], "\\ud800"]}',
    ],
)
def test_lone_surrogates_are_a_422(client, content):
    detail = _refused(_post(client, content), 422)
    assert "\\ud800" in detail or "\\udfff" in detail or "Field required" in detail
    _still_up(client)


def test_a_lone_surrogate_in_the_query_is_a_422(client):
    _refused(client.post("/predict?backend=%ED%A0%80", json={"rows": [[1, 2, 3, 4]]}), 422, "backend")


def test_invalid_utf8_is_a_400(client):
    _refused(_post(client, b'{"rows": [[1, 2, 3, 4\xff]]}'), 400, "not valid UTF-8", "position 21")
    _still_up(client)


@pytest.mark.parametrize("depth", [50, 100_000])
def test_deeply_nested_json_is_refused(client, depth):
    content = b'{"rows": [[1, 2, 3, ' + b"[" * depth + b"]" * depth + b"]]}"
    answer = _post(client, content)
    if depth > 1000:
        _refused(answer, 400, "nested")
    else:
        _refused(answer, 422, "row 0, feature 3")
    _still_up(client)


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_standard_json_constants_are_refused(client, constant):
    _refused(_post(client, b'{"rows": [[1, 2, 3, ' + constant + b"]]}"), 422, "not valid JSON", "null")


def test_huge_numbers_are_refused_not_overflowed(client):
    _refused(_post(client, b'{"rows": [[1, 2, 3, 1e400]]}'), 422, "row 0", "infinity")
    _refused(_post(client, b'{"rows": [[1, 2, 3, 1' + b"0" * 5000 + b"]]}"), 422, "row 0", "infinity")


# -- limits before work -------------------------------------------------------------------------
def test_the_batch_limit_comes_before_validating_rows(client, default_client):
    content = json.dumps({"rows": [["not a number"] * 4] * 100_000}).encode()  # 6.6 MB
    start = time.process_time()  # CPU time, which other processes on the machine do not inflate
    answer = _post(client, content)
    elapsed = time.process_time() - start
    _refused(answer, 413, "100,000 rows", "at most 50")
    assert elapsed < 2.0, elapsed
    # with the default body limit (64 bytes per value of a full batch), the size alone refuses it
    _refused(_post(default_client, content), 413, "6,600,010 bytes", "at most 16,896")


def test_the_body_size_limit_comes_before_reading_the_body(logistic, iris):
    model, _ = logistic
    X, _ = iris
    app = create_app(helpers.convert(model, X[:1]), max_batch=10, max_body_bytes=1000)
    with TestClient(app) as client:
        big = json.dumps({"rows": [[1.0, 2.0, 3.0, 4.0]] * 200}).encode()
        _refused(_post(client, big), 413, "bytes", "at most 1,000")

        def chunks():  # no Content-Length: the limit counts the bytes as they come
            yield b'{"rows": ['
            for _ in range(500):
                yield b"[1.0, 2.0, 3.0, 4.0],"
            yield b"[1, 2, 3, 4]]}"

        answer = client.post("/predict", content=chunks(), headers={"content-type": "application/json"})
        _refused(answer, 413, "at most 1,000")
        assert client.post("/predict", json={"rows": X[:3].tolist()}).status_code == 200


def test_error_bodies_are_bounded(client, default_client):
    cases = [
        json.dumps({"rows": [[1, 2, 3, "x" * 1_000_000]]}),  # a huge value
        json.dumps({"rows": [[1, 2, 3, 4]], "k" * 1_000_000: 1}),  # a huge key
        json.dumps({"rows": [["a"] * 10_000]}),  # a row of many bad values
        json.dumps({"rows": [["a"] * 4] * MAX_BATCH}),  # every row bad
        json.dumps({"rows": [list(range(10_000))]}),  # a row of the wrong width
        json.dumps({"rows": [[1, 2, 3, [[[[1]]]] * 10_000]]}),  # a nested value
    ]
    for content in cases:
        _refused(_post(client, content.encode()), 422)
        _refused(_post(default_client, content.encode()), 413 if len(content) > 16_896 else 422)


# -- the schema tells the truth -----------------------------------------------------------------
def test_the_schema_declares_every_status_with_its_body(client):
    schema = client.get("/openapi.json").json()
    responses = schema["paths"]["/predict"]["post"]["responses"]
    assert {"200", "400", "404", "413", "422", "503"} <= set(responses)
    components = schema["components"]["schemas"]
    invalid = components[responses["422"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]]
    assert invalid["properties"]["detail"]["type"] == "string"
    assert invalid["properties"]["errors"]["type"] == "array"
    for status in ("400", "404", "413", "503"):
        error = components[responses[status]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]]
        assert error["properties"]["detail"]["type"] == "string"
    assert set(schema["paths"]["/health"]["get"]["responses"]) >= {"200", "503"}


def test_the_schema_refuses_what_the_server_refuses(client):
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    rows = body["properties"]["rows"]
    assert rows["minItems"] == 1 and rows["maxItems"] == MAX_BATCH
    assert rows["items"]["minItems"] == rows["items"]["maxItems"] == 4  # the model's width: never [[]]
    value = rows["items"]["items"]
    assert value["type"] == "number"  # no null: LogisticRegression refuses NaN everywhere
    assert value["maximum"] == helpers.checks.FLOAT32_LIMIT == -value["minimum"]
    _refused(client.post("/predict", json={"rows": [[]]}), 422, "row 0 has 0 values, expected 4")
