"""The invariants of OnnxPredictor's one run path, on every way of running it.

Each path (the plain call, reused buffers, the row split, both, the throughput
preset) is a runner composed around the same checks, so each must: answer what
``InferenceSession(model).run`` answers, wrap onnxruntime's errors naming the
model, refuse NaN where scikit-learn does and answer it where scikit-learn does,
give empty outputs for an empty batch, refuse a wrong width, check the outputs,
and stay correct under concurrent callers.
"""

from __future__ import annotations

import threading

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    ExtraTreesClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge

import helpers

PATHS = {
    "plain": {},
    "reuse_buffers": {"reuse_buffers": True},
    "row_split": {"row_workers": 2, "chunk_rows": 64},
    "row_split+buffers": {"row_workers": 2, "chunk_rows": 64, "reuse_buffers": True},
    "throughput": {"preset": "throughput"},
}


def _hand_model(node: onnx.NodeProto, *initializers: onnx.TensorProto) -> onnx.ModelProto:
    """A one-node float graph X[N, 4] -> Y, for failures onnxruntime finds only at run time."""
    graph = helper.make_graph(
        [node],
        "hand",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 4])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)],
        list(initializers),
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.fixture(scope="module")
def classifier(iris):
    X, y = iris
    model = LogisticRegression(max_iter=1000).fit(X, y)
    return model, helpers.convert(model, X[:1])


@pytest.mark.parametrize("path", PATHS)
def test_errors_are_wrapped_and_name_the_model(path):
    """A reshape that fails inside onnxruntime: 4 values per row do not split by 3."""
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [-1, 3])
    failing = _hand_model(helper.make_node("Reshape", ["X", "shape"], ["Y"]), shape)
    predictor = helpers.OnnxPredictor(failing, **PATHS[path])
    for rows in (1, 500):
        with pytest.raises(RuntimeError, match="onnxruntime failed to run the model from") as error:
            predictor.predict(np.ones((rows, 4), dtype=np.float32))
        assert type(error.value).__module__.startswith("helpers") or type(error.value) is RuntimeError
        assert not isinstance(error.value, ort.capi.onnxruntime_pybind11_state.Fail)


@pytest.mark.parametrize("path", PATHS)
def test_outputs_are_checked(path):
    """Finite rows whose answer overflows float32 are refused, naming the rows."""
    scale = helper.make_tensor("scale", TensorProto.FLOAT, [1], [1e38])
    overflowing = _hand_model(helper.make_node("Mul", ["X", "scale"], ["Y"]), scale)
    predictor = helpers.OnnxPredictor(overflowing, **PATHS[path])
    rows = np.full((300, 4), 0.5, dtype=np.float32)
    np.testing.assert_array_equal(predictor.predict(rows), np.full((300, 4), 0.5e38, dtype=np.float32))
    rows[250, 1] = 10.0
    with pytest.raises(helpers.InputError, match="row 250, whose inputs are finite"):
        predictor.predict(rows)


@pytest.mark.parametrize("path", PATHS)
def test_nan_policy_follows_scikit_learn(path, classifier, iris):
    X, y = iris
    _, onnx_model = classifier
    predictor = helpers.OnnxPredictor(onnx_model, **PATHS[path])
    rows = np.tile(X, (2, 1)).astype(np.float32)
    rows[200, 2] = np.nan
    with pytest.raises(helpers.InputError, match=r"column\(s\) \[2\] contain NaN .* row 200"):
        predictor.predict_proba(rows)
    rows[200, 2] = np.inf
    with pytest.raises(helpers.InputError, match="holds infinity in row 200"):
        predictor.predict_proba(rows)
    boosting = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(X, y)
    accepting = helpers.OnnxPredictor(helpers.convert(boosting, X[:1]), **PATHS[path])
    with_nan = np.tile(X, (2, 1))
    with_nan[::7, 1] = np.nan  # scikit-learn answers these rows: so must the predictor
    np.testing.assert_array_equal(accepting.predict(with_nan), boosting.predict(with_nan))


@pytest.mark.parametrize("path", PATHS)
def test_empty_batch_and_wrong_width(path, classifier):
    predictor = helpers.OnnxPredictor(classifier[1], **PATHS[path])
    assert predictor.predict(np.empty((0, 4))).shape == (0,)
    assert predictor.predict_proba(np.empty((0, 4), dtype=np.float32)).shape == (0, 3)
    for width in (3, 5):
        with pytest.raises(helpers.InputError, match=f"expected 4 features .*got {width}"):
            predictor.predict(np.ones((200, width), dtype=np.float32))


@pytest.mark.parametrize("path", PATHS)
def test_concurrent_callers_get_their_own_rows(path, classifier, iris):
    predictor = helpers.OnnxPredictor(classifier[1], **PATHS[path])
    X32 = np.tile(iris[0], (3, 1)).astype(np.float32)
    slices = [(index, index + 1 + (turn % 3) * 99) for index in range(0, 250, 7) for turn in range(3)]
    expected = {rows: predictor.predict_proba(X32[slice(*rows)]).copy() for rows in slices}
    failures: list[str] = []
    start = threading.Barrier(4)

    def work(offset: int) -> None:
        start.wait()
        for turn in range(60):
            rows = slices[(offset * 37 + turn * 11) % len(slices)]  # 1, 100 or 199 rows: some split
            proba = predictor.predict_proba(X32[slice(*rows)])
            if not np.array_equal(proba, expected[rows]):  # read before this thread's next call
                failures.append(f"thread {offset}, rows {rows}")

    threads = [threading.Thread(target=work, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    predictor.close()
    assert failures == []


def _models() -> dict[str, tuple]:
    X, y = make_classification(n_samples=400, n_features=12, n_informative=6, n_classes=3, random_state=0)
    Xr, yr = make_regression(n_samples=400, n_features=12, random_state=0)
    return {
        "logistic regression": (LogisticRegression(max_iter=500).fit(X, y), X),
        "ridge": (Ridge().fit(Xr, yr), Xr),
        "linear regression": (LinearRegression().fit(Xr, yr), Xr),
        "random forest": (RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y), X),
        "extra trees": (ExtraTreesClassifier(n_estimators=30, random_state=0).fit(X, y), X),
        "forest regressor": (RandomForestRegressor(n_estimators=20, random_state=0).fit(Xr, yr), Xr),
    }


MODELS = _models()


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("preset", ["latency", None])
def test_the_predictor_answers_exactly_what_the_users_model_answers(name, preset):
    """Bit for bit, the outputs of ``InferenceSession(model, options).run`` on the model as
    converted, with the predictor's settings, at 1, 100 and 10,000 rows, from float32 and
    float64 rows alike. (The settings matter: a tree ensemble's sums are added in another
    order when onnxruntime shares the trees between threads; ``preset=None`` is
    ``InferenceSession(model)`` with no options at all.)"""
    model, X = MODELS[name]
    onnx_model = helpers.convert(model, X[:1])
    options = None if preset is None else helpers.session_options(preset)
    session = ort.InferenceSession(onnx_model.SerializeToString(), options)  # the user's own session
    predictor = helpers.OnnxPredictor(onnx_model, preset=preset)
    names = [output.name for output in session.get_outputs()]
    assert predictor.output_names == names
    rng = np.random.default_rng(0)
    for rows in (1, 100, 10_000):
        batch = X[rng.integers(0, len(X), rows)]
        expected = session.run(names, {"X": batch.astype(np.float32)})
        for given in (batch, batch.astype(np.float32)):
            for got, want in zip(predictor.run(names, given), expected, strict=True):
                np.testing.assert_array_equal(got, want)
