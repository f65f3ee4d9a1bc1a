"""Every scikit-learn estimator skl2onnx has a converter for, and a few common pipelines, converted
both ways: plain ``skl2onnx.to_onnx`` run by an ``InferenceSession``, and :func:`helpers.convert`
run by :class:`helpers.OnnxPredictor`. Wherever plain skl2onnx converts and agrees, helpers must
too; helpers may refuse (an :class:`helpers.UnsupportedModelError` saying why), but never hand over
a model that disagrees with scikit-learn (issue 20, cause 13).

Both routes are judged by the same function, :func:`_agrees`, written here and not taken from
helpers: labels exactly, values within helpers' tolerance (``rtol=1e-4``; ``atol=1e-5`` times the
largest value, at least 1: float32 keeps about 7 digits). Run with ``-s`` to see the summary.
"""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest
import scipy.sparse
from sklearn import (
    calibration,
    compose,
    discriminant_analysis,
    ensemble,
    feature_extraction,
    feature_selection,
    linear_model,
    model_selection,
    multiclass,
    multioutput,
    neighbors,
    pipeline,
    preprocessing,
    svm,
)
from sklearn.base import is_regressor
from sklearn.decomposition import PCA
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import helpers

skl2onnx = pytest.importorskip("skl2onnx")

#: Settings that keep every fit small and fast, applied where an estimator has the parameter.
SMALL = {
    "n_estimators": 5,
    "max_iter": 20,
    "max_depth": 4,
    "cv": 3,
    "n_components": 3,
    "n_quantiles": 10,
    "n_subsamples": 20,
    "max_subpopulation": 200,
    "random_state": 0,
    "n_neighbors": 5,
}

REGRESSOR, CLASSIFIER = linear_model.Ridge(), linear_model.LogisticRegression()


def _meta(name):
    """The meta-estimators, which need others to hold."""
    tree, tree_reg = DecisionTreeClassifier(max_depth=3), DecisionTreeRegressor(max_depth=3)
    return {
        "ColumnTransformer": lambda: compose.ColumnTransformer(
            [("scaled", preprocessing.StandardScaler(), [0, 1, 2]), ("pca", PCA(2), [3, 4, 5])]
        ),
        "FeatureUnion": lambda: pipeline.FeatureUnion(
            [("pca", PCA(2)), ("scaled", preprocessing.StandardScaler())]
        ),
        "GridSearchCV": lambda: model_selection.GridSearchCV(CLASSIFIER, {"C": [0.1, 1.0]}, cv=3),
        "MultiOutputClassifier": lambda: multioutput.MultiOutputClassifier(CLASSIFIER),
        "MultiOutputRegressor": lambda: multioutput.MultiOutputRegressor(REGRESSOR),
        "OneVsOneClassifier": lambda: multiclass.OneVsOneClassifier(CLASSIFIER),
        "OneVsRestClassifier": lambda: multiclass.OneVsRestClassifier(CLASSIFIER),
        "Pipeline": lambda: pipeline.make_pipeline(preprocessing.StandardScaler(), CLASSIFIER),
        "RFE": lambda: feature_selection.RFE(CLASSIFIER, n_features_to_select=3),
        "RFECV": lambda: feature_selection.RFECV(CLASSIFIER, cv=3),
        "SelectFromModel": lambda: feature_selection.SelectFromModel(linear_model.Lasso(alpha=0.01)),
        "StackingClassifier": lambda: ensemble.StackingClassifier(
            [("tree", tree), ("linear", CLASSIFIER)], cv=3
        ),
        "StackingRegressor": lambda: ensemble.StackingRegressor(
            [("tree", tree_reg), ("linear", REGRESSOR)], cv=3
        ),
        "TunedThresholdClassifierCV": lambda: model_selection.TunedThresholdClassifierCV(CLASSIFIER, cv=3),
        "VotingClassifier": lambda: ensemble.VotingClassifier(
            [("tree", tree), ("linear", CLASSIFIER)], voting="soft"
        ),
        "VotingRegressor": lambda: ensemble.VotingRegressor([("tree", tree_reg), ("linear", REGRESSOR)]),
        "CalibratedClassifierCV": lambda: calibration.CalibratedClassifierCV(CLASSIFIER, cv=3),
        "LocalOutlierFactor": lambda: neighbors.LocalOutlierFactor(novelty=True),
        "SVC": lambda: svm.SVC(),  # probability=True is deprecated in scikit-learn 1.9
        "LinearDiscriminantAnalysis": lambda: discriminant_analysis.LinearDiscriminantAnalysis(),
        "OrthogonalMatchingPursuitCV": lambda: linear_model.OrthogonalMatchingPursuitCV(cv=3),
        "FeatureHasher": lambda: feature_extraction.FeatureHasher(n_features=8, input_type="string"),
    }.get(name)


