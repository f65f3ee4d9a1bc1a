"""Small behaviours of the core modules that their docstrings' examples used to show."""

from __future__ import annotations

import warnings

import numpy as np
import onnx
import pandas as pd
import pytest

from helpers.checks import may_hold_nan
from helpers.display import html_table
from helpers.errors import InputError
from helpers.inputs import InputSlot, InputSpec
from helpers.metadata import ModelMetadata, write_metadata


def test_metadata_is_written_as_json_and_read_back():
    onnx_model = onnx.ModelProto()
    write_metadata(onnx_model, {"estimator": "Ridge", "nan_rejected": [0]})
    properties = {p.key: p.value for p in onnx_model.metadata_props}
    assert properties == {"helpers.estimator": "Ridge", "helpers.nan_rejected": "[0]"}
    assert ModelMetadata.read({"helpers.nan_rejected": "[0, 2]"}).nan_rejected == (0, 2)


def test_a_model_that_records_nothing_refuses_infinity_everywhere():
    assert ModelMetadata.read({}).inf_rejected is None
    spec = InputSpec([InputSlot("X", np.dtype("float32"), 2, "X")], ModelMetadata())
    assert spec.feed([[1, 2]])["X"].dtype == np.float32
    with pytest.raises(InputError, match=r"^X holds infinity in row 0 \(first at row 0, column 1\): "):
        spec.feed([[1, float("inf")]])
    with pytest.raises(InputError, match=r"^expected 2 features \(columns\), got 3$"):
        spec.feed([[1, 2, 3]])


def test_may_hold_nan_is_silent_on_opposite_infinities():
    """The outputs' check (a few values, or one row, summed as Python floats) warns of nothing."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not may_hold_nan(np.array([[1.0, -2.0]]))
        assert may_hold_nan(np.array([[np.inf, -np.inf]]))
        assert may_hold_nan(np.array([[np.inf], [-np.inf]]))  # more than one row, a few values


def test_html_table_formats_columns_and_escapes_the_caption():
    html = html_table(pd.DataFrame({"x": [1.23456]}), {"x": "{:.1f}"}, "a <caption>")
    assert "1.2" in html and "a &lt;caption&gt;" in html
