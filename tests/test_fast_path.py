"""The fast call path of OnnxPredictor and its opt-in buffer reuse (``reuse_buffers=True``)."""

from __future__ import annotations

import numpy as np
import pytest

import helpers
from helpers.checks import may_hold_nan
from helpers.fastcall import MAX_BINDINGS, ReusedBuffers, SessionCall


@pytest.fixture(scope="module")
def onnx_models(logistic, forest, boosting, ridge, iris):
    X, _ = iris
    return {
        "logistic": helpers.convert(logistic[0], X[:1]),
        "forest": helpers.convert(forest[0], X[:1]),
        "boosting": helpers.convert(boosting[0], X[:1]),
        "ridge": helpers.convert(ridge[0], ridge[2][:1]),
    }


def _rows(name, iris, ridge):
    X = ridge[2] if name == "ridge" else iris[0]
    return np.ascontiguousarray(X, dtype=np.float32)


@pytest.mark.parametrize("name", ["logistic", "forest", "boosting", "ridge"])
def test_fast_path_gives_exactly_what_session_run_gives(name, onnx_models, iris, ridge):
    X32 = _rows(name, iris, ridge)
    predictor = helpers.OnnxPredictor(onnx_models[name])
    reusing = helpers.OnnxPredictor(onnx_models[name], reuse_buffers=True)
    outputs = predictor.output_names
    for rows in (X32[:1], X32[:7], X32):
        expected = dict(zip(outputs, predictor.session.run(outputs, {"X": rows}), strict=True))
        label = expected[outputs[0]]
        label = label.ravel() if label.ndim == 2 and label.shape[1] == 1 else label
        for current in (predictor, reusing):
            np.testing.assert_array_equal(current.predict(rows), label)
            if current.is_classifier:
                np.testing.assert_array_equal(current.predict_proba(rows), expected["probabilities"])
        # the safe path (float64 input, cast then checked) agrees with the fast path
        np.testing.assert_array_equal(predictor.predict(rows.astype(np.float64)), label)


class _PublicOnly:
    """A session without onnxruntime's private attributes: only the public API, delegated."""

    def __init__(self, session):
        self._session = session

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._session, name)


def test_public_api_fallback_gives_the_same_results(logistic, iris):
    """Without onnxruntime's compiled session (``session._sess``), the public calls are used."""
    model, _ = logistic
    X32 = iris[0].astype(np.float32)
    predictor = helpers.OnnxPredictor(helpers.convert(model, iris[0][:1]))
    fast = predictor.predict_proba(X32[:5])
    private = SessionCall(predictor.session)
    public = SessionCall(_PublicOnly(predictor.session))
    assert private.private and not public.private
    np.testing.assert_array_equal(public.run(["probabilities"], {"X": X32[:5]})[0], fast)
    buffers = ReusedBuffers(public)
    for _ in range(2):  # the first call binds, the second runs the binding through the public API
        np.testing.assert_array_equal(buffers.run(["probabilities"], {"X": X32[:5]})[0], fast)


def test_default_returns_a_new_array_every_call(logistic, iris):
    _, predictor = logistic
    row = iris[0][:1].astype(np.float32)
    first, second = predictor.predict_proba(row), predictor.predict_proba(row)
    assert first is not second and not np.shares_memory(first, second)


def test_reuse_buffers_returns_the_same_array_overwritten(logistic, iris):
    model, _ = logistic
    X32 = iris[0].astype(np.float32)
    predictor = helpers.OnnxPredictor(helpers.convert(model, iris[0][:1]), reuse_buffers=True)
    setosa, virginica = X32[:1], X32[-1:]
    first = predictor.predict_proba(setosa)
    kept = first.copy()
    second = predictor.predict_proba(virginica)
    assert second is first  # the same buffer ...
    np.testing.assert_allclose(second, model.predict_proba(iris[0][-1:]), atol=1e-5)  # ... now the new rows
    assert not np.allclose(first, kept)  # so the earlier result was overwritten: copy to keep it
    np.testing.assert_allclose(kept, model.predict_proba(iris[0][:1]), atol=1e-5)
    # labels and probabilities, and each batch size, have buffers of their own
    labels = predictor.predict(setosa)
    assert labels is not first and labels.tolist() == [0]
    three = predictor.predict_proba(X32[:3])
    assert three.shape == (3, 3) and three is not first


def test_reuse_buffers_serve_float64_rows_too(logistic, iris):
    """A float64 row is cast once by the input check, then runs through the same buffers."""
    model, _ = logistic
    predictor = helpers.OnnxPredictor(helpers.convert(model, iris[0][:1]), reuse_buffers=True)
    row64 = iris[0][:1]
    first = predictor.predict_proba(row64)
    assert predictor.predict_proba(row64) is first
    np.testing.assert_allclose(first, model.predict_proba(row64), atol=1e-5)
    zipmap = helpers.OnnxPredictor(helpers.convert(model, iris[0][:1], zipmap=True), reuse_buffers=True)
    row = row64.astype(np.float32)
    first = zipmap.predict_proba(row)  # ZipMap output: converted to a new array every time
    assert zipmap.predict_proba(row) is not first
    np.testing.assert_allclose(first, model.predict_proba(row64), atol=1e-5)


def test_reuse_buffers_keeps_a_bounded_number_of_buffers(logistic, iris):
    model, _ = logistic
    predictor = helpers.OnnxPredictor(helpers.convert(model, iris[0][:1]), reuse_buffers=True)
    X32 = iris[0].astype(np.float32)
    for rows in range(1, 3 * MAX_BINDINGS):
        np.testing.assert_allclose(
            predictor.predict_proba(X32[:rows]), model.predict_proba(iris[0][:rows]), atol=1e-5
        )
    assert len(predictor._runner.__self__._local.bindings) <= MAX_BINDINGS


def test_input_checks_still_apply_on_the_fast_path(logistic, iris):
    _, predictor = logistic
    for current in (
        predictor,
        helpers.OnnxPredictor(helpers.convert(logistic[0], iris[0][:1]), reuse_buffers=True),
    ):
        row = iris[0][:1].astype(np.float32)
        row[0, 2] = np.nan
        with pytest.raises(helpers.InputError, match=r"column\(s\) \[2\] contain NaN"):
            current.predict_proba(row)
        with pytest.raises(helpers.InputError, match="expected 4 features"):
            current.predict(np.ones((1, 5), dtype=np.float32))


def test_may_hold_nan():
    for width in (20, 300):  # one row summed as Python floats, or np.isfinite
        row = np.ones((1, width), dtype=np.float32)
        assert not may_hold_nan(row)
        assert not may_hold_nan(np.ones((50, width), dtype=np.float32))
        with_nan = row.copy()
        with_nan[0, 19] = np.nan
        assert may_hold_nan(with_nan)
        with_inf = row.copy()
        with_inf[0, 3] = -np.inf
        assert may_hold_nan(with_inf)
        many = np.ones((50, width), dtype=np.float32)
        many[37, 0] = np.nan
        assert may_hold_nan(many)


def test_infinities_are_not_mistaken_for_nan(logistic, iris):
    _, predictor = logistic
    row = iris[0][:1].astype(np.float32)
    row[0, 0], row[0, 1] = np.inf, -np.inf  # their sum is NaN: the slow path finds infinity, not NaN
    with pytest.raises(helpers.InputError, match="holds infinity") as refused:
        predictor.predict_proba(row)  # scikit-learn refuses it too (Input X contains infinity)
    assert "NaN" not in str(refused.value)
