"""
.. _running_gpu:

Will a GPU help my scikit-learn model?
======================================

You will see which execution providers your onnxruntime has and what the
``providers=`` argument of a session does, count which operators of a
converted random forest, logistic regression and neural network belong to
the ``ai.onnx.ml`` domain, and check in onnxruntime's own kernel registry and
documentation which of them a GPU can run. The cells that need a GPU run only
where onnxruntime has its CUDA provider; elsewhere they say so, and the page
shows no GPU figure it did not measure. It follows :ref:`running_optimizer`.

It runs in a few seconds on the machine that builds these pages.
"""

# %%
# Which providers this onnxruntime has
# ------------------------------------
# An *execution provider* is a back end that runs operators: the CPU one is
# always there; others come with the package you installed, not with the
# hardware. ``pip install onnxruntime`` gives the CPU provider and, since
# release 1.16, the ``AzureExecutionProvider``, which computes nothing on this
# machine: it lets a graph call a model deployed on an Azure endpoint, through
# operators from onnxruntime-extensions (`Azure Execution Provider
# <https://onnxruntime.ai/docs/execution-providers/Azure-ExecutionProvider.html>`_).
# ``pip install onnxruntime-gpu`` gives the CUDA and TensorRT providers, which
# also need NVIDIA's CUDA libraries and a GPU at run time.
import helpers
import onnxruntime
from helpers.lessons.profiling import profile_frame

available = onnxruntime.get_available_providers()
has_cuda = "CUDAExecutionProvider" in available
print(f"onnxruntime {onnxruntime.__version__}: {available}")
print(
    "CUDA provider: available, the GPU cells below run"
    if has_cuda
    else "CUDA provider: not available, the GPU cells below are skipped"
)
helpers.machine_summary()

# %%
# What ``providers=`` does
# ------------------------
# ``providers`` is a list in order of preference. When it creates the
# session, onnxruntime offers the graph to each provider in turn; each takes
# the nodes it has a kernel for, and the CPU provider, always added last,
# takes the rest. ``session.get_providers()`` tells what the session got.
#
# Asking for a provider the package does not have is not an error: the
# session warns and falls back to the CPU. On this install, asking for CUDA
# first:
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier

X, y = make_classification(
    n_samples=3000,
    n_features=40,
    n_informative=20,
    random_state=0,
)
X32 = X.astype(np.float32)  # prepared once, outside every timing
forest = RandomForestClassifier(50, max_depth=8, random_state=0, n_jobs=2).fit(X, y)
forest_bytes = helpers.convert(forest, X[:1]).SerializeToString()

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    session = onnxruntime.InferenceSession(
        forest_bytes,
        providers=["CUDAExecutionProvider", "CPUExecutionProvider"],
    )
assert ("CUDAExecutionProvider" in session.get_providers()) == has_cuda
{
    "asked for": ["CUDAExecutionProvider", "CPUExecutionProvider"],
    "got": session.get_providers(),
    "warnings": [str(warning.message) for warning in caught],
}

# %%
# So after creating a GPU session, check ``get_providers()``: a missing CUDA
# library or driver shows up there, not as an exception.
#
# Without ``providers=``, the installed release picks for you:
onnxruntime.InferenceSession(forest_bytes).get_providers()

# %%
# That default has changed between releases. For several releases, a build
# with more than one provider refused to create a session without the
# argument: a ``ValueError`` ("Since ORT 1.9, you are required to explicitly
# set the providers parameter"). GPU builds were such builds, and so was the
# CPU package of 1.16.0, which added the Azure provider (`onnxruntime#17631
# <https://github.com/microsoft/onnxruntime/issues/17631>`_). This is why
# every lesson passes ``providers=["CPUExecutionProvider"]``: the code means
# the same on every install, and the timings are CPU timings.
#
# Which operators are ``ai.onnx.ml``
# ----------------------------------
# ONNX has two operator sets that converted scikit-learn models use: the
# standard one (``ai.onnx``: ``MatMul``, ``Add``, ``Relu``, ...), shared with
# deep-learning models, and ``ai.onnx.ml``, written for classical machine
# learning: ``TreeEnsembleClassifier``, ``LinearClassifier``, ``Scaler``,
# ``ArrayFeatureExtractor``... Three models, counted from their graphs:
from collections import Counter

