"""The row-parallel path: chunks in order, errors with their rows, the pool's life, many callers at once."""

from __future__ import annotations

import gc
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from sklearn.datasets import make_classification
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)

import helpers
from helpers.errors import ChunkError
from helpers.parallel import MIN_CHUNK_ROWS, RowSplitter, chunk_bounds, prefers_row_split


def _pool_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("helpers-rows")]


def _wait_for_no_pool_threads(before: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if len(_pool_threads()) <= before:
            return True
        time.sleep(0.01)
    return False


@pytest.mark.parametrize("n_rows", [0, 1, 63, 64, 127, 128, 1_000, 10_001])
@pytest.mark.parametrize("workers", [1, 2, 3, 16])
def test_chunks_cover_the_rows_in_order(n_rows, workers):
    bounds = chunk_bounds(n_rows, workers)
    assert bounds[0][0] == 0 and bounds[-1][1] == n_rows
    assert all(stop == start for (_, stop), (start, _) in itertools.pairwise(bounds))
    assert len(bounds) <= workers
    if len(bounds) > 1:
        assert min(stop - start for start, stop in bounds) >= MIN_CHUNK_ROWS


@pytest.mark.parametrize("chunk_rows", [None, 50])
def test_splits_agrees_with_the_bounds(chunk_rows):
    splitter = RowSplitter(4, chunk_rows=chunk_rows)
    for n_rows in range(0, 400):
        assert splitter.splits(n_rows) == (len(splitter.bounds(n_rows)) > 1), n_rows
    assert not RowSplitter(1).splits(10_000)


def test_chunk_rows_fixes_the_size():
    assert chunk_bounds(10, 2, chunk_rows=3) == [(0, 3), (3, 6), (6, 9), (9, 10)]
    assert chunk_bounds(5, 8, chunk_rows=100) == [(0, 5)]


@pytest.mark.parametrize("chunk_rows", [None, 7, 100])
def test_results_are_joined_in_row_order(chunk_rows):
    X = np.arange(2_000, dtype=np.float64).reshape(-1, 2)
    with RowSplitter(3, chunk_rows=chunk_rows) as splitter:

        def double(feed):
            time.sleep(0.001 * (feed["X"][0, 0] % 3))  # chunks finish out of order
            return [feed["X"] * 2, [{"row": int(v)} for v in feed["X"][:, 0]]]

        values, listed = splitter.run(double, {"X": X})
    np.testing.assert_array_equal(values, X * 2)
    assert [item["row"] for item in listed] == X[:, 0].astype(int).tolist()


def test_a_failing_chunk_is_named_by_its_rows():
    X = np.arange(1_000, dtype=np.float64).reshape(-1, 1)

    def fails_on_row_700(feed):
        if 700 in feed["X"]:
            raise ValueError("row 700 is bad\nmore context")
        return [feed["X"]]

    with RowSplitter(4) as splitter, pytest.raises(ChunkError) as caught:
        splitter.run(fails_on_row_700, {"X": X})
    error = caught.value
    assert (error.start, error.stop) == (500, 750)
    assert str(error) == "rows 500 to 749 of the batch: row 700 is bad"
    assert isinstance(error.__cause__, ValueError) and isinstance(error, RuntimeError)


def test_the_first_failing_chunk_is_reported_and_the_rest_do_not_start():
    calls = []

    def always_fails(feed):
        calls.append(int(feed["X"][0, 0]))
        raise KeyError("nope")

    X = np.arange(1_000, dtype=np.float64).reshape(-1, 1)
    with RowSplitter(2, chunk_rows=10) as splitter, pytest.raises(ChunkError) as caught:
        splitter.run(always_fails, {"X": X})
    assert caught.value.start == 0
    assert len(calls) < 100  # the chunks left after the first failure were skipped


def test_pool_is_lazy_shared_and_shut_down():
    before = len(_pool_threads())
    splitter = RowSplitter(3)
    splitter.run(lambda feed: [feed["X"]], {"X": np.ones((10, 2))})  # one chunk: no pool
    assert splitter._pool is None
    splitter.run(lambda feed: [feed["X"]], {"X": np.ones((1_000, 2))})
    pool = splitter._pool
    splitter.run(lambda feed: [feed["X"]], {"X": np.ones((1_000, 2))})
    assert splitter._pool is pool  # made once, reused
    splitter.close()
    assert _wait_for_no_pool_threads(before)
    # still usable after close: a new pool
    (values,) = splitter.run(lambda feed: [feed["X"]], {"X": np.ones((1_000, 2))})
    assert values.shape == (1_000, 2)
    del splitter
    gc.collect()
    assert _wait_for_no_pool_threads(before)  # weakref.finalize shut it down


def test_bad_arguments():
    with pytest.raises(ValueError, match="workers must be an integer >= 1"):
        RowSplitter(0)
    with pytest.raises(ValueError, match="chunk_rows must be an integer >= 1"):
        RowSplitter(2, chunk_rows=0)


@pytest.fixture(scope="module")
def forest_and_data():
    X, y = make_classification(n_samples=600, n_features=8, random_state=0)
    model = RandomForestClassifier(n_estimators=15, max_depth=6, random_state=0).fit(X, y)
    return model, helpers.convert(model, X[:1]), X


def test_many_callers_at_once_get_scikit_learns_answers(forest_and_data):
    model, onnx_model, X = forest_and_data
    batches = [np.tile(X, (k, 1))[: 200 * k + 37] for k in range(1, 9)]
    expected = [(model.predict(b), model.predict_proba(b)) for b in batches]
    with helpers.OnnxPredictor(onnx_model, row_workers=4, chunk_rows=97) as predictor:

        def check(index):
            labels, proba = predictor.predict_with_proba(batches[index % len(batches)])
            want_labels, want_proba = expected[index % len(batches)]
            np.testing.assert_array_equal(labels, want_labels)
            np.testing.assert_allclose(proba, want_proba, atol=1e-5)
            return len(labels)

        with ThreadPoolExecutor(8) as callers:
            counts = list(callers.map(check, range(64)))
    assert sum(counts) == sum(len(batches[i % len(batches)]) for i in range(64))


def test_split_and_unsplit_predictions_are_identical(forest_and_data):
    _, onnx_model, X = forest_and_data
    batch = np.tile(X, (5, 1)).astype(np.float32)
    whole = helpers.OnnxPredictor(onnx_model, preset="latency")
    with helpers.OnnxPredictor(onnx_model, row_workers=3) as split:
        assert len(split.rows.bounds(len(batch))) == 3
        np.testing.assert_array_equal(split.predict_proba(batch), whole.predict_proba(batch))
        np.testing.assert_array_equal(split.predict(batch), whole.predict(batch))


def test_row_split_runs_one_intra_op_thread_never_both(forest_and_data):
    _, onnx_model, _ = forest_and_data
    predictor = helpers.OnnxPredictor(onnx_model, preset="throughput", row_workers=2)
    assert predictor.session.get_session_options().intra_op_num_threads == 1
    assert "row_workers=2" in repr(predictor)
    with pytest.raises(ValueError, match="not both"):
        helpers.OnnxPredictor(onnx_model, row_workers=2, intra_op_num_threads=4)
    with pytest.raises(ValueError, match="row_workers must be an integer"):
        helpers.OnnxPredictor(onnx_model, row_workers=-1)
    assert helpers.OnnxPredictor(onnx_model, row_workers=0).row_workers == helpers.usable_cpus()


def test_throughput_preset_splits_the_rows_of_tree_ensembles_only(forest_and_data, logistic, iris):
    _, onnx_model, _ = forest_and_data
    cpus = helpers.usable_cpus()
    forest = helpers.OnnxPredictor(onnx_model, preset="throughput")
    assert forest.row_workers == cpus and (forest.rows is not None) == (cpus > 1)
    assert helpers.OnnxPredictor(onnx_model, preset="latency").rows is None
    assert helpers.OnnxPredictor(onnx_model, preset="throughput", intra_op_num_threads=2).rows is None
    X, _ = iris
    logistic_onnx = helpers.convert(logistic[0], X[:1])
    assert not prefers_row_split(logistic_onnx)
    assert helpers.OnnxPredictor(logistic_onnx, preset="throughput").rows is None


def test_tree_ensembles_are_recognised(forest_and_data, iris):
    _, onnx_model, _ = forest_and_data
    assert prefers_row_split(onnx_model) and prefers_row_split(onnx_model.SerializeToString())
    X, y = iris
    boosting = GradientBoostingClassifier(n_estimators=5, random_state=0).fit(X, y)
    assert prefers_row_split(helpers.convert(boosting, X[:1]))


def _odd_rows_fail_model() -> onnx.ModelProto:
    """X (n, 2) reshaped to (-1, 4): onnxruntime fails on a chunk with an odd number of rows."""
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [-1, 4])
    graph = helper.make_graph(
        [helper.make_node("Reshape", ["X", "shape"], ["variable"])],
        "odd_rows_fail",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, 2])],
        [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 4])],
        [shape],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def test_predictor_names_the_rows_of_a_failing_chunk():
    predictor = helpers.OnnxPredictor(_odd_rows_fail_model(), row_workers=2, chunk_rows=100)
    good = np.ones((300, 2), dtype=np.float32)
    assert predictor.predict(good).shape == (150, 4)  # each even chunk reshapes on its own
    with pytest.raises(ChunkError) as caught:
        predictor.predict(np.ones((301, 2), dtype=np.float32))
    assert (caught.value.start, caught.value.stop) == (300, 301)
    message = str(caught.value)
    assert message.startswith(
        "onnxruntime failed to run the model from the given ModelProto on rows 300 to 300"
    )
    unsplit = helpers.OnnxPredictor(_odd_rows_fail_model())
    with pytest.raises(RuntimeError, match="onnxruntime failed to run the model"):
        unsplit.predict(np.ones((3, 2), dtype=np.float32))