def _small(cls):
    """``cls`` with :data:`SMALL` applied where it has the parameter."""

    def make(**params):
        model = cls(**params)
        model.set_params(**{k: v for k, v in SMALL.items() if k in model.get_params() and k not in params})
        return model

    return make


#: What each estimator is fitted and run on (default: "classes", 6 float features and 3 classes).
DATA = {
    **dict.fromkeys(["LabelEncoder", "LabelBinarizer"], "labels"),
    "DictVectorizer": "dicts",
    "FeatureHasher": "strings",
    **dict.fromkeys(["CountVectorizer", "TfidfVectorizer"], "text"),
    **dict.fromkeys(["MultinomialNB", "ComplementNB", "CategoricalNB", "TfidfTransformer"], "counts"),
    **dict.fromkeys(["OneHotEncoder", "OrdinalEncoder", "TargetEncoder"], "categories"),
    **dict.fromkeys(["GammaRegressor", "PoissonRegressor", "TweedieRegressor"], "positive"),
    "KernelCenterer": "kernel",
    "TunedThresholdClassifierCV": "binary",
    **dict.fromkeys(["MultiOutputClassifier", "MultiOutputRegressor"], "multi"),
    **dict.fromkeys(
        ["MultiTaskElasticNet", "MultiTaskElasticNetCV", "MultiTaskLasso", "MultiTaskLassoCV"], "multi"
    ),
}


def _registry():
    from skl2onnx._supported_operators import sklearn_operator_name_map

    return {
        cls.__name__: cls
        for cls in sklearn_operator_name_map
        if cls.__module__.startswith("sklearn.") and not cls.__name__.startswith("_")
    }


def _pipelines():
    """A few common pipelines, on arrays and on DataFrames (name: (factory, data))."""
    numbers = ["size", "weight"]
    frame_steps = compose.ColumnTransformer(
        [
            ("numbers", pipeline.make_pipeline(SimpleImputer(), preprocessing.StandardScaler()), numbers),
            ("city", preprocessing.OneHotEncoder(handle_unknown="ignore"), ["city"]),
        ]
    )
    return {
        "pipeline: scaler, PCA, SVC": (
            lambda: pipeline.make_pipeline(preprocessing.StandardScaler(), PCA(3), svm.SVC()),
            "classes",
        ),
        "pipeline: imputer, hist gradient boosting": (
            lambda: pipeline.make_pipeline(
                SimpleImputer(), ensemble.HistGradientBoostingRegressor(max_iter=10)
            ),
            "regression",
        ),
        "pipeline: frame, column transformer, logistic": (
            lambda: pipeline.make_pipeline(frame_steps, linear_model.LogisticRegression()),
            "frame",
        ),
        "pipeline: frame, column transformer, forest": (
            lambda: pipeline.make_pipeline(frame_steps, ensemble.RandomForestClassifier(5, random_state=0)),
            "frame",
        ),
        "pipeline: numeric frame, scaler, ridge": (
            lambda: pipeline.make_pipeline(preprocessing.StandardScaler(), linear_model.Ridge()),
            "numeric frame",
        ),
        "pipeline: text, tf-idf, logistic": (
            lambda: pipeline.make_pipeline(TfidfVectorizer(), linear_model.LogisticRegression()),
            "text",
        ),
    }


