"""helpers.batch: Dask scoring against in-memory predictions of the same rows."""

from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import helpers

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
batch = pytest.importorskip("helpers.batch")


@pytest.fixture(scope="module")
def table(iris):
    """Iris as a dask DataFrame of 4 partitions, with an id column and a non-default index."""
    X, _ = iris
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"], index=np.arange(1000, 1000 + len(X)))
    frame.insert(0, "id", [f"row-{i}" for i in range(len(X))])
    return frame, dd.from_pandas(frame, npartitions=4)


@pytest.fixture(scope="module")
def forest_bytes(forest, iris):
    model, _ = forest
    X, _ = iris
    return batch.OnnxModelBytes(helpers.convert(model, X[:1]))


def _check_against_memory(scored, frame, model, predictor):
    """Dask results, row for row (by index), against in-memory predictions of the same rows."""
    features = frame[["a", "b", "c", "d"]].to_numpy()
    scored = scored.loc[frame.index]
    np.testing.assert_array_equal(scored["label"].to_numpy(), predictor.predict(features))
    onnx_proba = scored[["proba_0", "proba_1", "proba_2"]].to_numpy()
    np.testing.assert_array_equal(onnx_proba, predictor.predict_proba(features))  # same model, same runtime
    np.testing.assert_array_equal(scored["label"].to_numpy(), model.predict(features))
    np.testing.assert_allclose(onnx_proba, model.predict_proba(features), atol=1e-5)  # float32 rounding


# -- the model holder and its per-process session cache -----------------------------------
def test_model_bytes_pickle_as_bytes_and_share_one_session(forest_bytes):
    copy = pickle.loads(pickle.dumps(forest_bytes))
    assert copy.content == forest_bytes.content and copy.digest == forest_bytes.digest
    assert copy.predictor() is forest_bytes.predictor()
    assert (forest_bytes.digest, 1, 1) in batch.cached_sessions()
    assert f"{len(forest_bytes.content):,} bytes" in repr(forest_bytes)


def test_threads_settings_are_separate_sessions(forest, iris):
    model, _ = forest
    X, _ = iris
    onnx_model = helpers.convert(model, X[:1])
    one, two = (batch.OnnxModelBytes(onnx_model, intra_op_num_threads=n) for n in (1, 2))
    assert one.digest == two.digest
    assert one.predictor() is not two.predictor()
    assert two.predictor().session.get_session_options().intra_op_num_threads == 2


