"""Small fitted models shared by the tests (bundled or synthetic data only), and the
hypothesis settings of the property-based tests."""

from __future__ import annotations

import os

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before any import of onnxruntime (no network)

import atexit
import shutil
import tempfile

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import helpers

try:
    from hypothesis import settings
    from hypothesis.configuration import set_hypothesis_home_dir
except ImportError:  # the property-based tests skip themselves
    pass
else:
    # hypothesis keeps caches (the constants of the code under test) in ./.hypothesis: keep them
    # in a temporary directory instead, removed at exit, like every file the tests write.
    _HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="hypothesis-")
    atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, ignore_errors=True)
    set_hypothesis_home_dir(_HYPOTHESIS_HOME)
    # "ci" (the default): the same examples every run, so `make test` is reproducible, and no
    # example database. HYPOTHESIS_PROFILE=explore draws new examples each run.
    settings.register_profile("ci", database=None, derandomize=True, deadline=None)
    settings.register_profile("explore", database=None, deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def iris():
    return load_iris(return_X_y=True)


@pytest.fixture(scope="session")
def logistic(iris):
    X, y = iris
    model = LogisticRegression(max_iter=1000).fit(X, y)
    return model, helpers.OnnxPredictor(helpers.convert(model, X[:1]))


@pytest.fixture(scope="session")
def forest(iris):
    X, y = iris
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    return model, helpers.OnnxPredictor(helpers.convert(model, X[:1]))


@pytest.fixture(scope="session")
def boosting(iris):
    X, y = iris
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    return model, helpers.OnnxPredictor(helpers.convert(model, X[:1]))


@pytest.fixture(scope="session")
def ridge():
    X, y = load_diabetes(return_X_y=True)
    model = Ridge().fit(X, y)
    return model, helpers.OnnxPredictor(helpers.convert(model, X[:1])), X


@pytest.fixture(scope="session")
def mixed_frame():
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 10, n),
            "visits": rng.integers(0, 10, n),
            "city": rng.choice(["paris", "lyon", "nice"], n),
        }
    )
    frame.loc[::17, "age"] = np.nan
    target = ((frame["visits"] > 4) ^ (frame["city"] == "nice")).astype(int)
    return frame, target


def _fit_pipeline(frame, target, age="age"):
    columns = ColumnTransformer(
        [
            ("numbers", make_pipeline(SimpleImputer(), StandardScaler()), [age, "visits"]),
            ("city", OneHotEncoder(handle_unknown="ignore"), ["city"]),
        ]
    )
    return make_pipeline(columns, LogisticRegression()).fit(frame, target)


@pytest.fixture(scope="session")
def pipeline(mixed_frame):
    frame, target = mixed_frame
    model = _fit_pipeline(frame, target)
    return model, helpers.OnnxPredictor(helpers.convert(model, frame[:1]))


@pytest.fixture(scope="session")
def renamed_pipeline(mixed_frame):
    """The pipeline on a column whose name skl2onnx rewrites ("age/years" becomes "age_years")."""
    frame, target = mixed_frame
    renamed = frame.rename(columns={"age": "age/years"})
    return _fit_pipeline(renamed, target, age="age/years"), renamed