def _cases():
    cases = {}
    for name, cls in sorted(_registry().items()):
        factory = _meta(name) or _small(cls)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # PassiveAggressive*: deprecated in 1.8
            data = DATA.get(name) or ("regression" if is_regressor(factory()) else "classes")
        cases[name] = (factory, data)
    return {**cases, **_pipelines()}


CASES = _cases()


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """scikit-learn's OpenMP threads, one: small fits on a loaded machine are slower with more."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def datasets():
    """Each kind of data: (X to fit and run, y)."""
    rng = np.random.default_rng(0)
    n = 120
    X = rng.normal(size=(n, 6))
    classes = np.digitize(X[:, 0] + X[:, 1] + 0.3 * rng.normal(size=n), [-0.7, 0.7])
    target = X @ rng.normal(size=6) + 0.1 * rng.normal(size=n)
    words = np.array(["red", "green", "blue", "car", "bike", "train", "fast", "slow"])
    texts = np.array([" ".join(rng.choice(words, 4)) for _ in range(n)], dtype=object)
    frame = pd.DataFrame({"size": X[:, 0], "weight": X[:, 1], "city": rng.choice(["lyon", "nice", "pau"], n)})
    frame.loc[::9, "size"] = np.nan
    counts = rng.integers(0, 5, size=(n, 6))
    return {
        "classes": (X, classes),
        "binary": (X, (classes > 0).astype(int)),
        "regression": (X, target),
        "positive": (X, np.exp(target / 4)),
        "multi": (X, np.c_[classes, (X[:, 2] > 0).astype(int)]),
        "labels": (np.array(["red", "green", "blue"])[classes], None),
        "dicts": ([{str(words[j]): float(X[i, j]) for j in range(3 + i % 3)} for i in range(n)], None),
        "strings": (np.array(words)[counts[:, :3]], None),
        "text": (texts, classes),
        "counts": (counts, classes),
        "categories": (rng.integers(0, 4, size=(n, 3)), (classes > 0).astype(int)),  # TargetEncoder: binary
        "kernel": (X @ X.T, None),
        "frame": (frame, classes),
        "numeric frame": (frame[["size", "weight"]].fillna(0.0), target),
    }


# -- the judge: the same for both routes ----------------------------------------------------------


def _dense(values):
    if scipy.sparse.issparse(values):
        return values.toarray()
    if isinstance(values, list) and values and isinstance(values[0], dict):  # ZipMap
        return np.array([list(row.values()) for row in values])
    if isinstance(values, list):  # one array per output (MultiOutputClassifier)
        return np.hstack([np.asarray(v).reshape(len(v), -1) for v in values])
    return np.asarray(values)


def _close(got, expected) -> bool:
    got, expected = _dense(got), _dense(expected)
    if got.size != expected.size:
        return False
    got = got.reshape(expected.shape)
    if expected.dtype.kind not in "fc":  # labels and codes: exactly
        return bool((got.astype(str) == expected.astype(str)).all())
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    return bool(np.allclose(got.astype(float), expected, rtol=1e-4, atol=1e-5 * scale, equal_nan=True))


def _agrees(model, outputs, X) -> bool:
    """Whether the ONNX outputs are what ``model`` gives: the first output its ``predict`` or its
    ``transform`` (the nearest neighbours for NearestNeighbors), the second its ``predict_proba``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        methods = [getattr(model, m) for m in ("predict", "transform") if hasattr(model, m)]
        expected = [method(X) for method in methods] or [model.kneighbors(X)[1]]
        if not any(_close(outputs[0], e) for e in expected):
            return False
        if hasattr(model, "predict_proba") and len(outputs) > 1:
            return _close(outputs[1], model.predict_proba(X))
    return True


# -- the two routes ----------------------------------------------------------------------------------


