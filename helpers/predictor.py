"""A scikit-learn-like predictor over one ``onnxruntime.InferenceSession``.

Introduced in :ref:`sphx_glr_auto_examples_01_walkthrough_plot_02_with_helpers.py`;
the raw calls it hides (``InferenceSession``, ``get_inputs``, ``run``) are
spelled out in :ref:`sphx_glr_auto_examples_01_walkthrough_plot_01_train_convert_predict.py`.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd

from helpers.convert import METADATA_PREFIX
from helpers.errors import InputError, ModelFileError

__all__ = ["PRESETS", "OnnxPredictor", "session_options"]

#: Session settings per preset. Measured on a 2-core machine (onnxruntime 1.32,
#: 20 features, medians of 7 repeats; the walkthrough and the session-options
#: lesson measure them again on yours):
#:
#: * ``"latency"``, one request at a time: one intra-op thread. At one row a
#:   logistic regression took 5.1 µs and a 100-tree forest 7.9 µs with one
#:   thread, the same as with two (5.1 µs, 7.4 µs): a single row has too little
#:   work to share, so the second core stays free for other requests.
#: * ``"throughput"``, large batches: onnxruntime's default thread pool (one
#:   thread per physical core). At 10,000 rows the forest took 24.6 ms with two
#:   threads against 43.7 ms with one (1.8x faster); the logistic regression,
#:   whose work is one small matrix product, was faster with one thread
#:   (125 µs against 155 µs), so for linear models the latency preset is also
#:   the better batch preset.
#:
#: Both turn spinning off (``session.intra_op.allow_spinning = 0``): idle pool
#: threads then sleep instead of busy-waiting. At 10,000 rows this cost
#: nothing (24.6 ms either way), while spinning threads left behind by one
#: session slowed whatever ran next on the same cores, another session or
#: scikit-learn, by up to 3x at one row.
#:
#: What :func:`helpers.tune` chose, measured again on the same 2-core machine
#: while other benchmarks shared it (load average 7 to 13; logistic regression
#: and 100-tree forest on 20 synthetic features; three runs, budget 4 s each):
#:
#: * at one row, the ``"latency"`` setting for both models in every run (no
#:   other setting beat it by the 5% margin): it is the preset for requests
#:   one at a time, and ``benchmarks/one_row.py`` measures ``OnnxPredictor``
#:   with it faster than a bare ``session.run(None, feed)``;
#: * at 10,000 rows, one thread again for the logistic regression (its graph is
#:   a single ``LinearClassifier`` node, which no optimisation level changes),
#:   so ``"latency"`` is also its batch preset. For the forest, one thread won
#:   two runs out of three on the busy machine; once the machine was quieter
#:   (load average 2), two threads won (a 50-tree forest: 12.1 ms against
#:   21.1 ms, and 11.9 ms for the throughput preset), as in the figures above:
#:   ``"throughput"`` is best for large batches of tree ensembles when the
#:   cores are free; when they are not, :meth:`OnnxPredictor.tuned` measures which.
#: * parallel execution lost in every tuning run we printed (these graphs are
#:   chains of operators), so neither preset uses it.
PRESETS: dict[str, dict[str, Any]] = {
    "latency": {
        "intra_op_num_threads": 1,
        "inter_op_num_threads": 1,
        "execution_mode": ort.ExecutionMode.ORT_SEQUENTIAL,
        "allow_spinning": False,
    },
    "throughput": {
        "intra_op_num_threads": 0,
        "execution_mode": ort.ExecutionMode.ORT_SEQUENTIAL,
        "allow_spinning": False,
    },
}

_ONNX_TO_NUMPY = {
    "tensor(float)": np.dtype(np.float32),
    "tensor(double)": np.dtype(np.float64),
    "tensor(int64)": np.dtype(np.int64),
    "tensor(int32)": np.dtype(np.int32),
    "tensor(string)": np.dtype(object),
    "tensor(bool)": np.dtype(bool),
}


def session_options(preset: str | None = "latency", **overrides: Any) -> ort.SessionOptions:
    """Build ``onnxruntime.SessionOptions`` from a preset plus overrides.

    Parameters
    ----------
    preset : {"latency", "throughput"} or None
        Starting point (see :data:`PRESETS`); None starts from onnxruntime's defaults.
    **overrides
        Any ``SessionOptions`` attribute (``intra_op_num_threads``,
        ``graph_optimization_level``, ``optimized_model_filepath``,
        ``enable_profiling``, ...), plus ``allow_spinning`` (bool), which sets
        the ``session.intra_op.allow_spinning`` and ``session.inter_op.allow_spinning``
        config entries (the second matters only with ``execution_mode=ORT_PARALLEL``).

    Examples
    --------
    >>> options = session_options("latency", intra_op_num_threads=2)
    >>> options.intra_op_num_threads
    2
    """
    if preset is not None and preset not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)} or None, got {preset!r}")
    settings = {**(PRESETS[preset] if preset else {}), **overrides}
    options = ort.SessionOptions()
    spinning = settings.pop("allow_spinning", None)
    if spinning is not None:
        for pool in ("intra_op", "inter_op"):  # inter_op: the pool of execution_mode=ORT_PARALLEL
            options.add_session_config_entry(f"session.{pool}.allow_spinning", "1" if spinning else "0")
    for name, value in settings.items():
        if name.startswith("_") or not hasattr(options, name):
            known = sorted(
                n for n in dir(options) if not n.startswith("_") and not callable(getattr(options, n))
            )
            raise TypeError(f"unknown session option {name!r}; expected one of {known} or allow_spinning")
        setattr(options, name, value)
    return options


@dataclass(frozen=True)
class _Input:
    name: str
    dtype: np.dtype
    width: int | None  # number of columns, None when the model leaves it free


def _load_bytes(model: onnx.ModelProto | bytes | str | os.PathLike) -> tuple[bytes, str]:
    """The serialized model and a description of where it came from, for errors."""
    if isinstance(model, onnx.ModelProto):
        return model.SerializeToString(), "the given ModelProto"
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model), "the given bytes"
    if isinstance(model, (str, os.PathLike)):
        path = Path(model)
        if not path.is_file():
            raise FileNotFoundError(f"no ONNX model at {str(path)!r}: the file does not exist")
        return path.read_bytes(), repr(str(path))
    raise TypeError(
        f"expected an onnx.ModelProto, bytes or a path to a .onnx file, got {type(model).__name__}"
    )


def _session(
    content: bytes, source: str, options: ort.SessionOptions, providers: list[str]
) -> ort.InferenceSession:
    if content[:1] == b"\x80":
        raise ModelFileError(
            f"{source} looks like a pickle (joblib/pickle file), not an ONNX model. "
            "OnnxPredictor never unpickles: load a trusted pickle yourself, then call helpers.convert."
        )
    try:
        return ort.InferenceSession(content, options, providers=providers)
    except Exception as error:  # onnxruntime's errors derive from Exception only
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ModelFileError(f"{source} is not a loadable ONNX model: {reason}") from None


class OnnxPredictor:
    """Predict with an ONNX model the way the scikit-learn model did.

    One ``onnxruntime.InferenceSession`` behind ``predict`` and
    ``predict_proba``. Inputs are checked and prepared before they reach
    onnxruntime, so bad data gives an :class:`~helpers.InputError` that says
    what was expected, not an error from deep inside the runtime:

    * arrays: 2-D with the model's number of columns; float64 data given to a
      float32 model is cast to float32 (the precision the model computes in);
      strings where numbers are expected are rejected;
    * DataFrames: columns are matched by name (their order does not matter);
      missing or unexpected columns are reported by name;
    * NaN: rejected in the columns where the original scikit-learn model
      rejects it (recorded by :func:`helpers.convert`), passed on elsewhere;
    * an empty batch returns an empty result of the right shape.

    A C-contiguous array of the model's type and width takes a fast path: the
    same checks, made in about a microsecond, then the compiled session
    that ``InferenceSession.run`` wraps, called with a ``RunOptions`` made
    once. ``InferenceSession.run`` first re-checks, in Python, things that
    cannot go wrong for a CPU session fed one checked numpy array (WebGPU graph
    capture, missing inputs, OrtValue ownership, GPU fallback), so skipping them
    makes one-row predictions faster than a bare ``session.run``
    (``benchmarks/one_row.py`` and
    :ref:`sphx_glr_auto_examples_05_benchmarks_plot_02_tuning.py` measure it).
    Other providers, or an onnxruntime without that compiled session, use the
    public ``session.run``.

    ``InferenceSession.run`` is thread-safe, and so is the predictor. By
    default it keeps no state between calls: every call returns a new array.
    With ``reuse_buffers=True`` it binds, per thread and per batch size, an
    input and an output buffer once (``session.io_binding()``), copies each
    batch into the input buffer and returns the output buffer itself: faster
    at one row, but **the array returned is overwritten by the next call** of
    the same method with the same number of rows on the same thread. Copy it
    (``.copy()``) to keep it. Threads never share buffers. Inputs that do not
    take the fast path, and outputs that are not numeric tensors, are
    predicted the default way.

    Parameters
    ----------
    model : onnx.ModelProto, bytes, str or path
        The model, its serialized bytes, or the path of a ``.onnx`` file.
        Pickles are refused, never loaded.
    preset : {"latency", "throughput"} or None, default "latency"
        Session settings, see :data:`PRESETS`.
    providers : list of str, optional
        Execution providers, default ``["CPUExecutionProvider"]``.
    reuse_buffers : bool, default False
        Return, for each thread and batch size, the same pre-bound output
        array, overwritten by the next call (see above). Opt-in: off, every
        call returns a fresh array.
    **options
        ``SessionOptions`` overrides, see :func:`session_options`.

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
    >>> predictor.predict_proba(X[:1]).shape
    (1, 3)
    >>> fast = OnnxPredictor(convert(model, X[:1]), reuse_buffers=True)
    >>> row = X[:1].astype("float32")
    >>> fast.predict_proba(row) is fast.predict_proba(row)  # the same buffer, overwritten
    True
    """

    def __init__(
        self,
        model: onnx.ModelProto | bytes | str | os.PathLike,
        *,
        preset: str | None = "latency",
        providers: list[str] | None = None,
        reuse_buffers: bool = False,
        **options: Any,
    ) -> None:
        content, self._source = _load_bytes(model)
        self.preset = preset
        self.reuse_buffers = bool(reuse_buffers)
        self.session = _session(
            content, self._source, session_options(preset, **options), providers or ["CPUExecutionProvider"]
        )
        self._run_options = ort.RunOptions()  # made once: read-only during runs, so threads share it
        compiled = getattr(self.session, "_sess", None)
        cpu_only = self.session.get_providers() == ["CPUExecutionProvider"]
        if cpu_only and hasattr(compiled, "run") and hasattr(compiled, "run_with_iobinding"):
            self._session_run = compiled.run
            self._binding_run = lambda binding, run_options: compiled.run_with_iobinding(
                binding._iobinding, run_options
            )
        else:  # the public API, with its Python checks
            self._session_run = self.session.run
            self._binding_run = self.session.run_with_iobinding
        self._buffers = threading.local()  # per-thread bindings for reuse_buffers=True
        self.tuning: Any = None  # the helpers.TuningResult of OnnxPredictor.tuned
        self._inputs = [
            _Input(
                item.name,
                _ONNX_TO_NUMPY.get(item.type, np.dtype(np.float32)),
                item.shape[1] if len(item.shape) == 2 and isinstance(item.shape[1], int) else None,
            )
            for item in self.session.get_inputs()
        ]
        metadata = self.session.get_modelmeta().custom_metadata_map
        self.feature_names: list[str] | None = (
            json.loads(metadata[METADATA_PREFIX + "feature_names"])
            if METADATA_PREFIX + "feature_names" in metadata
            else None
        )
        # NaN is refused where scikit-learn refuses it, and where the ONNX model was found to
        # handle it differently (both recorded by helpers.convert).
        self._nan_rejected: list[Any] = json.loads(metadata.get(METADATA_PREFIX + "nan_rejected", "[]"))
        self._nan_mismatched: list[Any] = json.loads(metadata.get(METADATA_PREFIX + "nan_mismatched", "[]"))
        columns = json.loads(metadata.get(METADATA_PREFIX + "columns", "null"))
        if not isinstance(columns, list) or len(columns) != len(self._inputs):
            columns = [item.name for item in self._inputs]
        # the DataFrame column of each input: skl2onnx may have rewritten the name ("a/b" -> "a_b")
        self._columns = dict(zip((item.name for item in self._inputs), columns, strict=True))
        self._find_outputs()
        first = self._inputs[0]
        self._fast_dtype = first.dtype if len(self._inputs) == 1 else None
        self._fast_width = first.width
        self._fast_name = first.name
        self._check_nan_fast = bool(self._nan_rejected or self._nan_mismatched) and first.dtype.kind == "f"
        self._nan_ones = np.ones(first.width, first.dtype) if self._check_nan_fast and first.width else None

    @classmethod
    def tuned(
        cls,
        model: onnx.ModelProto | bytes | str | os.PathLike,
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
        ``predictor.tuning``, and ``predictor.preset`` is ``"tuned"``.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.linear_model import LogisticRegression
        >>> from helpers import convert
        >>> X, y = load_iris(return_X_y=True)
        >>> onnx_model = convert(LogisticRegression(max_iter=500).fit(X, y), X[:1])
        >>> predictor = OnnxPredictor.tuned(onnx_model, X, batch_size=1, budget=0.5)
        >>> predictor.preset, predictor.session.get_session_options().intra_op_num_threads >= 1
        ('tuned', True)
        """
        from helpers.tuning import tune  # here: helpers.tuning builds on this module

        tuning = tune(model, X, batch_size=batch_size, budget=budget)
        options = {"providers": providers, "reuse_buffers": reuse_buffers, **tuning.options}
        predictor = cls(model, preset=None, **options)
        predictor.preset = "tuned"
        predictor.tuning = tuning
        return predictor

    # -- outputs ---------------------------------------------------------
    def _find_outputs(self) -> None:
        outputs = self.session.get_outputs()
        names = [output.name for output in outputs]
        self._label_name = next((n for n in ("label", "output_label") if n in names), None)
        self._proba_name = next((n for n in ("probabilities", "output_probability") if n in names), None)
        if self._label_name is None and self._proba_name is None:
            self._value_name = names[0]  # a regressor or transformer: its first output
            self._zipmap = False
        else:
            self._value_name = self._label_name or names[0]
            proba = next((o for o in outputs if o.name == self._proba_name), None)
            self._zipmap = proba is not None and proba.type.startswith("seq(")
        self._outputs = {output.name: output for output in outputs}
        self._label_names = [self._value_name]
        self._proba_names = [self._proba_name] if self._proba_name else []

    @property
    def input_names(self) -> list[str]:
        """Names of the model's inputs, in the model's order."""
        return [item.name for item in self._inputs]

    @property
    def output_names(self) -> list[str]:
        """Names of the model's outputs."""
        return list(self._outputs)

    @property
    def is_classifier(self) -> bool:
        """True when the model has a probability output."""
        return self._proba_name is not None

    def __repr__(self) -> str:
        inputs = ", ".join(f"{i.name}: {i.dtype.name}[{i.width or '?'}]" for i in self._inputs)
        return f"OnnxPredictor(inputs=[{inputs}], outputs={self.output_names}, preset={self.preset!r})"

    # -- inputs ----------------------------------------------------------
    def _feed(self, X: Any) -> dict[str, np.ndarray]:
        """Check ``X`` and turn it into onnxruntime's input dict."""
        if len(self._inputs) > 1:
            return self._feed_columns(X)
        item = self._inputs[0]
        if isinstance(X, pd.DataFrame):
            X = self._frame_to_array(X)
        array = np.asarray(X) if not isinstance(X, np.ndarray) else X
        if array.ndim != 2:
            hint = "; for one row use X.reshape(1, -1)" if array.ndim == 1 else ""
            raise InputError(
                f"expected a 2-D array of shape (n_rows, {item.width or 'n_features'}), "
                f"got a {array.ndim}-D array of shape {array.shape}{hint}"
            )
        if item.width is not None and array.shape[1] != item.width:
            raise InputError(f"expected {item.width} features (columns), got {array.shape[1]}")
        array = self._cast(array, item.dtype, "X")
        if (self._nan_rejected or self._nan_mismatched) and array.dtype.kind == "f":
            self._check_nan(array, self._nan_rejected, self._nan_mismatched)
        return {item.name: array}

    def _frame_to_array(self, frame: pd.DataFrame) -> pd.DataFrame:
        if self.feature_names is None:
            return frame
        self._check_columns(frame.columns, self.feature_names)
        return frame[self.feature_names]

    @staticmethod
    def _check_columns(given: Any, expected: list[str]) -> None:
        given = [str(c) for c in given]
        missing = [c for c in expected if c not in given]
        extra = [c for c in given if c not in expected]
        if missing or extra:
            parts = [
                f"missing columns {missing}" if missing else "",
                f"unexpected columns {extra}" if extra else "",
            ]
            raise InputError(
                f"expected the columns {expected} (any order), got {given}: "
                + ", ".join(p for p in parts if p)
            )

    def _feed_columns(self, X: Any) -> dict[str, np.ndarray]:
        columns = list(self._columns.values())
        if not isinstance(X, (pd.DataFrame, Mapping)):
            raise InputError(
                f"this model has one input per column ({columns}): "
                f"pass a pandas DataFrame (or a dict of columns), got {type(X).__name__}"
            )
        if isinstance(X, pd.DataFrame) and len(X) <= _SMALL_FRAME:
            # a few rows (one request): one conversion of the whole frame is much cheaper
            # than pandas' per-column access, which costs microseconds per column
            given = [str(c) for c in X.columns]
            self._check_columns(given, columns)
            values, position = X.to_numpy(dtype=object), {c: i for i, c in enumerate(given)}

            def get(name: str) -> np.ndarray:
                return values[:, position[name], None]
        else:
            self._check_columns(list(X.keys()), columns)

            def get(name: str) -> np.ndarray:
                column = X[name]
                return (column.to_numpy() if isinstance(column, pd.Series) else np.asarray(column)).reshape(
                    -1, 1
                )

        feed = {}
        for item in self._inputs:
            name = self._columns[item.name]
            column = get(name)
            if item.dtype.kind == "O":
                feed[item.name] = self._strings(column, name)
                continue
            feed[item.name] = self._cast(column, item.dtype, f"column {name!r}")
            if feed[item.name].dtype.kind == "f":
                rejected, mismatched = name in self._nan_rejected, name in self._nan_mismatched
                if rejected or mismatched:
                    self._check_nan(
                        feed[item.name], [0] * rejected, [0] * mismatched, label=f"column {name!r}"
                    )
        lengths = {len(v) for v in feed.values()}
        if len(lengths) > 1:
            raise InputError(f"all columns must have the same length, got lengths {sorted(lengths)}")
        return feed

    @staticmethod
    def _strings(column: np.ndarray, name: str) -> np.ndarray:
        missing = pd.isna(column.ravel())
        if missing.any():
            raise InputError(
                f"column {name!r} has {int(missing.sum())} missing value(s) (None/NaN); "
                "an ONNX string input cannot hold them: fill them first (e.g. with 'missing')"
            )
        return column.astype(str).astype(object)

    @staticmethod
    def _cast(array: np.ndarray, dtype: np.dtype, what: str) -> np.ndarray:
        if array.dtype == dtype:
            return np.ascontiguousarray(array)
        if array.dtype.kind in "OUS":  # numbers held as Python objects or as text
            try:
                array = array.astype(np.float64)
            except (TypeError, ValueError):
                bad = next(v for v in array.ravel() if not _is_number(v))
                raise InputError(
                    f"{what}: expected numbers ({dtype.name}), got a string such as {bad!r}"
                ) from None
            if array.dtype == dtype:
                return np.ascontiguousarray(array)
        if array.dtype.kind not in "fiub":
            raise InputError(f"{what}: expected numbers ({dtype.name}), got dtype {array.dtype}")
        if dtype.kind in "iu" and array.dtype.kind == "f":
            if not np.all(np.isfinite(array)) or not np.array_equal(array, np.round(array)):
                raise InputError(f"{what}: expected integers ({dtype.name}), got non-integral floats")
        return np.ascontiguousarray(array, dtype=dtype)

    @staticmethod
    def _check_nan(
        array: np.ndarray, rejected: list[Any], mismatched: list[Any], label: str | None = None
    ) -> None:
        """Raise InputError if a column listed in ``rejected`` or ``mismatched`` holds NaN."""
        if not np.isnan(array.sum()):
            return
        rows, cols = np.nonzero(np.isnan(array))
        reasons = (
            (rejected, "the original scikit-learn model rejects NaN there (Input X contains NaN)"),
            (
                mismatched,
                "this ONNX model does not handle NaN the way the scikit-learn model does "
                "(skl2onnx did not convert its missing-value support, as helpers.convert found)",
            ),
        )
        for columns, reason in reasons:
            bad = sorted(
                {int(c) for c in cols} & {int(c) for c in columns if isinstance(c, (int, np.integer))}
            )
            if bad:
                where = label or f"column(s) {bad}"
                raise InputError(
                    f"{where} contain NaN in {len(set(rows.tolist()))} row(s) (first: row {int(rows[0])}), "
                    f"but {reason}; impute the missing values or add an imputer to the pipeline"
                )

    # -- predictions -----------------------------------------------------
    def _run(self, names: list[str], X: Any) -> np.ndarray:
        if (
            self._fast_dtype is not None
            and type(X) is np.ndarray
            and X.dtype == self._fast_dtype
            and X.ndim == 2
            and X.shape[0]
            and (self._fast_width is None or X.shape[1] == self._fast_width)
            and X.flags.c_contiguous
            and not (self._check_nan_fast and _has_nan(X, self._nan_ones))
        ):
            if self.reuse_buffers:
                return self._run_bound(names, X)
            feed = {self._fast_name: X}
        else:
            feed = self._feed(X)
            rows = len(next(iter(feed.values())))
            if rows == 0:
                return self._empty(names[0])
        try:
            return self._session_run(names, feed, self._run_options)[0]
        except Exception as error:  # onnxruntime's errors derive from Exception only
            raise self._runtime_error(error) from None

    def _runtime_error(self, error: Exception) -> RuntimeError:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return RuntimeError(f"onnxruntime failed to run the model from {self._source}: {reason}")

    def _run_bound(self, names: list[str], X: np.ndarray) -> np.ndarray:
        """``reuse_buffers=True``: run through this thread's binding for this output and batch size."""
        bindings = getattr(self._buffers, "bindings", None)
        if bindings is None:
            bindings = self._buffers.bindings = {}
        key = (names[0], X.shape[0])
        entry = bindings.get(key)
        if entry is None:
            output = self._session_run(names, {self._fast_name: X}, self._run_options)[0]
            if not isinstance(output, np.ndarray) or output.dtype.kind not in "fiub":
                return output  # a ZipMap or string output cannot be pre-bound: a fresh result
            if len(bindings) >= _MAX_BINDINGS:
                bindings.clear()  # batch sizes keep changing: do not hold buffers for all of them
            entry = bindings[key] = self._bind(names[0], X, output)
            return entry[2]
        binding, input_value, output = entry
        input_value.update_inplace(X)
        try:
            self._binding_run(binding, self._run_options)
        except Exception as error:
            raise self._runtime_error(error) from None
        return output

    def _bind(self, name: str, X: np.ndarray, output: np.ndarray) -> tuple[Any, ort.OrtValue, np.ndarray]:
        """An IOBinding with an input buffer holding a copy of ``X`` and ``output`` as output buffer."""
        binding = self.session.io_binding()
        input_value = ort.OrtValue.ortvalue_from_numpy(X.copy())
        binding.bind_ortvalue_input(self._fast_name, input_value)
        binding.bind_ortvalue_output(name, ort.OrtValue.ortvalue_from_numpy(output))  # shares its memory
        return binding, input_value, output

    def _empty(self, name: str) -> np.ndarray:
        output = self._outputs[name]
        dtype = _ONNX_TO_NUMPY.get(output.type, np.dtype(np.float32))
        tail = [d if isinstance(d, int) else 0 for d in output.shape[1:]]
        return np.empty([0, *tail], dtype=dtype)

    def predict(self, X: Any) -> np.ndarray:
        """Labels for a classifier, values for a regressor; shape ``(n_rows,)``.

        A regressor's ``(n_rows, 1)`` output is flattened, as scikit-learn does.
        """
        values = self._run(self._label_names, X)
        if values.ndim == 2 and values.shape[1] == 1:
            return values.ravel()
        return values

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape ``(n_rows, n_classes)``, columns in ``classes`` order.

        A model converted with ZipMap (a list of dicts) is turned back into an
        array, at a cost: convert with ``zipmap=False`` (the default of
        :func:`helpers.convert`) to avoid it.
        """
        if self._proba_name is None:
            raise AttributeError(
                f"this model has no probability output (outputs: {self.output_names}); "
                "predict_proba needs a classifier"
            )
        proba = self._run(self._proba_names, X)
        if self._zipmap:
            if len(proba) == 0:
                return np.empty((0, 0), dtype=np.float32)
            keys = list(proba[0])
            return np.array([[row[k] for k in keys] for row in proba], dtype=np.float32)
        return proba


#: DataFrames with at most this many rows are converted in one ``to_numpy`` call
#: rather than column by column. Measured on a one-row, three-column frame
#: (float, int, pandas 3 string): 91 µs per ``predict_proba`` call instead of
#: 120 µs, against 10 µs for ``session.run`` on a ready feed; most of what is
#: left is pandas turning its Arrow strings into Python objects.
_SMALL_FRAME = 64

#: Bindings kept per thread with ``reuse_buffers=True`` (one per output and batch size).
_MAX_BINDINGS = 8


def _has_nan(X: np.ndarray, ones: np.ndarray | None) -> bool:
    """Whether ``X`` may hold a NaN, in about a microsecond for one row.

    A NaN makes its row's sum NaN. The row sums come from one matrix-vector
    product with ``ones`` (a vector of ones, one per column), several times
    faster on one row than ``np.isnan(X.sum())``. Like that check, it also
    answers True when ``inf`` and ``-inf`` cancel out: the slow path then looks
    value by value.
    """
    if ones is None:
        return bool(np.isnan(X.sum()))
    sums = X.dot(ones)
    return math.isnan(sums[0]) if len(sums) == 1 else bool(np.isnan(sums.sum()))


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
