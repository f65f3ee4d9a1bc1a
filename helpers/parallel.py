"""The row-parallel path: a batch's rows split into chunks, run at once on one session.

Introduced in :ref:`cores_and_batch_size`, which measures it against
onnxruntime's intra-op threads and scikit-learn's ``n_jobs`` on the reader's
machine.

Why it exists: onnxruntime's tree-ensemble kernel shares the work of one call
between its intra-op threads *by trees* whenever a model has more trees than
threads, and the threads meet at a barrier after every 128 rows
(``onnxruntime/core/providers/cpu/ml/tree_ensemble_common.h``). With spinning
off, idle threads sleep and are woken at each barrier. Rows, though, are
independent, and ``InferenceSession.run`` releases the GIL and may be called
from several threads at once. So :class:`RowSplitter` cuts the batch into
chunks of rows and runs them concurrently on one session that has *one*
intra-op thread: never row-parallel and intra-op threads at once, so the
threads never outnumber the workers.

The pool is made on first use (never for small batches), shared by every
caller of the object, and shut down by :meth:`RowSplitter.close` or when the
object is garbage-collected.
"""

from __future__ import annotations

import itertools
import os
import threading
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import onnx

from helpers.errors import ChunkError
from helpers.machine import usable_cpus

__all__ = [
    "MIN_CHUNK_ROWS",
    "ROW_SPLIT_OPS",
    "ChunkError",
    "RowSplitter",
    "chunk_bounds",
    "prefers_row_split",
]

#: A chunk has at least this many rows when the splitter chooses the chunks:
#: handing a chunk to another thread costs microseconds, which a few rows of
#: a tree ensemble already outweigh.
MIN_CHUNK_ROWS = 64

#: The operators whose intra-op parallelism has the barrier described above:
#: a graph with one of them takes the row-parallel path in the throughput preset.
ROW_SPLIT_OPS = frozenset({"TreeEnsembleClassifier", "TreeEnsembleRegressor", "TreeEnsemble"})


