"""Hostile input, round two ("Nothing crashes, nothing lies"): each case agrees with scikit-learn
or ends in a clear InputError, never a lost or invented row, NaN or a misleading message."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import InputError


def test_a_dict_of_two_dimensional_columns_is_refused(pipeline, mixed_frame):
    _, predictor = pipeline  # one input per column
    frame, _ = mixed_frame
    columns = {name: frame[name].to_numpy()[:2] for name in frame.columns}
    assert predictor.predict(columns).shape == (2,)
    assert predictor.predict({k: v.reshape(-1, 1) for k, v in columns.items()}).shape == (2,)
    wide = {name: np.stack([values, values], axis=1) for name, values in columns.items()}  # (2, 2)
    with pytest.raises(InputError, match=r"column 'age'.*1-D.*\(2, 2\)"):
        predictor.predict(wide)
