from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import skl2onnx
from sklearn.linear_model import LogisticRegression

import helpers
from helpers.lessons.versions import (
    onnx_model_opsets,
    probe_model,
    runtime_max_ir_version,
    runtime_max_opset,
    version_table,
)


def _load(model):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("domain", ["", "ai.onnx.ml"])
def test_runtime_max_opset_is_the_boundary(domain):
    newest = runtime_max_opset(domain)
    ir_version = min(onnx.IR_VERSION, runtime_max_ir_version())  # a format this runtime reads
    session = _load(probe_model(newest, domain=domain, ir_version=ir_version))
    assert session.run(None, {"x": np.ones(2, dtype=np.float32)})[0].tolist() == [1.0, 1.0]
    with pytest.raises(Exception, match="opset"):
        _load(probe_model(newest + 1, domain=domain, ir_version=ir_version))


def test_runtime_runs_what_skl2onnx_writes():
    assert runtime_max_opset() >= skl2onnx.__max_supported_opset__


def test_runtime_max_ir_version_is_the_boundary():
    newest = runtime_max_ir_version()
    _load(probe_model(13, ir_version=newest))
    with pytest.raises(Exception, match="IR version"):
        _load(probe_model(13, ir_version=newest + 1))


def test_probe_model_declares_what_it_is_asked():
    assert onnx_model_opsets(probe_model(17)) == {"ai.onnx": 17}
    assert onnx_model_opsets(probe_model(3, domain="ai.onnx.ml")) == {"ai.onnx": 13, "ai.onnx.ml": 3}
    assert probe_model(17, ir_version=8).ir_version == 8
    with pytest.raises(ValueError, match="domain must be"):
        probe_model(17, domain="com.microsoft")


def test_version_table_reads_the_installed_libraries():
    table = version_table().set_index("library")
    assert table.loc["onnx", "version"] == onnx.__version__
    assert table.loc["onnx", "ai.onnx opset"] == onnx.defs.onnx_opset_version()
    assert table.loc["onnx", "ai.onnx.ml opset"] == onnx.defs.onnx_ml_opset_version()
    assert table.loc["skl2onnx", "ai.onnx opset"] == skl2onnx.__max_supported_opset__
    assert table.loc["onnxruntime", "version"] == ort.__version__
    assert table.loc["onnxruntime", "ai.onnx opset"] == runtime_max_opset()


def test_onnx_model_opsets_of_a_conversion(iris):
    X, y = iris
    model = LogisticRegression(max_iter=1000).fit(X, y)
    opsets = onnx_model_opsets(helpers.convert(model, X[:1], target_opset=15))
    assert opsets["ai.onnx"] == 15
    assert "ai.onnx.ml" in opsets
