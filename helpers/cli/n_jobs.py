"""The tool's scikit-learn baseline: the model as saved and with its other ``n_jobs`` setting,
where ``n_jobs`` acts on prediction (:ref:`command_line` shows the table it gives)."""

from __future__ import annotations

import copy
from typing import Any

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    BaggingClassifier,
    BaggingRegressor,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    IsolationForest,
    RandomForestClassifier,
    RandomForestRegressor,
    RandomTreesEmbedding,
)
from sklearn.multioutput import MultiOutputClassifier, MultiOutputRegressor
from sklearn.neighbors import (
    KNeighborsClassifier,
    KNeighborsRegressor,
    LocalOutlierFactor,
    NearestNeighbors,
    RadiusNeighborsClassifier,
    RadiusNeighborsRegressor,
)
from sklearn.pipeline import FeatureUnion

__all__ = ["ALL_CORES", "DEFAULT_JOBS", "PREDICTS_IN_PARALLEL", "other_jobs"]

#: The names of scikit-learn's second candidate: the model with every ``n_jobs`` at -1 (all
#: cores) or, for a model saved with every ``n_jobs`` at -1 already, at None (the default).
ALL_CORES, DEFAULT_JOBS = "scikit-learn n_jobs=-1", "scikit-learn n_jobs=None"

#: The scikit-learn estimators whose ``predict`` or ``transform`` hands work to joblib workers
#: (``Parallel(n_jobs=self.n_jobs)``): forests and bagging (isolation forests too), neighbours
#: (some metrics), column transformers, feature unions, multi-output wrappers.
PREDICTS_IN_PARALLEL = (
    RandomForestClassifier,
    RandomForestRegressor,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomTreesEmbedding,
    BaggingClassifier,
    BaggingRegressor,
    IsolationForest,
    KNeighborsClassifier,
    KNeighborsRegressor,
    RadiusNeighborsClassifier,
    RadiusNeighborsRegressor,
    NearestNeighbors,
    LocalOutlierFactor,
    MultiOutputClassifier,
    MultiOutputRegressor,
    ColumnTransformer,
    FeatureUnion,
)


def other_jobs(model: Any) -> tuple[str, Any] | None:
    """The model's other ``n_jobs`` setting: a name and a fitted copy, or None when no ``n_jobs``
    of it acts on prediction.

    The copy has every such ``n_jobs`` (its own and its steps') at -1, all cores;
    or at None, scikit-learn's default, when the model has them all at -1
    already. Neither setting is faster everywhere (threads cost a start-up
    that one row does not repay), so the tool times both and compares ONNX
    Runtime with the faster. Only the estimators of :data:`PREDICTS_IN_PARALLEL`
    predict on joblib workers; elsewhere ``n_jobs`` is for fitting, or does
    nothing (``LogisticRegression``'s since scikit-learn 1.8), and a second
    timing of the same computation would only pick the luckier. A model without
    ``n_jobs`` (histogram gradient boosting, which uses OpenMP threads anyway)
    gives None. The copy is fitted: ``clone`` would forget the fit.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.preprocessing import StandardScaler
    >>> name, copied = other_jobs(RandomForestClassifier())
    >>> name, copied.n_jobs
    ('scikit-learn n_jobs=-1', -1)
    >>> other_jobs(RandomForestClassifier(n_jobs=-1))[1].n_jobs is None
    True
    >>> other_jobs(StandardScaler()) is None, other_jobs(LogisticRegression(n_jobs=2)) is None
    (True, True)
    """
    get_params = getattr(model, "get_params", None)
    if get_params is None:
        return None
    params = get_params(deep=True)
    names = [
        name
        for name in params
        if (name == "n_jobs" or name.endswith("__n_jobs"))
        and isinstance(params.get(name.rpartition("__")[0], model), PREDICTS_IN_PARALLEL)
    ]
    if not names:
        return None
    all_cores = all(params[name] == -1 for name in names)
    copied = copy.deepcopy(model)
    copied.set_params(**dict.fromkeys(names, None if all_cores else -1))
    return (DEFAULT_JOBS if all_cores else ALL_CORES), copied