import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

with threadpool_limits(1):  # one BLAS thread: the other cores stay free
    mlp = MLPClassifier((128, 128), max_iter=300, random_state=0).fit(X, y)
sklearn_models = {
    "forest": forest,
    "logistic": LogisticRegression(max_iter=1000).fit(X, y),
    "mlp": mlp,
}
onnx_models = {
    name: helpers.convert(model, X[:1])  # float32 input, probabilities array
    for name, model in sklearn_models.items()
}


def domain_of(node):
    return node.domain or "ai.onnx"


rows = []
for name, onnx_model in onnx_models.items():
    nodes = onnx_model.graph.node
    ml_ops = Counter(n.op_type for n in nodes if domain_of(n) == "ai.onnx.ml")
    rows.append(
        {
            "model": name,
            "nodes": len(nodes),
            "ai.onnx.ml nodes": sum(ml_ops.values()),
            "ai.onnx.ml operators": ", ".join(sorted(ml_ops)),
            "ai.onnx nodes": sum(domain_of(n) == "ai.onnx" for n in nodes),
        }
    )
domains = pd.DataFrame(rows).set_index("model")
assert domains.loc["forest", "ai.onnx.ml nodes"] == domains.loc["forest", "nodes"]
assert domains.loc["logistic", "ai.onnx.ml nodes"] == domains.loc["logistic", "nodes"]
assert domains.loc["mlp", "ai.onnx.ml operators"] == "ArrayFeatureExtractor"
domains

# %%
# The forest and the logistic regression are nothing but ``ai.onnx.ml``; the
# perceptron is standard operators (its matrix products and activations)
# except one ``ArrayFeatureExtractor``, which looks up the class label of the
# winning column.
#
# Which providers have kernels for them
# -------------------------------------
# Every provider registers its kernels: operator, domain, versions, types.
# ``get_all_opkernel_def()`` lists the registry of the installed build; it
# lives in onnxruntime's compiled module, outside the documented Python API,
# and it is what onnxruntime's operator table is generated from. The number
# of operators with a kernel, per provider and domain, on this install:
from onnxruntime.capi import onnxruntime_pybind11_state as ort_capi

kernels = pd.DataFrame(
    [
        {"provider": k.provider, "domain": k.domain or "ai.onnx", "op_type": k.op_name}
        for k in ort_capi.get_all_opkernel_def()
    ]
)
kernels.groupby(["provider", "domain"]).op_type.nunique().unstack(fill_value=0)

# %%
# For the operators of our three models: which providers of this build can
# run each one.
ml_ops = sorted(
    {
        node.op_type
        for onnx_model in onnx_models.values()
        for node in onnx_model.graph.node
        if domain_of(node) == "ai.onnx.ml"
    }
)
ml_kernels = kernels[(kernels.domain == "ai.onnx.ml") & kernels.op_type.isin(ml_ops)]
providers_by_op = ml_kernels.groupby("op_type").provider.unique()
providers_by_op = providers_by_op.map(lambda found: ", ".join(sorted(found)))
assert all("CPUExecutionProvider" in found for found in providers_by_op)
if has_cuda:  # the documented fact below, checked on this build
    assert not any("CUDAExecutionProvider" in found for found in providers_by_op)
providers_by_op.to_frame("providers with a kernel")

# %%
# A build's registry lists the kernels of its own providers only. This
# build's providers, from ``onnxruntime.get_available_providers()``:
if has_cuda:
    print(f"{available}: the cell above checked the CUDA kernels of this build")
else:
    print(f"{available}: no CUDA provider, so this registry cannot show what it lacks")