def test_reused_buffers_serve_small_batches_and_large_ones_split(forest_and_data):
    _, onnx_model, X = forest_and_data
    predictor = helpers.OnnxPredictor(onnx_model, row_workers=2, reuse_buffers=True)
    row = X[:1].astype(np.float32)
    assert predictor.predict_proba(row) is predictor.predict_proba(row)
    batch = np.tile(X, (2, 1)).astype(np.float32)
    assert predictor.predict_proba(batch) is not predictor.predict_proba(batch)
    predictor.close()


def test_system_exit_in_a_chunk_is_not_turned_into_a_chunk_error():
    def exits(feed):
        if 900 in feed["X"]:
            raise SystemExit(3)
        return [feed["X"]]

    with RowSplitter(2) as splitter, pytest.raises(SystemExit):
        splitter.run(exits, {"X": np.arange(1_000, dtype=np.float64).reshape(-1, 1)})


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("row", [0, 149, 150, 599])
def test_each_chunk_checks_its_rows_and_the_error_names_the_batch_row(logistic, iris, bad, row):
    X, _ = iris
    batch = np.tile(X, (4, 1)).astype(np.float32)  # 600 rows: chunks of 150 on four workers
    batch[row, 2] = bad
    with helpers.OnnxPredictor(helpers.convert(logistic[0], X[:1]), row_workers=4) as split:
        assert len(split.rows.bounds(len(batch))) == 4
        with pytest.raises(helpers.InputError, match=rf"(in|first:) row {row}\b") as refused:
            split.predict_proba(batch)
    assert not isinstance(refused.value, ChunkError)
    assert ("NaN" in str(refused.value)) == np.isnan(bad)


def test_nan_where_the_model_takes_it_passes_the_split_path():
    X, y = make_classification(600, 5, random_state=0)
    X[::7, 1] = np.nan
    model = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(X, y)
    onnx_model = helpers.convert(model, X[:1])
    rows = X.astype(np.float32)
    with helpers.OnnxPredictor(onnx_model, row_workers=3) as split:
        assert split.rows.splits(len(rows))
        together = helpers.OnnxPredictor(onnx_model).predict_proba(rows)
        np.testing.assert_array_equal(split.predict_proba(rows), together)
    assert np.isfinite(together).all()
