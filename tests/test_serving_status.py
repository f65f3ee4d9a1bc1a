"""GET /status (issue 21): the CPUs, the session's threads and memory settings as configured, the
process's memory, and the predict requests counted since start-up."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("hypothesis")
import onnxruntime as ort
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

import helpers
import helpers.serving.status as status_module
from helpers.machine import usable_cpus
from helpers.serving import StatusResponse, create_app

MAX_BATCH = 10


@pytest.fixture(scope="module")
def onnx_model(logistic, iris):
    model, _ = logistic
    X, _ = iris
    return helpers.convert(model, X[:1])


@pytest.fixture(scope="module")
def client(onnx_model):
    with TestClient(create_app(onnx_model, max_batch=MAX_BATCH)) as client:
        yield client


def test_status_says_where_the_process_runs(client):
    status = client.get("/status").json()
    StatusResponse.model_validate(status)
    assert status["pid"] == os.getpid()
    assert status["onnxruntime"] == ort.__version__
    assert status["uptime_seconds"] >= 0
    cpus = status["cpus"]
    assert cpus["cpu_count"] == os.cpu_count()
    if hasattr(os, "sched_getaffinity"):
        assert cpus["affinity"] == len(os.sched_getaffinity(0))
    assert cpus["usable"] == usable_cpus()


def test_status_reports_the_latency_preset(client, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    monkeypatch.delenv("ORT_INTRA_OP_NUM_THREADS", raising=False)
    threads = client.get("/status").json()["threads"]
    assert threads == {
        "intra_op_num_threads": 1,
        "inter_op_num_threads": 1,
        "execution_mode": "sequential",
        "allow_spinning": False,
        "row_workers": 1,
        "environment": {
            "ORT_INTRA_OP_NUM_THREADS": None,
            "ORT_INTER_OP_NUM_THREADS": os.environ.get("ORT_INTER_OP_NUM_THREADS"),
            "OMP_NUM_THREADS": "3",
        },
    }


def test_status_reports_the_process_memory(client):
    memory = client.get("/status").json()["memory"]
    assert memory["enable_cpu_mem_arena"] is True and memory["enable_mem_pattern"] is True
    if os.path.exists("/proc/self/status"):
        assert 10 * 2**20 < memory["resident_bytes"] <= memory["peak_resident_bytes"]


@pytest.mark.parametrize("arena", [True, False])
@pytest.mark.parametrize("pattern", [True, False])
def test_session_options_are_the_session_s_and_status_says_so(onnx_model, arena, pattern):
    options = ort.SessionOptions()
    options.enable_cpu_mem_arena, options.enable_mem_pattern = arena, pattern
    options.intra_op_num_threads = 2
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    with TestClient(create_app(onnx_model, session_options=options)) as client:
        status = client.get("/status").json()
        assert client.post("/predict", json={"rows": [[5.1, 3.5, 1.4, 0.2]]}).status_code == 200
    assert (status["memory"]["enable_cpu_mem_arena"], status["memory"]["enable_mem_pattern"]) == (
        arena,
        pattern,
    )
    assert (status["threads"]["intra_op_num_threads"], status["threads"]["allow_spinning"]) == (2, False)
    assert status["threads"]["inter_op_num_threads"] == 0  # a SessionOptions replaces the preset: its default


def test_session_options_as_a_dict_override_the_preset(onnx_model):
    with TestClient(create_app(onnx_model, session_options={"enable_cpu_mem_arena": False})) as client:
        status = client.get("/status").json()
    assert status["memory"]["enable_cpu_mem_arena"] is False
    assert status["threads"]["intra_op_num_threads"] == 1  # the latency preset's
    with pytest.raises(TypeError, match="session_options must be an onnxruntime.SessionOptions"):
        create_app(onnx_model, session_options="latency")


def test_status_before_start_up_is_a_503(onnx_model):
    answer = TestClient(create_app(onnx_model)).get("/status")  # no "with": no lifespan
    assert answer.status_code == 503
    assert "not loaded" in answer.json()["detail"]


#: A refused request of each kind: a bad value (422), too many rows (413), a bad width (422).
REFUSED = {
    "bad value": [[1, 2, 3, "x"]],
    "too many": [[1, 2, 3, 4]] * (MAX_BATCH + 1),
    "bad width": [[1, 2, 3]],
}
REQUESTS = st.lists(st.one_of(st.integers(1, MAX_BATCH), st.sampled_from(sorted(REFUSED))), max_size=6)


@given(requests=REQUESTS)
@settings(max_examples=10)
def test_requests_are_counted(client, requests):
    before = client.get("/status").json()["requests"]
    for request in requests:
        rows = [[5.1, 3.5, 1.4, 0.2]] * request if isinstance(request, int) else REFUSED[request]
        client.post("/predict", json={"rows": rows})
    after = client.get("/status").json()["requests"]
    served = [r for r in requests if isinstance(r, int)]
    assert after == {
        "served": before["served"] + len(served),
        "rows_predicted": before["rows_predicted"] + sum(served),
        "refused": before["refused"] + len(requests) - len(served),
        "failed": before["failed"],
    }


def test_a_bug_is_counted_as_failed(onnx_model, monkeypatch):
    from helpers.serving.model import ServedModel

    def broken(self, X, sklearn=False):
        raise KeyError("a bug")

    with TestClient(create_app(onnx_model), raise_server_exceptions=False) as client:
        monkeypatch.setattr(ServedModel, "run", broken)
        assert client.post("/predict", json={"rows": [[1, 2, 3, 4]]}).status_code == 500
        assert client.get("/status").json()["requests"]["failed"] == 1


@pytest.mark.parametrize(
    ("files", "quota"),
    [
        ({"cpu.max": "150000 100000\n"}, 1.5),
        ({"cpu.max": "max 100000\n"}, None),
        ({"cpu/cpu.cfs_quota_us": "200000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 2.0),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({}, None),
    ],
)
def test_the_cgroup_quota_is_read_as_usable_cpus_reads_it(tmp_path, monkeypatch, files, quota):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(status_module, "CGROUP", f"{tmp_path}/")
    assert status_module._cgroup_quota() == quota


def test_the_schema_declares_status(client):
    schema = client.get("/openapi.json").json()
    answer = schema["paths"]["/status"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["$ref"].endswith("/StatusResponse")
    memory = schema["components"]["schemas"]["MemoryStatus"]["properties"]
    assert {"resident_bytes", "peak_resident_bytes", "enable_cpu_mem_arena", "enable_mem_pattern"} <= set(
        memory
    )