# %%
# onnxruntime's operator table shows the kernels of providers a build may
# lack: `OperatorKernels.md
# <https://github.com/microsoft/onnxruntime/blob/main/docs/OperatorKernels.md>`_
# is generated from the same registry (``get_all_opkernel_def()``) on a build
# with three providers, and has a section for each: *CPUExecutionProvider*,
# *CUDAExecutionProvider* and *DmlExecutionProvider* (DirectML, on Windows).
# Its *CUDAExecutionProvider* section lists kernels in the ``ai.onnx``,
# ``com.microsoft`` and ``com.ms.internal.nhwc`` domains and none in
# ``ai.onnx.ml``: no ``TreeEnsembleClassifier``, ``TreeEnsembleRegressor``,
# ``LinearClassifier``, ``LinearRegressor``, ``Scaler``, ``Normalizer`` or
# ``ArrayFeatureExtractor``. It does list ``MatMul``, ``Gemm``, ``Add``,
# ``Sub``, ``Relu``, ``Sigmoid``, ``Softmax``, ``Concat``, ``ArgMax``,
# ``Reshape`` and ``Cast`` (the set below), and ``MemcpyFromHost`` /
# ``MemcpyToHost``, the copies onnxruntime inserts where data crosses between
# the CPU's memory and the GPU's. (On a GPU build, the cell above checks the
# ``ai.onnx.ml`` half of this against the build itself.) The perceptron's
# standard operators, read from its graph, are all in that set:
CUDA_DOCUMENTED = {
    "MatMul",
    "Gemm",
    "Add",
    "Sub",
    "Relu",
    "Sigmoid",
    "Softmax",
    "Concat",
    "ArgMax",
    "Reshape",
    "Cast",
}
mlp_standard = {
    node.op_type
    for node in onnx_models["mlp"].graph.node
    if domain_of(node) == "ai.onnx"
}
assert mlp_standard <= CUDA_DOCUMENTED, mlp_standard - CUDA_DOCUMENTED
sorted(mlp_standard)

# %%
# What a CUDA session would do with each model
# --------------------------------------------
# From the domains and the documented kernels, for a session created with
# ``providers=["CUDAExecutionProvider", "CPUExecutionProvider"]``:
#
# * **forest, logistic regression**: the CUDA provider takes no node; the
#   whole model runs on the CPU, exactly as in a CPU session. A GPU adds
#   nothing, however large the batch.
# * **perceptron**: the matrix products and activations can run on the GPU.
#   The input crosses to the GPU, the winning column crosses back for the
#   ``ArrayFeatureExtractor`` on the CPU, and the probabilities come back to
#   the caller: copies on every call, which a large batch can repay and a
#   single row cannot be expected to.
#
# The profile says where each node ran
# ------------------------------------
# The placement need not be taken on trust: a profiled session records, for
# every node it runs, the provider that ran it (:ref:`running_profiling`
# reads profiles). Here the session asks for CUDA first where the package has
# it, and for the CPU otherwise; the same code reports both cases.
import tempfile
from pathlib import Path

workdir = Path(tempfile.mkdtemp(prefix="gpu-"))
if has_cuda:
    providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
else:
    providers = ["CPUExecutionProvider"]


def placement(name, onnx_model):
    """Nodes run per operator type and provider, in one profiled run of 1,000 rows."""
    options = helpers.session_options("latency")
    options.enable_profiling = True
    options.profile_file_prefix = str(workdir / name)
    session = onnxruntime.InferenceSession(
        onnx_model.SerializeToString(),
        options,
        providers=providers,
    )
    session.run(None, {"X": X32[:1_000]})
    profile = profile_frame(session.end_profiling())
    kernel_events = profile[profile.name.str.endswith("_kernel_time")]
    return kernel_events.groupby(["op_type", "provider"]).size()


placements = pd.concat(
    {name: placement(name, onnx_model) for name, onnx_model in onnx_models.items()},
    names=["model"],
).unstack("provider", fill_value=0)
forest_row = placements.loc[("forest", "TreeEnsembleClassifier")]
assert forest_row.get("CPUExecutionProvider", 0) == 1  # on the CPU, even with CUDA
assert forest_row.drop("CPUExecutionProvider").sum() == 0
placements