def chunk_bounds(n_rows: int, workers: int, chunk_rows: int | None = None) -> list[tuple[int, int]]:
    """``(start, stop)`` of each chunk, in order, covering ``range(n_rows)``.

    Without ``chunk_rows``: as many even chunks as ``workers``, but none
    under :data:`MIN_CHUNK_ROWS` rows. With it: chunks of that many rows
    (more chunks than workers balance uneven work; the workers take them in turn).

    Examples
    --------
    >>> chunk_bounds(1_000, 4)
    [(0, 250), (250, 500), (500, 750), (750, 1000)]
    >>> chunk_bounds(100, 4)  # too few rows to split
    [(0, 100)]
    >>> chunk_bounds(10, 2, chunk_rows=4)
    [(0, 4), (4, 8), (8, 10)]
    """
    if n_rows <= 0:
        return [(0, 0)]
    if chunk_rows is not None:
        size = max(1, int(chunk_rows))
        return [(start, min(start + size, n_rows)) for start in range(0, n_rows, size)]
    count = max(1, min(int(workers), n_rows // MIN_CHUNK_ROWS))
    edges = [index * n_rows // count for index in range(count + 1)]
    return list(itertools.pairwise(edges))


def prefers_row_split(model: onnx.ModelProto | bytes) -> bool:
    """True when the graph holds a tree ensemble (see :data:`ROW_SPLIT_OPS`).

    Examples
    --------
    >>> from onnx import helper
    >>> node = helper.make_node("Identity", ["X"], ["Y"])
    >>> prefers_row_split(helper.make_model(helper.make_graph([node], "g", [], [])))
    False
    """
    proto = model if isinstance(model, onnx.ModelProto) else onnx.load_from_string(model)
    nodes = [*proto.graph.node, *(node for function in proto.functions for node in function.node)]
    return any(node.op_type in ROW_SPLIT_OPS for node in nodes)


def _join(parts: list[Any]) -> Any:
    """The chunks' values of one output, in order: arrays stacked, lists (ZipMap) chained."""
    if isinstance(parts[0], np.ndarray):
        return np.concatenate(parts, axis=0)
    return [row for part in parts for row in part]


class RowSplitter:
    """Run a function on chunks of a batch's rows at once, and join the results in order.

    Parameters
    ----------
    workers : int, optional
        Chunks run at once, the calling thread included. Default: the CPUs
        this process may use (:func:`helpers.usable_cpus`). 1 never splits.
    chunk_rows : int, optional
        Rows per chunk; default ``n_rows / workers``, at least :data:`MIN_CHUNK_ROWS`.

    Examples
    --------
    >>> import numpy as np
    >>> splitter = RowSplitter(2)
    >>> feed = {"X": np.arange(1_000.0).reshape(-1, 1)}
    >>> labels, = splitter.run(lambda chunk: [chunk["X"][:, 0] * 2], feed)
    >>> labels[:3].tolist(), labels.shape
    ([0.0, 2.0, 4.0], (1000,))
    >>> splitter.close()
    """

    def __init__(self, workers: int | None = None, *, chunk_rows: int | None = None) -> None:
        workers = usable_cpus() if workers is None else workers
        if not isinstance(workers, (int, np.integer)) or workers < 1:
            raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
        if chunk_rows is not None and (not isinstance(chunk_rows, (int, np.integer)) or chunk_rows < 1):
            raise ValueError(f"chunk_rows must be an integer >= 1 or None, got {chunk_rows!r}")
        self.workers = int(workers)
        self.chunk_rows = None if chunk_rows is None else int(chunk_rows)
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid = 0
        self._finalizer: weakref.finalize | None = None

    def __repr__(self) -> str:
        chunks = "even chunks" if self.chunk_rows is None else f"chunks of {self.chunk_rows:,} rows"
        return f"RowSplitter(workers={self.workers}, {chunks})"

    def splits(self, n_rows: int) -> bool:
        """Whether a batch of ``n_rows`` rows is cut into more than one chunk (cheap: no list)."""
        if self.workers == 1:
            return False
        return n_rows > self.chunk_rows if self.chunk_rows is not None else n_rows >= 2 * MIN_CHUNK_ROWS

    def bounds(self, n_rows: int) -> list[tuple[int, int]]:
        """The chunks a batch of ``n_rows`` rows is cut into (one: no split)."""
        if self.workers == 1:
            return [(0, n_rows)]
        return chunk_bounds(n_rows, self.workers, self.chunk_rows)

    def run(self, function: Callable[[dict[str, Any]], list[Any]], feed: Mapping[str, Any]) -> list[Any]:
        """``function(feed)``, computed chunk by chunk at once; each output joined in row order.

        ``function`` takes a feed (the same names, a slice of the rows) and
        returns a list of outputs with one row per input row. A failing chunk
        stops the others from starting and raises :class:`helpers.ChunkError` with its
        rows, the first failing chunk's when several fail.
        """
        n_rows = len(next(iter(feed.values())))
        bounds = self.bounds(n_rows)
        if len(bounds) == 1:
            return function(dict(feed))
        results: list[Any] = [None] * len(bounds)
        errors: dict[int, BaseException] = {}
        state = {"next": 0, "finished": 0}
        lock, all_done = threading.Lock(), threading.Event()

        def work() -> None:
            while True:
                with lock:
                    index = state["next"]
                    state["next"] += 1
                if index >= len(bounds):
                    return
                if not errors:  # after a failure, the chunks left are counted, not run
                    start, stop = bounds[index]
                    try:
                        results[index] = function({name: value[start:stop] for name, value in feed.items()})
                    except BaseException as error:  # re-raised below, with its rows; never lost
                        errors[index] = error
                with lock:
                    state["finished"] += 1
                    if state["finished"] == len(bounds):
                        all_done.set()

        pool, helper_tasks = self._executor(), []
        try:
            for _ in range(min(self.workers, len(bounds)) - 1):
                helper_tasks.append(pool.submit(work))
        except RuntimeError:  # closed meanwhile by another thread: the caller does the rest alone
            pass
        work()  # the calling thread takes chunks too, so it never only waits
        all_done.wait()
        for future in helper_tasks:
            future.cancel()  # a helper still queued behind other callers' work has nothing left to do
        if errors:
            index = min(errors)
            if not isinstance(errors[index], Exception):  # KeyboardInterrupt, SystemExit: as they are
                raise errors[index]
            raise ChunkError(*bounds[index], errors[index]) from errors[index]
        return [_join([result[k] for result in results]) for k in range(len(results[0]))]

    def _executor(self) -> ThreadPoolExecutor:
        """The pool, made on first use; made again in a forked child, whose threads are gone."""
        with self._lock:
            if self._pool is None or self._pool_pid != os.getpid():
                self._pool = ThreadPoolExecutor(self.workers - 1, thread_name_prefix="helpers-rows")
                self._pool_pid = os.getpid()
                self._finalizer = weakref.finalize(self, self._pool.shutdown, wait=False, cancel_futures=True)
            return self._pool

    def close(self) -> None:
        """Shut the pool down (idle threads exit); a later :meth:`run` makes a new one."""
        with self._lock:
            if self._finalizer is not None:
                self._finalizer()
            self._pool, self._finalizer = None, None

    def __enter__(self) -> RowSplitter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