def _plain_types(X):
    """skl2onnx's types where it cannot guess them from the sample (dicts, text, DataFrames)."""
    from skl2onnx.common.data_types import (
        DictionaryType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )

    if isinstance(X, list):
        return [("X", DictionaryType(StringTensorType([1]), FloatTensorType([1])))]
    if isinstance(X, pd.DataFrame):
        kinds = {"f": FloatTensorType, "i": Int64TensorType, "O": StringTensorType}
        return [(str(c), kinds.get(X[c].dtype.kind, StringTensorType)([None, 1])) for c in X.columns]
    if X.dtype.kind in "OU":
        return [("X", StringTensorType([None, *X.shape[1:]]))]
    return None


def _plain_feed(session, X):
    """The feed of plain onnxruntime, cast to each input's type."""
    types = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(int64)": np.int64}
    inputs = session.get_inputs()
    if isinstance(X, pd.DataFrame):
        columns = {i.name: X[c].to_numpy().reshape(-1, 1) for i, c in zip(inputs, X.columns, strict=True)}
    else:
        columns = {inputs[0].name: X}
    return {
        i.name: columns[i.name].astype(types[i.type]) if i.type in types else columns[i.name] for i in inputs
    }


def _plain(model, X):
    """Plain skl2onnx and onnxruntime: whether it converts, and whether it agrees."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            types = _plain_types(X)
            sample = X if types is not None else X.astype(np.float32) if X.dtype.kind == "f" else X
            onnx_model = skl2onnx.to_onnx(model, None if types else sample, initial_types=types)
            options = ort.SessionOptions()
            options.log_severity_level = 4
            session = ort.InferenceSession(onnx_model.SerializeToString(), options, ["CPUExecutionProvider"])
            if isinstance(X, list):  # a map input: one dict per run
                runs = [session.run(None, {session.get_inputs()[0].name: row}) for row in X]
                outputs = [np.concatenate(parts) for parts in zip(*runs, strict=True)]
            else:
                outputs = session.run(None, _plain_feed(session, X))
    except Exception:  # skl2onnx or onnxruntime refused it: no agreement to expect from helpers
        return "fails"
    return "agrees" if _agrees(model, outputs, X) else "disagrees"


def _helpers(model, X):
    """helpers.convert and OnnxPredictor: agrees, disagrees, refuses (clearly) or fails (otherwise)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            predictor = helpers.OnnxPredictor(helpers.convert(model, X))
            outputs = [predictor.predict(X)]
            if predictor.is_classifier:
                outputs.append(predictor.predict_proba(X))
    except helpers.UnsupportedModelError as error:
        return "refuses", str(error)
    except Exception as error:
        return "fails", f"{type(error).__name__}: {error}"
    return ("agrees" if _agrees(model, outputs, X) else "disagrees"), ""


OUTCOMES: dict[str, tuple[str, str]] = {}


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", sorted(CASES))
def test_helpers_converts_wherever_plain_skl2onnx_does_and_never_disagrees(name, datasets):
    factory, data = CASES[name]
    X, y = datasets[data]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = factory().fit(X, y) if y is not None else factory().fit(X)
    plain = _plain(model, X)
    route, message = _helpers(model, X)
    OUTCOMES[name] = (plain, route)
    assert route != "disagrees", f"helpers handed over a model that disagrees with {name}"
    if plain == "agrees":
        assert route == "agrees", f"plain skl2onnx converts {name} and agrees; helpers: {route}: {message}"
    else:
        assert route in ("agrees", "refuses"), f"{name}: helpers {route}: {message}"


def test_summary():
    """The counts, printed (``pytest -s``); every estimator skl2onnx lists is in the sweep."""
    assert len(_registry()) > 100
    if not OUTCOMES:
        pytest.skip("no estimator of the sweep ran")
    plain = Counter(p for p, _ in OUTCOMES.values())
    route = Counter(h for _, h in OUTCOMES.values())
    print(
        f"\n{len(OUTCOMES)} cases: plain skl2onnx converts and agrees in {plain['agrees']} "
        f"(disagrees in {plain['disagrees']}, fails in {plain['fails']}); helpers converts and agrees "
        f"in {route['agrees']}, refuses clearly in {route['refuses']}, fails in {route['fails']}"
    )
    assert route["disagrees"] == 0