def test_sessions_load_once_under_concurrent_threads(iris):
    from sklearn.linear_model import LogisticRegression

    X, y = iris
    unique_model = LogisticRegression(C=0.0123, max_iter=1000).fit(X, y)  # a model nothing else loads
    model_bytes = batch.OnnxModelBytes(helpers.convert(unique_model, X[:1]))
    assert (model_bytes.digest, 1, 1) not in batch.cached_sessions()
    copies = [pickle.loads(pickle.dumps(model_bytes)) for _ in range(16)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        predictors = list(pool.map(lambda copy: copy.predictor(), copies))
    assert len({id(p) for p in predictors}) == 1
    assert batch.cached_sessions().count((model_bytes.digest, 1, 1)) == 1


def test_row_workers_split_each_partition_on_a_one_thread_session(table, forest_bytes):
    frame, _ = table
    split = batch.OnnxModelBytes(forest_bytes.content, row_workers=2)
    copy = pickle.loads(pickle.dumps(split))
    assert copy.row_workers == 2 and "row_workers=2" in repr(copy)
    predictor = copy.predictor()
    assert predictor.row_workers == 2 and predictor is not forest_bytes.predictor()
    assert predictor.session.get_session_options().intra_op_num_threads == 1
    assert (split.digest, 1, 2) in batch.cached_sessions()
    big = dd.from_pandas(pd.concat([frame] * 20, ignore_index=True), npartitions=2)
    scored = batch.score(big, split, ["a", "b", "c", "d"]).compute(scheduler="sync")
    unsplit = batch.score(big, forest_bytes, ["a", "b", "c", "d"]).compute(scheduler="sync")
    pd.testing.assert_frame_equal(scored, unsplit)
    # the predictor's own rule (helpers.parallel.workers_for), checked when the bytes are made
    with pytest.raises(ValueError, match="split or intra-op threads, not both"):
        batch.OnnxModelBytes(forest_bytes.content, intra_op_num_threads=2, row_workers=2)
    with pytest.raises(ValueError, match="row_workers must be an integer >= 0"):
        batch.OnnxModelBytes(forest_bytes.content, row_workers=-1)


def test_cache_is_bounded(forest_bytes):
    for threads in range(batch.MAX_CACHED_SESSIONS + 2):
        batch.OnnxModelBytes(forest_bytes.content, intra_op_num_threads=threads).predictor()
    assert len(batch.cached_sessions()) == batch.MAX_CACHED_SESSIONS


# -- scoring on the synchronous scheduler and on threads -----------------------------------
def test_score_matches_in_memory_predictions(table, forest, forest_bytes):
    frame, ddf = table
    scored = batch.score(ddf, forest_bytes, ["a", "b", "c", "d"], keep=["id"])
    assert scored.npartitions == ddf.npartitions
    result = scored.compute(scheduler="sync")
    assert list(result.columns) == ["id", "label", "proba_0", "proba_1", "proba_2"]
    assert list(result.index) == list(frame.index) and list(result["id"]) == list(frame["id"])
    pd.testing.assert_series_equal(result.dtypes, scored.dtypes)  # the explicit meta is right
    _check_against_memory(result, frame, *forest)


def test_options_select_outputs_and_name_columns(table, forest_bytes):
    _, ddf = table
    labels = batch.score(ddf, forest_bytes, ["a", "b", "c", "d"], predict_proba=False)
    assert list(labels.compute(scheduler="sync").columns) == ["label"]
    proba = batch.score(
        ddf,
        forest_bytes,
        ["a", "b", "c", "d"],
        predict=False,
        proba_columns=["setosa", "versicolor", "virginica"],
    ).compute(scheduler="sync")
    assert list(proba.columns) == ["setosa", "versicolor", "virginica"]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


def test_dataframe_model_matches_columns_by_name(pipeline, mixed_frame):
    model, _ = pipeline
    frame, _ = mixed_frame
    shuffled = frame[["city", "visits", "age"]]
    scored = batch.score(dd.from_pandas(shuffled, npartitions=3), helpers.convert(model, frame[:1]))
    result = scored.compute(scheduler="sync")
    np.testing.assert_array_equal(result["label"], model.predict(frame))
    np.testing.assert_allclose(result[["proba_0", "proba_1"]], model.predict_proba(frame), atol=1e-5)


def test_threaded_local_cluster_with_scatter(table, forest, forest_bytes):
    frame, ddf = table
    with (
        # processes=False talks over in-process queues (inproc://), no sockets at all.
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        result = batch.score(ddf, forest_bytes.content, ["a", "b", "c", "d"], client=client).compute()
    _check_against_memory(result, frame, *forest)


def test_bad_input_is_explained(table, forest_bytes, ridge):
    frame, ddf = table
    with pytest.raises(TypeError, match="expected a dask.dataframe.DataFrame, got DataFrame"):
        batch.score(frame, forest_bytes)
    with pytest.raises(helpers.InputError, match=r"no columns \['e'\]"):
        batch.score(ddf, forest_bytes, ["a", "b", "c", "e"])
    with pytest.raises(helpers.InputError, match="expected 4 features"):
        batch.score(ddf[["a", "b", "c"]], forest_bytes)
    with pytest.raises(helpers.InputError, match="3 probability columns, got 2 names"):
        batch.score(ddf, forest_bytes, ["a", "b", "c", "d"], proba_columns=["x", "y"])
    with pytest.raises(ValueError, match="nothing to score"):
        batch.score(ddf, forest_bytes, ["a", "b", "c", "d"], predict=False, predict_proba=False)
    with pytest.raises(ValueError, match="intra_op_num_threads must be an integer >= 0"):
        batch.OnnxModelBytes(forest_bytes.content, intra_op_num_threads=-1)
    model, _, X = ridge
    regression = dd.from_pandas(pd.DataFrame(X), npartitions=2)
    with pytest.raises(helpers.InputError, match="no probability output"):
        batch.score(regression, helpers.convert(model, X[:1]))
    values = batch.score(regression, helpers.convert(model, X[:1]), predict_proba=False)
    np.testing.assert_allclose(values.compute(scheduler="sync")["label"], model.predict(X), rtol=1e-4)


# -- real worker processes -----------------------------------------------------------------
def test_worker_processes_load_the_model_once_each(table, forest, forest_bytes):
    frame, ddf = table
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        many_partitions = ddf.repartition(npartitions=12)
        scored = batch.score(many_partitions, forest_bytes, ["a", "b", "c", "d"], client=client)
        result = scored.compute()
        # without client=, the model travels as one task of the graph: same sessions, found in the cache
        again = batch.score(many_partitions, forest_bytes.content, ["a", "b", "c", "d"]).compute()
        sessions = client.run(batch.cached_sessions)
        worker_names = set(client.run(lambda: __import__("os").getpid()).values())
    _check_against_memory(result, frame, *forest)
    pd.testing.assert_frame_equal(again, result)
    assert len(sessions) == 2 and len(worker_names) == 2  # two separate processes
    # 12 partitions on 2 workers: each worker that scored loaded the model once, not once per partition.
    assert all(loaded in ([], [(forest_bytes.digest, 1, 1)]) for loaded in sessions.values())
    assert any(sessions.values())


# -- hostile use (issue 11) ------------------------------------------------------------------
def test_repeated_scoring_on_one_client_never_loses_work(table, forest, forest_bytes):
    # The model used to be scattered under one fixed key, derived from its hash: when the previous
    # call's future was released, the scheduler dropped the key the next call had just scattered
    # again ("lost dependencies", dask/distributed#8576). Each call now scatters under its own key.
    frame, ddf = table
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        results = [
            batch.score(ddf, forest_bytes, ["a", "b", "c", "d"], client=client).compute() for _ in range(20)
        ]
    for result in results:
        _check_against_memory(result, frame, *forest)


def test_infinity_in_a_partition_is_an_error_not_nan(table, forest_bytes):
    frame, _ = table
    broken = frame.copy()
    broken.iloc[100, 2] = np.inf  # in the third of four partitions
    scored = batch.score(dd.from_pandas(broken, npartitions=4), forest_bytes, ["a", "b", "c", "d"])
    with pytest.raises(helpers.InputError, match=r"infinity in row \d+"):
        scored.compute(scheduler="sync")


@pytest.mark.parametrize(
    ("keep", "proba_columns"),
    [(["a", "label"], None), (["a"], ["a", "p1", "p2"]), ([], ["p", "p", "q"]), (["id", "id"], None)],
)
def test_output_columns_never_overwrite_each_other_or_kept_columns(table, forest_bytes, keep, proba_columns):
    """A kept column named like an output, or repeated output or kept names, would lose data or
    repeat a column (which Parquet refuses to write): refused."""
    frame, _ = table
    frame = frame.assign(label=1)
    with pytest.raises(helpers.InputError, match=r"the kept columns .* and the outputs .* repeat names"):
        batch.score_partition(
            frame, forest_bytes, ["a", "b", "c", "d"], keep=keep, proba_columns=proba_columns
        )