# %%
# Measured: CPU against GPU
# -------------------------
# This cell runs only where onnxruntime has its CUDA provider. For each model
# and batch size it times, in turns, a CPU session and a CUDA session with
# the public ``session.run`` on NumPy arrays, so the GPU timing includes the
# copies a caller pays. Both sessions get the preset that
# ``helpers.session.preset_for`` picks for the batch size (``"latency"``, one
# thread, for one row; ``"throughput"``, onnxruntime's pool of one thread
# per physical core, for 10,000 rows), so that the nodes a CUDA session
# leaves to the CPU run with the same threads as in the CPU session, and only
# the provider differs. Each comparison is its own benchmark, with the CPU
# session as the baseline. The 10,000-row batch is the data's rows repeated
# (``take_rows``, imported with ``from helpers.benchmark import take_rows``;
# the cell prints how many are distinct), so the trees walk the same paths
# again, which may flatter both sessions' times.
# The CUDA provider runs with ``use_tf32 = 0``: by default, NVIDIA GPUs since
# the Ampere generation may compute float32 matrix products in TF32, with
# 10 bits of mantissa (`use_tf32
# <https://onnxruntime.ai/docs/execution-providers/CUDA-ExecutionProvider.html#use_tf32>`_);
# turned off, the GPU computes in float32 like the CPU, and its results are
# checked against scikit-learn at ``1e-4``, room for float32 rounding summed
# in another order.
from helpers.session import preset_for

GPU_PROVIDERS = [("CUDAExecutionProvider", {"use_tf32": "0"}), "CPUExecutionProvider"]


def runner(session):
    """The call a reader would write, for one batch."""
    return lambda batch: session.run(["probabilities"], {"X": batch})


def with_interval(row):
    """``"1.23x (1.10-1.35)"``: a speed-up and its 95% interval."""
    return f"{row.speedup:.2f}x ({row.speedup_low:.2f}-{row.speedup_high:.2f})"


def gpu_against_cpu(name, onnx_model):
    """One row per batch size: the CUDA session's speed-up over the CPU one, both
    with the preset ``preset_for`` picks for that batch size."""
    model_bytes = onnx_model.SerializeToString()
    sklearn_proba = sklearn_models[name].predict_proba(X)
    rows = {}
    for batch_size in (1, 10_000):
        preset = preset_for(batch_size)
        cpu_session = onnxruntime.InferenceSession(
            model_bytes,
            helpers.session_options(preset),
            providers=["CPUExecutionProvider"],
        )
        gpu_session = onnxruntime.InferenceSession(
            model_bytes, helpers.session_options(preset), providers=GPU_PROVIDERS
        )
        assert "CUDAExecutionProvider" in gpu_session.get_providers(), name
        gpu_proba = runner(gpu_session)(X32)[0]
        np.testing.assert_allclose(gpu_proba, sklearn_proba, atol=1e-4)
        result = helpers.benchmark(
            {f"CPU, {preset}": runner(cpu_session), "CUDA": runner(gpu_session)},
            X32,
            batch_sizes=(batch_size,),
            budget=2.0,
        )
        row = result.to_frame().set_index("candidate").loc["CUDA"]
        rows[batch_size] = {
            "preset, both sessions": preset,
            "CUDA speed-up": with_interval(row),
            "verdict": row.verdict,
        }
    return pd.DataFrame(rows).T


if has_cuda:
    gpu_table = pd.concat(
        {name: gpu_against_cpu(name, model) for name, model in onnx_models.items()},
        names=["model", "rows"],
    )
    print(f"{len(X32):,} distinct rows, repeated to fill the 10,000-row batch")
else:
    gpu_table = None
    print("No CUDA provider in this onnxruntime: no GPU timing ran; none is reported.")
gpu_table

# %%
# What to take from this
# ----------------------
# * Tree ensembles and linear models convert to ``ai.onnx.ml`` operators,
#   which only the CPU provider implements: a GPU session runs them on the
#   CPU. Make them faster with threads and batching
#   (:ref:`running_session_options`), not with a GPU.
# * A perceptron's matrix products can run on a GPU; whether that pays
#   depends on the layer sizes and the batch, against the copies of every
#   call. Measure it where a GPU is: the cell above does, when it can.
# * Whatever you ask for, ``session.get_providers()`` and a profile's
#   ``provider`` field say what you got.
#
# Summary of this run, computed from the cells above:
placed = placements.sum()
summary = (
    f"{int(placed.get('CUDAExecutionProvider', 0))} node runs on the GPU, "
    f"{int(placed.get('CPUExecutionProvider', 0))} on the CPU"
)
print(f"providers: {available}; profiled placements: {summary}.")

# %%
# Clean up the profiles:
import shutil

shutil.rmtree(workdir)
