"""The row split: a batch's rows cut into chunks, run at once on a session with one intra-op
thread (onnxruntime's tree kernels share a call between threads by trees, meeting at a barrier
every 128 rows). Introduced in :ref:`cores_and_batch_size`, which measures it.
"""

from __future__ import annotations

import contextlib
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

__all__ = ["MIN_CHUNK_ROWS", "RowSplitter", "chunk_bounds", "prefers_row_split", "workers_for"]

#: A chunk has at least this many rows when the splitter chooses: handing a chunk to another
#: thread costs microseconds, which a few rows of trees outweigh.
MIN_CHUNK_ROWS = 64

#: The operators with the barrier above: the throughput preset splits their rows.
ROW_SPLIT_OPS = frozenset({"TreeEnsembleClassifier", "TreeEnsembleRegressor", "TreeEnsemble"})


def chunk_bounds(n_rows: int, workers: int, chunk_rows: int | None = None) -> list[tuple[int, int]]:
    """``(start, stop)`` of each chunk: ``workers`` even ones (never under :data:`MIN_CHUNK_ROWS`
    rows), or ``chunk_rows`` rows each.

    >>> chunk_bounds(1_000, 4), chunk_bounds(100, 4)
    ([(0, 250), (250, 500), (500, 750), (750, 1000)], [(0, 100)])
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
    """True when the graph holds a tree ensemble (see :data:`ROW_SPLIT_OPS`)."""
    proto = model if isinstance(model, onnx.ModelProto) else onnx.load_from_string(model)
    nodes = [*proto.graph.node, *(node for function in proto.functions for node in function.node)]
    return any(node.op_type in ROW_SPLIT_OPS for node in nodes)


def workers_for(content: bytes, preset: str | None, row_workers: Any, options: dict[str, Any]) -> int:
    """How many chunks of rows run at once: as asked (0: one per usable CPU), or what the
    preset says for this model; the one place that refuses both kinds of threads at once."""
    if row_workers is None:
        if preset != "throughput" or "intra_op_num_threads" in options:
            return 1
        try:
            return usable_cpus() if prefers_row_split(content) else 1
        except Exception:  # not a readable model: creating the session says so, naming the source
            return 1
    if isinstance(row_workers, bool) or not isinstance(row_workers, (int, np.integer)) or row_workers < 0:
        raise ValueError(f"row_workers must be an integer >= 0 (0: one per usable CPU), got {row_workers!r}")
    workers = usable_cpus() if row_workers == 0 else int(row_workers)
    if workers > 1 and options.get("intra_op_num_threads", 1) != 1:
        raise ValueError(
            f"row_workers={row_workers} runs each chunk on a one-thread session; with "
            f"intra_op_num_threads={options['intra_op_num_threads']} the threads would outnumber "
            "the cores: choose rows split or intra-op threads, not both"
        )
    return workers


def _join(parts: list[Any]) -> Any:
    """The chunks' values of one output, in order: arrays stacked, lists (ZipMap) chained."""
    if isinstance(parts[0], np.ndarray):
        return np.concatenate(parts, axis=0)
    return [row for part in parts for row in part]


class RowSplitter:
    """Run a function on chunks of a batch's rows at once, and join the results in order.

    ``workers`` chunks run at once, the calling thread included (default: the usable CPUs);
    ``chunk_rows`` rows per chunk (default: even). The pool stops with :meth:`close`.

    >>> with RowSplitter(2) as splitter:
    ...     (doubled,) = splitter.run(lambda p: [p["X"] * 2], {"X": np.arange(1e3)})
    >>> doubled[:3].tolist(), doubled.shape
    ([0.0, 2.0, 4.0], (1000,))
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
        return [(0, n_rows)] if self.workers == 1 else chunk_bounds(n_rows, self.workers, self.chunk_rows)

    def run(self, function: Callable[[dict[str, Any]], list[Any]], feed: Mapping[str, Any]) -> list[Any]:
        """``function(feed)``, chunk by chunk at once, each output joined in row order; the first
        failing chunk stops the others and raises a :class:`helpers.errors.ChunkError` naming its rows."""
        n_rows = len(next(iter(feed.values())))
        bounds = self.bounds(n_rows)
        if len(bounds) == 1:
            return function(dict(feed))
        results: list[Any] = [None] * len(bounds)
        errors: dict[int, BaseException] = {}
        indices, finished = itertools.count(), itertools.count(1)
        lock, all_done = threading.Lock(), threading.Event()

        def work() -> None:
            while True:
                with lock:
                    index = next(indices)
                if index >= len(bounds):
                    return
                if not errors:  # after a failure, the chunks left are counted, not run
                    start, stop = bounds[index]
                    try:
                        results[index] = function({name: value[start:stop] for name, value in feed.items()})
                    except BaseException as error:  # re-raised below, with its rows; never lost
                        errors[index] = error
                with lock:
                    if next(finished) == len(bounds):  # the last chunk is done
                        all_done.set()

        pool, helper_tasks = self._executor(), []
        with contextlib.suppress(RuntimeError):  # closed by another thread: the caller does it alone
            for _ in range(min(self.workers, len(bounds)) - 1):
                helper_tasks.append(pool.submit(work))
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
