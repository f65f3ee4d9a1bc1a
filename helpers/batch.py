"""Score a ``dask.dataframe`` with an ONNX model: the model travels as bytes, one session per worker.

Introduced in :ref:`dask_batch_scoring`, which first does the same with
``client.scatter``, ``map_partitions`` and a session cache written out by hand.

An ``onnxruntime.InferenceSession`` cannot be pickled, so it cannot be sent to
Dask workers. What travels is :class:`OnnxModelBytes`: the serialized model,
its SHA-256 and the session settings. On a worker, :meth:`OnnxModelBytes.predictor`
loads the session the first time a partition needs it and keeps it in a small
per-process cache keyed by that hash, so each worker process loads the model
once, however many partitions and threads it runs.

This module needs the ``batch`` extra (``dask[dataframe]``); ``import helpers``
does not import it, ``import helpers.batch`` does.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import dask
import numpy as np
import onnx
import pandas as pd

from helpers.errors import InputError
from helpers.modelfile import ModelSource, model_bytes
from helpers.parallel import workers_for
from helpers.predictor import OnnxPredictor

__all__ = ["OnnxModelBytes", "cached_sessions", "score", "score_partition"]

#: Sessions kept per process, most recently used last. A worker that scores
#: with more models than this loads the oldest again when it comes back.
MAX_CACHED_SESSIONS = 4

# The per-process session cache: the one piece of module state in helpers, on
# purpose. It must outlive a task (so a worker loads the model once, not once
# per partition) and be found again by the next task, which only a module that
# workers import (not a closure, which is pickled with each task) can do.
_SESSIONS: OrderedDict[tuple[str, int, int], OnnxPredictor] = OrderedDict()
_LOCK = threading.Lock()


class OnnxModelBytes:
    """An ONNX model as picklable bytes, with the settings of its sessions.

    Send this, not a session, to Dask workers (with ``client.scatter`` or as an
    argument of ``map_partitions``): it pickles as the model bytes and a few
    numbers. :meth:`predictor` gives the process's session for it.

    Parameters
    ----------
    model : onnx.ModelProto, bytes or path
        The ONNX model (as for :class:`helpers.OnnxPredictor`).
    intra_op_num_threads : int, default 1
        Threads of each session. With Dask, keep
        ``workers x threads_per_worker x intra_op_num_threads`` at most the
        number of cores, or the threads fight over them; 1 suits one Dask
        thread per core. 0 is onnxruntime's default, one per physical core.
    row_workers : int, default 1
        Chunks of each partition's rows run at once on a one-thread session (the
        row split of :class:`helpers.OnnxPredictor`). Dask's partitions are a split
        by rows already: keep 1 with one Dask thread per core; with a few large
        workers, keep ``workers x threads_per_worker x row_workers`` at most the cores.

    ``content`` holds the serialized model, ``digest`` its SHA-256 (the cache's key).

    Examples
    --------
    >>> import pickle
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from helpers import convert
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(max_iter=500).fit(X, y)
    >>> model_bytes = OnnxModelBytes(convert(model, X[:1]))
    >>> copy = pickle.loads(pickle.dumps(model_bytes))
    >>> copy.digest == model_bytes.digest, copy.predictor() is model_bytes.predictor()
    (True, True)
    """

    def __init__(self, model: ModelSource, *, intra_op_num_threads: int = 1, row_workers: int = 1) -> None:
        if not isinstance(intra_op_num_threads, (int, np.integer)) or intra_op_num_threads < 0:
            raise ValueError(
                "intra_op_num_threads must be an integer >= 0 (0: one per core), "
                f"got {intra_op_num_threads!r}"
            )
        options = {"intra_op_num_threads": intra_op_num_threads}
        row_workers = workers_for(b"", None, row_workers, options)  # fails now, not on a worker
        self.content, _ = model_bytes(model)
        self.digest = hashlib.sha256(self.content).hexdigest()
        self.intra_op_num_threads = int(intra_op_num_threads)
        self.row_workers = int(row_workers)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.content, self.digest, self.intra_op_num_threads, self.row_workers))

    def __dask_tokenize__(self) -> tuple[str, str, int, int]:
        # Dask names tasks by hashing their arguments; the digest spares it hashing the bytes.
        return ("OnnxModelBytes", self.digest, self.intra_op_num_threads, self.row_workers)

    def __repr__(self) -> str:
        return (
            f"OnnxModelBytes(sha256={self.digest[:12]}..., {len(self.content):,} bytes, "
            f"intra_op_num_threads={self.intra_op_num_threads}, row_workers={self.row_workers})"
        )

    def predictor(self) -> OnnxPredictor:
        """This process's :class:`helpers.OnnxPredictor` for the model, loaded on first use.

        Thread-safe: threads of one worker share one session
        (``InferenceSession.run`` is thread-safe), and only one of them loads it.
        """
        key = (self.digest, self.intra_op_num_threads, self.row_workers)
        with _LOCK:
            predictor = _SESSIONS.get(key)
            if predictor is None:
                predictor = OnnxPredictor(
                    self.content,
                    preset="latency",
                    intra_op_num_threads=self.intra_op_num_threads,
                    row_workers=self.row_workers,
                )
                _SESSIONS[key] = predictor
                while len(_SESSIONS) > MAX_CACHED_SESSIONS:
                    _SESSIONS.popitem(last=False)
            _SESSIONS.move_to_end(key)
            return predictor


def _rebuild(content: bytes, digest: str, intra_op_num_threads: int, row_workers: int = 1) -> OnnxModelBytes:
    model_bytes = OnnxModelBytes.__new__(OnnxModelBytes)
    model_bytes.content, model_bytes.digest = content, digest
    model_bytes.intra_op_num_threads, model_bytes.row_workers = intra_op_num_threads, row_workers
    return model_bytes


def cached_sessions() -> list[tuple[str, int, int]]:
    """The sessions loaded in this process, as ``(sha256, intra_op_num_threads, row_workers)``.

    Run it on the workers to see that each loaded a model once:
    ``client.run(helpers.batch.cached_sessions)``.

    >>> isinstance(cached_sessions(), list)
    True
    """
    with _LOCK:
        return list(_SESSIONS)


def score_partition(
    frame: pd.DataFrame,
    model: OnnxModelBytes,
    columns: Sequence[str] | None = None,
    *,
    predict: bool = True,
    predict_proba: bool = True,
    proba_columns: Sequence[str] | None = None,
    keep: Sequence[str] = (),
) -> pd.DataFrame:
    """Predict one pandas partition; what :func:`score` runs on each one.

    Returns a DataFrame indexed like ``frame``: the ``keep`` columns, then the predictions;
    an output column that would overwrite another, or a kept one, is refused.

    Parameters
    ----------
    columns : list of str, optional
        The feature columns, in the order the model takes them; default all
        columns of ``frame``. A model converted from a DataFrame matches its
        columns by name.
    predict, predict_proba : bool
        Add the column ``"label"``, and one column per class.
    proba_columns : list of str, optional
        Names of the probability columns; default ``proba_0``, ``proba_1``, ...
    keep : list of str
        Columns of ``frame`` to carry over, e.g. an id.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from helpers import convert
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> model = LogisticRegression(max_iter=500).fit(X.to_numpy(), y)
    >>> model_bytes = OnnxModelBytes(convert(model, X.to_numpy()[:1]))
    >>> score_partition(X[:2], model_bytes).columns.tolist()
    ['label', 'proba_0', 'proba_1', 'proba_2']
    """
    if not predict and not predict_proba:
        raise ValueError("nothing to score: set predict, predict_proba or both")
    wanted = list(frame.columns if columns is None else columns)
    missing = [name for name in [*wanted, *keep] if name not in frame.columns]
    if missing:
        raise InputError(f"the partition has no columns {missing}; it has {[str(c) for c in frame.columns]}")
    features = frame[wanted]
    predictor = model.predictor()
    if predictor.feature_names_in_ is None:
        features = features.to_numpy()  # an array model: the columns in the given order
    if predict_proba and not predictor.is_classifier:
        raise InputError("predict_proba=True, but the model has no probability output (a regressor?)")
    names = [predictor.outputs.value_name] * predict + [predictor.outputs.proba_name] * predict_proba
    outputs = predictor.run(names, features)  # labels and probabilities from one session run
    proba = outputs[-1] if predict_proba else np.empty((len(frame), 0))
    given = [f"proba_{i}" for i in range(proba.shape[1])] if proba_columns is None else list(proba_columns)
    if len(given) != proba.shape[1]:
        raise InputError(f"the model gives {proba.shape[1]} probability columns, got {len(given)} names")
    added = ["label"] * predict + given
    every = [*keep, *added]
    clashes = sorted({str(name) for name in every if every.count(name) > 1})
    if clashes:  # a kept column or a probability would be overwritten (data lost), or be there twice
        raise InputError(f"the kept columns {list(keep)} and the outputs {added} repeat names: {clashes}")
    scored = frame[list(keep)].copy()
    if predict:
        scored["label"] = predictor.outputs.labels(outputs[0])
    for index, name in enumerate(given):
        scored[name] = proba[:, index]
    return scored


def score(
    frame: Any,
    model: OnnxModelBytes | onnx.ModelProto | bytes,
    columns: Sequence[str] | None = None,
    *,
    client: Any = None,
    intra_op_num_threads: int = 1,
    row_workers: int = 1,
    predict: bool = True,
    predict_proba: bool = True,
    proba_columns: Sequence[str] | None = None,
    keep: Sequence[str] = (),
) -> Any:
    """Score a ``dask.dataframe.DataFrame`` with an ONNX model, partition by partition.

    The model is shipped once per worker, as bytes: with ``client``, it is
    scattered to every worker up front (``client.scatter(..., broadcast=True,
    hash=False)``: under a key of its own for each call, so that repeated calls
    on one client never release each other's copy);
    without, it becomes one task of the graph that the scheduler copies to each
    worker that needs it. Each worker process loads one session
    (:meth:`OnnxModelBytes.predictor`). Nothing runs until you ``compute``,
    ``persist`` or write the result.

    Returns a lazy Dask DataFrame: the partitions and index of ``frame``, the columns of
    :func:`score_partition` (its ``meta`` computed here on an empty partition, not guessed).
    A partition the model cannot score makes ``compute`` raise the predictor's
    :class:`~helpers.InputError`, naming the rows within that partition.

    Parameters
    ----------
    columns, predict, predict_proba, proba_columns, keep
        As in :func:`score_partition`.
    client : distributed.Client, optional
        Scatter the model with it; otherwise any Dask scheduler works.
    intra_op_num_threads, row_workers : int, default 1
        Threads per session and chunks of rows run at once, when ``model`` is
        not already an :class:`OnnxModelBytes` (which carries its own).

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from helpers import convert
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> model = LogisticRegression(max_iter=500).fit(X.to_numpy(), y)
    >>> table = dd.from_pandas(X, npartitions=3)
    >>> scored = score(table, convert(model, X.to_numpy()[:1]), predict_proba=False)
    >>> scored.npartitions, scored.compute(scheduler="sync")["label"].tolist()[:3]
    (3, [0, 0, 0])
    """
    import dask.dataframe as dd

    if not isinstance(frame, dd.DataFrame):
        raise TypeError(
            f"expected a dask.dataframe.DataFrame, got {type(frame).__name__}; "
            "for a pandas DataFrame use helpers.OnnxPredictor, or dd.from_pandas(frame, npartitions=...)"
        )
    if not isinstance(model, OnnxModelBytes):
        model = OnnxModelBytes(model, intra_op_num_threads=intra_op_num_threads, row_workers=row_workers)
    options = {
        "predict": predict,
        "predict_proba": predict_proba,
        "proba_columns": proba_columns,
        "keep": keep,
    }
    empty = pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in frame.dtypes.items()})
    meta = score_partition(empty, model, columns, **options)
    # hash=False: a key of its own for each call. With the default key (the model's token, the same
    # each call), releasing the previous call's future dropped the model that this call had just
    # scattered again, and its partitions failed with "lost dependencies" (dask/distributed#8576).
    shipped = client.scatter(model, broadcast=True, hash=False) if client is not None else dask.delayed(model)
    return frame.map_partitions(score_partition, shipped, columns, **options, meta=meta)
