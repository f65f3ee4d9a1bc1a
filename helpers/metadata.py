"""What :func:`helpers.convert` records in a model's ``metadata_props`` (so it travels with the
``.onnx`` file) for the predictor to read back; :ref:`running_inspect_model` reads them too."""

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
    """The recorded facts, all optional: ``columns``, the DataFrame column of each ONNX input; the
    columns where scikit-learn raises on NaN or infinity (``nan_rejected``, ``inf_rejected``: None
    when not recorded, read as all) and where the ONNX model answers NaN otherwise."""

    estimator: str | None = None
    feature_names: list[str] | None = None
    columns: list[str] | None = None
    nan_rejected: tuple[Any, ...] | None = None
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
            nan_rejected=None if (nan := value("nan_rejected", None)) is None else tuple(nan),
            nan_mismatched=tuple(value("nan_mismatched", [])),
            inf_rejected=None if (inf := value("inf_rejected", None)) is None else tuple(inf),
            classes=value("classes", None),
        )


def write_metadata(onnx_model: onnx.ModelProto, metadata: Mapping[str, Any]) -> None:
    """Write ``metadata`` (values JSON-encoded, strings kept) under :data:`METADATA_PREFIX`,
    keeping the model's other properties; keys written before are replaced."""
    kept = {p.key: p.value for p in onnx_model.metadata_props}
    for key, item in metadata.items():
        kept[METADATA_PREFIX + key] = item if isinstance(item, str) else json.dumps(item)
    onnx.helper.set_model_props(onnx_model, kept)
