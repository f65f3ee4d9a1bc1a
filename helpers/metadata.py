"""What :func:`helpers.convert` records in a model for the predictor to read back.

The keys live in the model's ``metadata_props`` under :data:`METADATA_PREFIX`,
so they travel with the ``.onnx`` file: a predictor made from the file alone
checks inputs the way the scikit-learn model did. :ref:`running_inspect_model` reads
them back from a model.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import onnx

__all__ = ["METADATA_PREFIX", "ModelMetadata", "write_metadata"]

#: Prefix of the ``metadata_props`` keys that :func:`helpers.convert` writes.
METADATA_PREFIX = "helpers."


@dataclass(frozen=True)
class ModelMetadata:
    """The recorded facts about the scikit-learn model, all optional.

    Attributes
    ----------
    estimator : str or None
        Class name of the converted model.
    feature_names : list of str or None
        ``feature_names_in_`` of a model fitted on a DataFrame.
    columns : list of str or None
        The DataFrame column of each ONNX input, in input order (skl2onnx
        rewrites some characters in input names: ``"a/b"`` becomes ``"a_b"``).
    nan_rejected : list
        Columns (names or indices) where scikit-learn raises on NaN.
    nan_mismatched : list
        Columns where scikit-learn accepts NaN but the ONNX model answers differently.
    classes : list or None
        A classifier's ``classes_``, in the order of its probability columns.
    inf_rejected : list or None
        Columns where scikit-learn raises on infinity; None when not recorded
        (a model :func:`helpers.convert` did not make), read as every column,
        which is what scikit-learn's ``check_array`` does by default.

    Examples
    --------
    >>> ModelMetadata.read({"helpers.nan_rejected": "[0, 2]"}).nan_rejected
    (0, 2)
    >>> ModelMetadata.read({}).inf_rejected is None  # not recorded: infinity refused everywhere
    True
    """

    estimator: str | None = None
    feature_names: list[str] | None = None
    columns: list[str] | None = None
    nan_rejected: tuple[Any, ...] = ()
    nan_mismatched: tuple[Any, ...] = ()
    inf_rejected: tuple[Any, ...] | None = None
    classes: list[Any] | None = None

    @classmethod
    def read(cls, properties: Mapping[str, str]) -> ModelMetadata:
        """From ``session.get_modelmeta().custom_metadata_map`` (or any mapping of the properties)."""

        def value(key: str, default: Any) -> Any:
            text = properties.get(METADATA_PREFIX + key)
            return default if text is None else json.loads(text)

        return cls(
            estimator=properties.get(METADATA_PREFIX + "estimator"),
            feature_names=value("feature_names", None),
            columns=value("columns", None),
            nan_rejected=tuple(value("nan_rejected", [])),
            nan_mismatched=tuple(value("nan_mismatched", [])),
            inf_rejected=None if (inf := value("inf_rejected", None)) is None else tuple(inf),
            classes=value("classes", None),
        )


def write_metadata(onnx_model: onnx.ModelProto, metadata: Mapping[str, Any]) -> None:
    """Write ``metadata`` (values JSON-encoded, strings kept) under :data:`METADATA_PREFIX`.

    The model's other properties are kept; keys written before are replaced.

    >>> model = onnx.ModelProto()
    >>> write_metadata(model, {"estimator": "Ridge", "nan_rejected": [0]})
    >>> {p.key: p.value for p in model.metadata_props}
    {'helpers.estimator': 'Ridge', 'helpers.nan_rejected': '[0]'}
    """
    kept = {p.key: p.value for p in onnx_model.metadata_props}
    for key, item in metadata.items():
        kept[METADATA_PREFIX + key] = item if isinstance(item, str) else json.dumps(item)
    onnx.helper.set_model_props(onnx_model, kept)
