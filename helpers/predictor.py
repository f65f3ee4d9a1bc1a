"""A scikit-learn-like predictor over one ``onnxruntime.InferenceSession``.

Introduced in :ref:`sphx_glr_auto_examples_01_walkthrough_plot_02_with_helpers.py`;
the raw calls it hides (``InferenceSession``, ``get_inputs``, ``run``) are
spelled out in :ref:`sphx_glr_auto_examples_01_walkthrough_plot_01_train_convert_predict.py`.
It puts together the base layer: :mod:`helpers.session` (settings),
:mod:`helpers.inputs` (checks), :mod:`helpers.outputs` (what each output
means), :mod:`helpers.fastcall` (the call itself) and :mod:`helpers.parallel`
(large batches of a tree ensemble, split by rows).

Longer than 250 lines: the class docstring documents every option (presets,
buffers, the row-parallel path) with examples; the code is a thin layer over
the base modules.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from helpers.errors import ChunkError, ModelFileError, first_line
from helpers.fastcall import ReusedBuffers, SessionCall
from helpers.inputs import InputSpec
from helpers.machine import usable_cpus
from helpers.modelfile import ModelSource, model_bytes
from helpers.outputs import OutputSpec, all_finite
from helpers.parallel import PARALLEL_CHECK_VALUES, RowSplitter, prefers_row_split
from helpers.session import create_session, session_options
from helpers.tuning import TuningResult, tune
from helpers.witness import WITNESS, with_witness

__all__ = ["OnnxPredictor"]


class OnnxPredictor:
    """Predict with an ONNX model the way the scikit-learn model did.

    One ``onnxruntime.InferenceSession`` behind ``predict``,
    ``predict_proba`` and ``predict_with_proba`` (both from one run). Inputs
    are checked before they reach onnxruntime (see
    :class:`helpers.inputs.InputSpec`), so bad data gives an
    :class:`~helpers.InputError` that says what was expected; an empty batch
    returns an empty result of the right shape.

    For a linear model the session runs the graph with a witness output
    (:mod:`helpers.witness`): its raw scores are non-finite whenever an input
    value is, so checking them, a few values per row, replaces the pass over
    every input value; the predictor reads that output and does not return it.

    A C-contiguous array of the model's type and width is fed as it is, and
    the session is called through :class:`helpers.fastcall.SessionCall`,
    which skips ``InferenceSession.run``'s Python re-checks for a CPU session
    (``benchmarks/one_row.py`` measures what that saves).

    ``InferenceSession.run`` is thread-safe, and so is the predictor. By
    default every call returns a new array. With ``reuse_buffers=True`` it
    binds, per thread and batch size, an input and an output buffer once and
    returns the output buffer itself: faster at one row, but **the array
    returned is overwritten by the next call** of the same method with the
    same number of rows on the same thread; ``.copy()`` it to keep it.

    Large batches can take the row-parallel path (:mod:`helpers.parallel`):
    the rows are split into chunks run at once on the session, which then
    has one intra-op thread (never both kinds of threads at once), and the
    results are joined in row order. The throughput preset takes it for a
    tree ensemble, with one worker per CPU this process may use; see
    :data:`helpers.PRESETS` for why. A chunk that fails raises a
    :class:`helpers.ChunkError` naming its rows. ``close()`` (or a
    ``with`` block) stops the pool's threads; otherwise they stop when the
    predictor is garbage-collected.

    Parameters
    ----------
    model : onnx.ModelProto, bytes, str or path
        The model, its serialized bytes, or the path of a ``.onnx`` file.
        Pickles are refused, never loaded.
    preset : {"latency", "throughput"} or None, default "latency"
        Session settings, see :data:`helpers.PRESETS`.
    providers : list of str, optional
        Execution providers, default ``["CPUExecutionProvider"]``.
    reuse_buffers : bool, default False
        Return the same pre-bound output array per thread and batch size (see above).
    row_workers : int, optional
        Chunks of rows run at once (the calling thread included); 1 never
        splits, 0 means one per usable CPU (:func:`helpers.usable_cpus`).
        Default: what the preset says (above). More than 1 needs
        ``intra_op_num_threads`` left unset or 1.
    chunk_rows : int, optional
        Rows per chunk; default an even split, one chunk per worker (see
        :func:`helpers.parallel.chunk_bounds`).
    **options
        ``SessionOptions`` overrides, see :func:`helpers.session_options`.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from helpers import convert
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(max_iter=500).fit(X, y)
    >>> predictor = OnnxPredictor(convert(model, X[:1]))
    >>> predictor.predict(X[:3]).tolist()
    [0, 0, 0]
    >>> labels, proba = predictor.predict_with_proba(X[:1])
    >>> labels.shape, proba.shape
    ((1,), (1, 3))
    >>> fast = OnnxPredictor(convert(model, X[:1]), reuse_buffers=True)
    >>> row = X[:1].astype("float32")
    >>> fast.predict_proba(row) is fast.predict_proba(row)  # one buffer, overwritten
    True
    >>> rows = np.tile(X, (2, 1))
    >>> with OnnxPredictor(convert(model, X[:1]), row_workers=2) as split:
    ...     split.predict(rows).tolist() == model.predict(rows).tolist()
    True
    """

    def __init__(
        self,
        model: ModelSource,
        *,
        preset: str | None = "latency",
        providers: list[str] | None = None,
        reuse_buffers: bool = False,
        row_workers: int | None = None,
        chunk_rows: int | None = None,
        **options: Any,
    ) -> None:
        self.preset = preset
        self.reuse_buffers = bool(reuse_buffers)
        content, self._source = model_bytes(model)
        self.row_workers = _row_workers(content, preset, providers, row_workers, options)
        if self.row_workers > 1:
            options = {**options, "intra_op_num_threads": 1}
        settings = session_options(preset, **options)
        self.session, self._witness = _session_with_witness(content, settings, providers)
        if self.session is None:
            self.session, _ = create_session(content, settings, providers, source=self._source)
        self.rows = RowSplitter(self.row_workers, chunk_rows=chunk_rows) if self.row_workers > 1 else None
        self._cpus = usable_cpus()
        self._checker: RowSplitter | None = None  # made for the first batch large enough
        self.inputs = InputSpec.from_session(self.session)
        self.outputs = OutputSpec.from_session(self.session, hidden=WITNESS)
        self.feature_names: list[str] | None = self.inputs.feature_names
        self._call = SessionCall(self.session)
        self._first_input = self.inputs.names[0]
        self._buffers = ReusedBuffers(self._call, self._first_input) if reuse_buffers else None
        self.tuning: TuningResult | None = None  # set by OnnxPredictor.tuned

    @classmethod
    def tuned(
        cls,
        model: ModelSource,
        X: Any,
        *,
        batch_size: int = 1,
        budget: float = 3.0,
        providers: list[str] | None = None,
        reuse_buffers: bool = False,
    ) -> OnnxPredictor:
        """A predictor with the settings measured fastest for ``X`` at ``batch_size`` rows.

        Runs :func:`helpers.tune` (``budget`` seconds) and builds the predictor
        with the setting it chose; the measurements stay available as
        ``predictor.tuning``.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.linear_model import LogisticRegression
        >>> from helpers import convert
        >>> X, y = load_iris(return_X_y=True)
        >>> onnx_model = convert(LogisticRegression(max_iter=500).fit(X, y), X[:1])
        >>> predictor = OnnxPredictor.tuned(onnx_model, X, budget=0.5)
        >>> predictor.preset, predictor.tuning.best in predictor.tuning.tried
        ('tuned', True)
        """
        content, _ = model_bytes(model)
        tuning = tune(content, X, batch_size=batch_size, budget=budget)
        predictor = cls(
            content, preset=None, providers=providers, reuse_buffers=reuse_buffers, **tuning.predictor_options
        )
        predictor.preset = "tuned"
        predictor.tuning = tuning
        return predictor

    @property
    def input_names(self) -> list[str]:
        """Names of the model's inputs, in the model's order."""
        return self.inputs.names

    @property
    def output_names(self) -> list[str]:
        """Names of the model's outputs."""
        return self.outputs.names

    @property
    def is_classifier(self) -> bool:
        """True when the model has a probability output."""
        return self.outputs.is_classifier

    def __repr__(self) -> str:
        inputs = ", ".join(f"{s.name}: {s.dtype.name}[{s.width or '?'}]" for s in self.inputs.slots)
        rows = f", row_workers={self.row_workers}" if self.rows is not None else ""
        return f"OnnxPredictor(inputs=[{inputs}], outputs={self.output_names}, preset={self.preset!r}{rows})"

    def close(self) -> None:
        """Stop the threads of the row-parallel path and of the parallel check, if any
        started (the predictor still works)."""
        for splitter in (self.rows, self._checker):
            if splitter is not None:
                splitter.close()

    def __enter__(self) -> OnnxPredictor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def run(self, names: list[str], X: Any) -> list[Any]:
        """The outputs ``names`` for the rows ``X``, checked and fed as the other methods do.

        The one place the session runs: ``predict``, ``predict_proba`` and
        ``predict_with_proba`` are views of it. A float output that is NaN or
        infinite for finite rows (an overflow in a float32 graph, where
        scikit-learn computes in float64) raises :class:`~helpers.InputError`
        naming the rows; an answer that is finite is never refused.
        """
        if self.inputs.fits(X):
            split = self.rows is not None and self.rows.splits(len(X))
            feed = {self._first_input: X}
            if split:  # each chunk's values are checked on the thread that runs it
                try:
                    return self._run_split(names, feed, checked=False)
                except _Refused:
                    feed = self.inputs.feed(X)  # names the rows, or lets NaN through where allowed
            elif self._witness is not None and self._buffers is None:
                fetched = names if self._witness in names else [*names, self._witness]
                outputs = self._session_run(fetched, feed)
                if all_finite(outputs[fetched.index(self._witness)]):
                    return outputs[: len(names)]  # finite scores: finite inputs, finite answers
                feed = self.inputs.feed(X)  # names what is refused; else an overflow, found below
            elif not self._values_pass(X):
                feed = self.inputs.feed(X)
            elif self._buffers is not None and len(names) == 1:
                outputs = [self._buffers.run(names[0], X)]
                self.outputs.check_finite(names, outputs, feed)
                return outputs
        else:
            feed = self.inputs.feed(X)
            rows = len(next(iter(feed.values())))
            if rows == 0:
                return [self.outputs.empty(name) for name in names]
            split = self.rows is not None and self.rows.splits(rows)
        if split:
            return self._run_split(names, feed, checked=True)
        outputs = self._session_run(names, feed)
        self.outputs.check_finite(names, outputs, feed)  # an overflow is an InputError, not NaN
        return outputs

    def _session_run(self, names: list[str], feed: dict[str, np.ndarray]) -> list[Any]:
        """The session's outputs ``names``; onnxruntime's errors become a RuntimeError naming the model."""
        try:
            return self._call.run(names, feed)
        except Exception as error:  # onnxruntime's errors derive from Exception only
            raise self._failure(error) from None

    def _failure(self, error: Exception) -> RuntimeError:
        return RuntimeError(f"onnxruntime failed to run the model from {self._source}: {first_line(error)}")

    def _values_pass(self, X: np.ndarray) -> bool:
        """:meth:`InputSpec.values_pass`, on all usable CPUs for a large batch (see
        :data:`helpers.parallel.PARALLEL_CHECK_VALUES`)."""
        if X.size < PARALLEL_CHECK_VALUES or self._cpus == 1:
            return self.inputs.values_pass(X)
        if self._checker is None:
            self._checker = RowSplitter(self._cpus)
        return self._checker.all(self.inputs.values_pass, X)

    def _run_split(self, names: list[str], feed: dict[str, np.ndarray], *, checked: bool) -> list[Any]:
        """:meth:`run` on the row-parallel path. Unless ``checked``, each chunk's values
        are checked by the thread that runs it, and :class:`_Refused` means one failed."""
        inputs, call = self.inputs, self._call

        def chunk(part: dict[str, np.ndarray]) -> list[Any]:
            if not checked and not inputs.values_pass(next(iter(part.values()))):
                raise _Refused
            return call.run(names, part)

        try:
            outputs = self.rows.run(chunk, feed)
        except ChunkError as error:
            if isinstance(error.error, _Refused):
                raise _Refused from None
            failed = f"onnxruntime failed to run the model from {self._source} on"
            raise ChunkError(error.start, error.stop, error.error, failed) from None
        except _Refused:
            raise
        except Exception as error:  # a batch run whole (one chunk) fails as on the other path
            raise self._failure(error) from None
        self.outputs.check_finite(names, outputs, feed)
        return outputs

    def predict(self, X: Any) -> np.ndarray:
        """Labels for a classifier, values for a regressor; shape ``(n_rows,)``.

        A regressor's ``(n_rows, 1)`` output is flattened, as scikit-learn does.
        """
        return self.outputs.labels(self.run([self.outputs.value_name], X)[0])

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape ``(n_rows, n_classes)``, columns in ``classes`` order.

        A model converted with ZipMap (a list of dicts) is turned back into an
        array, at a cost: convert with ``zipmap=False`` (the default of
        :func:`helpers.convert`) to avoid it.
        """
        return self.outputs.probabilities(self.run([self._proba_name()], X)[0])

    def predict_with_proba(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Labels and probabilities from one session run (``predict`` then
        ``predict_proba`` would run the model twice)."""
        labels, proba = self.run([self.outputs.value_name, self._proba_name()], X)
        return self.outputs.labels(labels), self.outputs.probabilities(proba)

    def _proba_name(self) -> str:
        if self.outputs.proba_name is None:
            raise AttributeError(
                f"this model has no probability output (outputs: {self.output_names}); "
                "predict_proba needs a classifier"
            )
        return self.outputs.proba_name


def _session_with_witness(
    content: bytes, settings: Any, providers: list[str] | None
) -> tuple[Any, str | None]:
    """A session of ``content`` with a witness output (:mod:`helpers.witness`), or (None, None)."""
    rewritten, witness = with_witness(content)
    if witness is None:
        return None, None
    try:
        session, _ = create_session(rewritten, settings, providers)
    except ModelFileError:  # the rewrite did not load: the model as it is, checked value by value
        return None, None
    return session, witness


class _Refused(Exception):
    """A chunk's values failed :meth:`InputSpec.values_pass`: :meth:`OnnxPredictor.run`
    then checks the whole batch with :meth:`InputSpec.feed`, which names the rows."""


def _row_workers(
    content: bytes, preset: str | None, providers: list[str] | None, row_workers: Any, options: dict
) -> int:
    """How many chunks of rows run at once: as asked, or what the preset says for this model."""
    if row_workers is None:
        cpu_only = providers in (None, ["CPUExecutionProvider"])
        if preset != "throughput" or not cpu_only or "intra_op_num_threads" in options:
            return 1
        try:
            trees = prefers_row_split(content)
        except Exception:  # not a readable model: create_session says so, naming the source
            return 1
        return usable_cpus() if trees else 1
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
