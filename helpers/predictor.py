"""A scikit-learn-like predictor over one ``onnxruntime.InferenceSession``.

Introduced in :ref:`sphx_glr_auto_examples_01_walkthrough_plot_02_with_helpers.py`;
the raw calls it hides (``InferenceSession``, ``get_inputs``, ``run``) are
spelled out in :ref:`sphx_glr_auto_examples_01_walkthrough_plot_01_train_convert_predict.py`.
It puts together the base layer: :mod:`helpers.session` (settings),
:mod:`helpers.inputs` (checks), :mod:`helpers.outputs` (what each output
means) and :mod:`helpers.fastcall` (the call itself).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from helpers.errors import first_line
from helpers.fastcall import ReusedBuffers, SessionCall
from helpers.inputs import InputSpec
from helpers.modelfile import ModelSource, model_bytes
from helpers.outputs import OutputSpec
from helpers.session import create_session, session_options
from helpers.tuning import TuningResult, tune

__all__ = ["OnnxPredictor"]


class OnnxPredictor:
    """Predict with an ONNX model the way the scikit-learn model did.

    One ``onnxruntime.InferenceSession`` behind ``predict``,
    ``predict_proba`` and ``predict_with_proba`` (both from one run). Inputs
    are checked before they reach onnxruntime (see
    :class:`helpers.inputs.InputSpec`), so bad data gives an
    :class:`~helpers.InputError` that says what was expected; an empty batch
    returns an empty result of the right shape.

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
    >>> fast.predict_proba(row) is fast.predict_proba(row)  # the same buffer, overwritten
    True
    """

    def __init__(
        self,
        model: ModelSource,
        *,
        preset: str | None = "latency",
        providers: list[str] | None = None,
        reuse_buffers: bool = False,
        **options: Any,
    ) -> None:
        self.preset = preset
        self.reuse_buffers = bool(reuse_buffers)
        self.session, self._source = create_session(model, session_options(preset, **options), providers)
        self.inputs = InputSpec.from_session(self.session)
        self.outputs = OutputSpec.from_session(self.session)
        self.feature_names: list[str] | None = self.inputs.feature_names
        self._call = SessionCall(self.session)
        self._buffers = ReusedBuffers(self._call, self.inputs.names[0]) if reuse_buffers else None
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
        """A predictor with the session settings measured fastest for ``X`` at ``batch_size`` rows.

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
            content, preset=None, providers=providers, reuse_buffers=reuse_buffers, **tuning.options
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
        return f"OnnxPredictor(inputs=[{inputs}], outputs={self.output_names}, preset={self.preset!r})"

    def run(self, names: list[str], X: Any) -> list[Any]:
        """The outputs ``names`` for the rows ``X``, checked and fed as the other methods do.

        The one place the session runs: ``predict``, ``predict_proba`` and
        ``predict_with_proba`` are views of it.
        """
        if self.inputs.is_ready(X):
            if self._buffers is not None and len(names) == 1:
                return [self._buffers.run(names[0], X)]
            feed = {self.inputs.names[0]: X}
        else:
            feed = self.inputs.feed(X)
            if len(next(iter(feed.values()))) == 0:
                return [self.outputs.empty(name) for name in names]
        try:
            return self._call.run(names, feed)
        except Exception as error:  # onnxruntime's errors derive from Exception only
            raise RuntimeError(
                f"onnxruntime failed to run the model from {self._source}: {first_line(error)}"
            ) from None

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
