"""A scikit-learn-like predictor over one ``onnxruntime.InferenceSession``, introduced in
:ref:`with_helpers` (:ref:`train_convert_predict` spells out the raw calls). Every call takes one
path, :meth:`OnnxPredictor.run`, with runners composed around the session call (see the class)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from helpers.errors import ChunkError, first_line
from helpers.fastcall import ReusedBuffers, SessionCall
from helpers.inputs import InputSpec
from helpers.modelfile import ModelSource, model_bytes
from helpers.outputs import OutputSpec
from helpers.parallel import RowSplitter, workers_for
from helpers.session import create_session, session_options

if TYPE_CHECKING:
    from helpers.lessons.tuning import TuningResult

__all__ = ["OnnxPredictor"]

#: What runs the session: ``runner(names, feed)`` returns the outputs ``names``.
Runner = Callable[[list[str], dict[str, np.ndarray]], list[Any]]


class OnnxPredictor:
    """Predict with an ONNX model the way the scikit-learn model did.

    ``predict``, ``predict_proba`` and ``predict_with_proba`` (one run for
    both) are views of :meth:`run`, the one path: inputs checked
    (:class:`helpers.inputs.InputSpec`: bad data is an :class:`~helpers.InputError`
    saying what was expected), the session run on the model as converted, the
    outputs checked. The predictor is thread-safe, as ``InferenceSession.run`` is.

    Two runners can be composed around the session call, both inheriting the
    checks: ``reuse_buffers=True`` binds an input and an output buffer per
    thread and batch size and returns the output buffer itself (**overwritten
    by the next call** with as many rows on that thread: ``.copy()`` what you
    keep); ``row_workers`` splits a large batch into chunks of rows run at once
    on a one-thread session (:mod:`helpers.parallel`; the throughput preset does
    it for a tree ensemble, see :data:`helpers.session.PRESETS`). ``close()`` or a
    ``with`` block stops the row split's threads.

    Parameters
    ----------
    model : onnx.ModelProto, bytes, str or path
        The model, or the path of a ``.onnx`` file; pickles are refused, never loaded.
    preset : {"latency", "default", "throughput"} or None, default "latency"
        Session settings, see :data:`helpers.session.PRESETS`; None: onnxruntime's defaults.
    providers : list of str, default ``["CPUExecutionProvider"]``
    reuse_buffers : bool, default False
    row_workers : int, optional
        Chunks of rows run at once; 1 never splits, 0 means one per usable CPU.
        Default: what the preset says. More than 1 needs ``intra_op_num_threads`` unset or 1.
    chunk_rows : int, optional
        Rows per chunk; default one even chunk per worker.
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
    >>> predictor.classes_, predictor.n_features_in_
    (array([0, 1, 2]), 4)
    >>> fast = OnnxPredictor(convert(model, X[:1]), reuse_buffers=True)
    >>> row = X[:1].astype("float32")
    >>> fast.predict_proba(row) is fast.predict_proba(row)  # one buffer, overwritten
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
        cpu_only = providers in (None, ["CPUExecutionProvider"])
        self.row_workers = workers_for(content, preset if cpu_only else None, row_workers, options)
        if self.row_workers > 1:
            options = {**options, "intra_op_num_threads": 1}
        settings = session_options(preset, **options)
        self.session, _ = create_session(content, settings, providers, source=self._source)
        self.inputs = InputSpec.from_session(self.session)
        self.outputs = OutputSpec.from_session(self.session)
        call = SessionCall(self.session)
        whole = ReusedBuffers(call).run if reuse_buffers else call.run
        self.rows = RowSplitter(self.row_workers, chunk_rows=chunk_rows) if self.row_workers > 1 else None
        self._runner = self.inputs.runner(whole if self.rows is None else _split(self.rows, call.run, whole))
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
        """A predictor with the settings :func:`helpers.tune` measured fastest for ``X``
        at ``batch_size`` rows within ``budget`` seconds; its measurements stay in
        ``predictor.tuning`` (``tests/test_tuning.py`` calls it as documented here)."""
        from helpers.lessons.tuning import tune  # the one import out of the core: only when called

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
        return list(self.outputs.types)

    @property
    def n_features_in_(self) -> int | None:
        """Number of features (columns) the model takes, as scikit-learn names it (None: free)."""
        slot = self.inputs.slots[0] if len(self.inputs.slots) == 1 else None
        return len(self.inputs.slots) if slot is None else slot.width

    @property
    def feature_names_in_(self) -> np.ndarray | None:
        """The DataFrame columns the model was fitted on (from :func:`helpers.convert`), else None."""
        names = self.inputs.feature_names
        return None if names is None else np.array(names, dtype=object)

    @property
    def classes_(self) -> np.ndarray:
        """A classifier's class labels, in the order of ``predict_proba``'s columns
        (recorded by :func:`helpers.convert`)."""
        classes = self.inputs.metadata.classes
        if not self.is_classifier or classes is None:
            raise AttributeError(
                "classes_ is known for a classifier converted by helpers.convert; "
                f"this model's outputs are {self.output_names}"
            )
        return np.asarray(classes)

    @property
    def is_classifier(self) -> bool:
        """True when the model has a probability output."""
        return self.outputs.is_classifier

    def __repr__(self) -> str:
        inputs = ", ".join(f"{s.name}: {s.dtype.name}[{s.width or '?'}]" for s in self.inputs.slots)
        rows = f", row_workers={self.row_workers}" if self.rows is not None else ""
        return f"OnnxPredictor(inputs=[{inputs}], outputs={self.output_names}, preset={self.preset!r}{rows})"

    def close(self) -> None:
        """Stop the threads of the row-parallel path, if any started (the predictor still works)."""
        if self.rows is not None:
            self.rows.close()

    def __enter__(self) -> OnnxPredictor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def run(self, names: list[str], X: Any) -> list[Any]:
        """The outputs ``names`` for the rows ``X``: the one path every method takes.

        ``X`` is checked and fed by :meth:`helpers.inputs.InputSpec.feed`; an empty batch gives
        empty outputs; onnxruntime's errors become a ``RuntimeError`` naming the model (a
        :class:`~helpers.errors.ChunkError`, naming the rows too, on the row split); a float output
        that is NaN or infinite for finite rows (a float32 overflow) is an :class:`~helpers.InputError`.
        """
        feed = self.inputs.feed(X)
        if len(next(iter(feed.values()))) == 0:
            return [self.outputs.empty(name) for name in names]
        try:
            outputs = self._runner(names, feed)
        except ChunkError as error:
            doing = f"onnxruntime failed to run the model from {self._source} on"
            raise ChunkError(error.start, error.stop, error.error, doing) from None
        except Exception as error:  # onnxruntime's errors derive from Exception only
            message = f"onnxruntime failed to run the model from {self._source}: {first_line(error)}"
            raise RuntimeError(message) from None
        self.outputs.check_finite(names, outputs, feed)
        return outputs

    def predict(self, X: Any) -> np.ndarray:
        """Labels for a classifier, values for a regressor; shape ``(n_rows,)`` (a regressor's
        ``(n_rows, 1)`` output is flattened, as scikit-learn does)."""
        return self.outputs.labels(self.run([self.outputs.value_name], X)[0])

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape ``(n_rows, n_classes)``, columns in ``classes`` order. A model
        converted with ZipMap (a list of dicts) is turned back into an array, at a cost: convert with
        ``zipmap=False`` (the default of :func:`helpers.convert`) to avoid it."""
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


def _split(rows: RowSplitter, chunk: Runner, whole: Runner) -> Runner:
    """The row-parallel runner: ``chunk`` on chunks of a large batch at once, ``whole`` on
    a batch too small to split (reused buffers serve only those: chunks of one size on
    one thread would share a buffer)."""

    def run(names: list[str], feed: dict[str, np.ndarray]) -> list[Any]:
        if not rows.splits(len(next(iter(feed.values())))):
            return whole(names, feed)
        return rows.run(lambda part: chunk(names, part), feed)

    return run
