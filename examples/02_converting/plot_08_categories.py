"""
.. _categories:

Categories: rare, unseen, missing, native
=========================================

``OneHotEncoder(handle_unknown="ignore")`` converts and agrees, as
:ref:`pipelines_dataframes` showed. You will learn what becomes of infrequent
categories (``min_frequency``), ``OrdinalEncoder``'s ``unknown_value`` and
``encoded_missing_value``, ``TargetEncoder`` and the native categories of
``HistGradientBoostingClassifier``, checked on unseen, infrequent and missing
values: where one fails, you see the failure, what agrees instead, and how
fast that runs.

It runs in about 15 seconds on the machine that builds these pages.
"""

# %%
# A table with rare, unseen and missing categories
# ------------------------------------------------
# A seeded synthetic table of sales: two text columns (``colour``, 8 values,
# one rare; ``city``, 40 with a long tail of rare ones), a ``store`` number
# that is a category too (1 to 12, missing for online sales), and two numbers
# with missing values. Per column: distinct values, training rows of the
# rarest category, share missing.
import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

rng = np.random.default_rng(0)
n_rows = 4_000
colours = ["red", "blue", "green", "black", "white", "grey", "ochre", "teal"]
colour_share = [0.35, 0.25, 0.15, 0.1, 0.08, 0.05, 0.015, 0.005]
cities = [f"city_{i:02d}" for i in range(40)]
city_share = 1 / np.arange(1, 41) ** 1.2
frame = pd.DataFrame(
    {
        "colour": rng.choice(colours, n_rows, p=colour_share),
        "city": rng.choice(cities, n_rows, p=city_share / city_share.sum()),
        "store": rng.integers(1, 13, n_rows).astype(float),
        "income": rng.lognormal(10, 0.5, n_rows),
        "age": rng.uniform(18, 80, n_rows),
    }
)
effect = dict(zip(colours + cities, rng.normal(0, 1, 48), strict=True))
score = frame["colour"].map(effect) + frame["city"].map(effect) + frame["store"] % 3
score += np.log(frame["income"]) - frame["age"] / 30
target = (score + rng.normal(0, 0.5, n_rows) > score.median()).astype(int)
for column, share in {"store": 0.05, "income": 0.1, "age": 0.05}.items():
    frame.loc[rng.random(n_rows) < share, column] = np.nan
frame_train, frame_test, target_train, target_test = train_test_split(
    frame, target, test_size=0.25, random_state=0
)
STRINGS, NUMBERS = ["colour", "city"], ["income", "age"]
CATEGORIES = [*STRINGS, "store"]
overview = pd.DataFrame({"values": frame_train.nunique()})
rarest = {c: frame_train[c].value_counts().min() for c in CATEGORIES}
overview["rarest"] = pd.Series(rarest, dtype=object).reindex(overview.index)
overview["missing"] = frame_train.isna().mean().map("{:.0%}".format)
overview.fillna("")

# %%
# Test rows that go looking for trouble
# -------------------------------------
# We check every model on the 1,000 test rows, of four kinds: *missing* (a
# missing value anywhere), *infrequent* (else, a category seen in fewer than
# ``MIN_FREQUENCY`` training rows), *ordinary* (the others) and *unseen*:
# thirty ordinary rows get a colour, a city or a store never seen in
# training. Every agreement table below reports each kind apart.
MIN_FREQUENCY = 30
test_rows = frame_test.reset_index(drop=True)
counts = pd.DataFrame(
    {c: test_rows[c].map(frame_train[c].value_counts()) for c in CATEGORIES}
)
missing = test_rows.isna().any(axis=1)
infrequent = (counts < MIN_FREQUENCY).any(axis=1) & ~missing
chosen = np.split(test_rows.index[~missing & ~infrequent][:30], 3)
never_seen = ["purple", "city_40", 13.0]
for column, value, rows in zip(CATEGORIES, never_seen, chosen, strict=True):
    test_rows.loc[rows, column] = value
unseen = pd.Series(test_rows.index.isin(np.concatenate(chosen)), test_rows.index)
ROW_KINDS = {
    "all rows": pd.Series(True, index=test_rows.index),
    "ordinary": ~missing & ~infrequent & ~unseen,
    "unseen": unseen,
    "missing": missing,
    "infrequent": infrequent,
}
pd.Series({kind: int(mask.sum()) for kind, mask in ROW_KINDS.items()}, name="rows")

# %%
# How we check
# ------------
# ``pipeline`` builds every model: the encoder on the three category columns
# (with ``fill_store=True``, missing stores first get a code of their own,
# 0), the numbers (imputed and scaled, except for histogram boosting, which
# takes NaN), a classifier. ``check`` converts it with :func:`helpers.convert`
# (it hides ``skl2onnx.to_onnx``), runs a plain ``InferenceSession`` fed one
# array per column, as in :ref:`pipelines_dataframes`, and compares on each
# kind of row apart: the same labels, and probabilities within ``1e-5``
# (float32 rounding is about ``1e-7``). It records each case and its errors.
import textwrap

import helpers
import onnxruntime as ort
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

CPU, TOLERANCE = ["CPUExecutionProvider"], 1e-5
QUIET = ort.SessionOptions()
QUIET.log_severity_level = 4  # errors are raised; no log on stderr
checks, errors, converted = {}, {}, {}  # each by case


def pipeline(encoder, classifier, fill_store=False):
    store = clone(encoder)
    if fill_store:
        store = make_pipeline(SimpleImputer(strategy="constant", fill_value=0), store)
    numbers = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    if isinstance(classifier, HistGradientBoostingClassifier):
        numbers = "passthrough"
    columns = [("strings", clone(encoder), STRINGS), ("store", store, ["store"])]
    preprocess = ColumnTransformer([*columns, ("numbers", numbers, NUMBERS)])
    return make_pipeline(preprocess, clone(classifier)).fit(frame_train, target_train)


def feed(rows):
    """One ``(n, 1)`` array per column: float32 numbers, object arrays of text."""
    return {c: rows[[c]].to_numpy(object if c in STRINGS else np.float32) for c in rows}


def message(error, case=""):
    """The error's type and first line, wrapped to the page."""
    text = f"{case}{type(error).__name__}: {helpers.errors.first_line(error)}"
    return textwrap.fill(text, 88)


def check(case, model, onnx_model=None):
    """Per kind of row: labels that differ, largest difference, verdict."""
    try:
        if onnx_model is None:
            onnx_model = helpers.convert(model, frame_train[:1])
    except (ValueError, helpers.UnsupportedModelError) as error:
        errors[case] = error
        return
    converted[case] = model, onnx_model
    session = ort.InferenceSession(onnx_model.SerializeToString(), QUIET, providers=CPU)
    labels, proba = model.predict(test_rows), model.predict_proba(test_rows)
    table = {}
    for kind, mask in ROW_KINDS.items():
        try:
            outputs = session.run(["label", "probabilities"], feed(test_rows[mask]))
        except Exception as error:  # onnxruntime's Fail, an Exception
            errors[case] = error
            table[kind] = (mask.sum(), np.nan, np.nan, "raises")
            continue
        onnx_labels, onnx_proba = outputs
        differs = (onnx_labels != labels[mask]).sum()
        gap = np.abs(onnx_proba - proba[mask]).max()
        agrees = differs == 0 and gap <= TOLERANCE
        table[kind] = (mask.sum(), differs, gap, "agrees" if agrees else "differs")
    columns = ["rows", "labels differ", "max |difference|", "verdict"]
    checks[case] = pd.DataFrame.from_dict(table, orient="index", columns=columns)


def show(*cases):
    """One table row per case and kind of row."""
    table = pd.concat({case: checks[case] for case in cases})
    formats = {"labels differ": "{:.0f}", "max |difference|": "{:.1e}"}
    return table.style.format(formats, na_rep="-")


# %%
# One-hot encoding with infrequent categories
# -------------------------------------------
# ``min_frequency`` groups the rare categories of a column into one
# "infrequent" column. ``handle_unknown="infrequent_if_exist"`` sends unseen
# values there too, ``"ignore"`` gives them all zeros. We try the first with
# missing stores left as NaN, then both with missing stores filled:
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder

linear = LogisticRegression(max_iter=1000)
onehot_cases = {  # case: (handle_unknown, fill_store)
    "one-hot, NaN store": ("infrequent_if_exist", False),
    "one-hot, infrequent_if_exist": ("infrequent_if_exist", True),
    "one-hot, ignore": ("ignore", True),
}
for case, (handle_unknown, fill_store) in onehot_cases.items():
    encoder = OneHotEncoder(min_frequency=MIN_FREQUENCY, handle_unknown=handle_unknown)
    check(case, pipeline(encoder, linear, fill_store))
to_infrequent = checks["one-hot, infrequent_if_exist"]["verdict"]
assert "one-hot, NaN store" not in checks and to_infrequent["unseen"] == "raises"
assert "Unknown Category" in str(errors["one-hot, infrequent_if_exist"])
assert (to_infrequent.drop(["all rows", "unseen"]) == "agrees").all()
assert (checks["one-hot, ignore"]["verdict"] == "agrees").all()
print(*(message(error, f"{case}: ") for case, error in errors.items()), sep="\n")
show("one-hot, infrequent_if_exist", "one-hot, ignore")

# %%
# skl2onnx stops at the NaN ``store``: the one-hot converter turns number
# categories into integers, and NaN has none. Filled, it converts, but an
# unseen value stops onnxruntime (the graph's ``OneHotEncoder`` refuses
# unknown values); the other rows agree. With ``"ignore"`` (`sklearn-onnx
# #1026 <https://github.com/onnx/sklearn-onnx/issues/1026>`_), all agree.
#
# Ordinal encoding: unknown and missing values
# --------------------------------------------
# ``OrdinalEncoder`` numbers the categories, gives unseen values
# ``unknown_value`` (-1), missing ones ``encoded_missing_value`` (-2) and,
# with ``min_frequency``, all rare ones a shared code (skl2onnx converts
# these since `#1132 <https://github.com/onnx/sklearn-onnx/pull/1132>`_ and
# `#1217 <https://github.com/onnx/sklearn-onnx/pull/1217>`_). Trees read such
# codes well: a small histogram boosting (few iterations, to keep this quick).
from sklearn.preprocessing import OrdinalEncoder

ordinal = OrdinalEncoder(
    handle_unknown="use_encoded_value",
    unknown_value=-1,
    encoded_missing_value=-2,
    min_frequency=MIN_FREQUENCY,
)
boosting = HistGradientBoostingClassifier(max_iter=20, random_state=0)
ordinal_model = pipeline(ordinal, boosting)
check("ordinal, NaN store", ordinal_model)
assert (checks["ordinal, NaN store"]["verdict"] == "agrees").all()
show("ordinal, NaN store")

# %%
# It agrees, but the ``store`` encoder alone, converted with plain
# ``to_onnx``, tells more about a known, an unseen and a missing store:
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType

store_encoder = ordinal_model[0].named_transformers_["store"]
store_types = [("store", FloatTensorType([None, 1]))]
store_onnx = to_onnx(store_encoder, initial_types=store_types).SerializeToString()
stores = pd.DataFrame({"store": [5.0, 13.0, np.nan]}, ["5", "13 (unseen)", "missing"])
onnx_codes = ort.InferenceSession(store_onnx, providers=CPU).run(None, feed(stores))
codes = stores.assign(**{"scikit-learn": store_encoder.transform(stores)[:, 0]})
codes["onnxruntime"] = onnx_codes[0][:, 0]
assert codes.loc["missing", ["scikit-learn", "onnxruntime"]].tolist() == [-2, -1]
codes

# %%
# A missing store gets -1, the *unknown* code: the graph's ``ai.onnx.ml``
# ``LabelEncoder`` has a NaN key, which onnxruntime never matches, as NaN
# equals nothing (`onnx #5320 <https://github.com/onnx/onnx/issues/5320>`_).
# The pipeline agreed only because these trees never saw a -1 and send it
# where they send -2; with another classifier, or an ``unknown_value`` above
# the codes, it would not. Give missing values a code first instead.
#
# Target encoding
# ---------------
# ``TargetEncoder`` replaces each category by the mean target of its
# training rows, shrunk towards the overall mean, which unseen values get
# (converted since `#1137 <https://github.com/onnx/sklearn-onnx/pull/1137>`_);
# its fit cross-fits, seeded through ``cv``. It meets the same NaN key: left
# as NaN, missing stores differ; filled first, all rows agree.
# :func:`helpers.convert` notices (it feeds NaN to each float column), so
# :class:`helpers.OnnxPredictor` refuses such rows:
from sklearn.model_selection import KFold
from sklearn.preprocessing import TargetEncoder

target_encoder = TargetEncoder(cv=KFold(5, shuffle=True, random_state=0))
for case, fill_store in {"target, NaN store": False, "target, filled": True}.items():
    check(case, pipeline(target_encoder, linear, fill_store))
target_nan = checks["target, NaN store"]["verdict"]
assert (target_nan[["all rows", "missing"]] == "differs").all()
assert (target_nan.drop(["all rows", "missing"]) == "agrees").all()
assert (checks["target, filled"]["verdict"] == "agrees").all()
try:
    helpers.OnnxPredictor(converted["target, NaN store"][1]).predict_proba(test_rows)
except helpers.InputError as error:
    print(message(error))
show("target, NaN store", "target, filled")

# %%
# Native categories in histogram boosting
# ---------------------------------------
# ``categorical_features`` makes the trees split a category column by sets of
# categories ("city in {3, 7, 12}") rather than by thresholds on its codes.
# Its accuracy is printed next to the ordinal model's, which reads the same
# codes as numbers. skl2onnx has no conversion for such splits (`#1051
# <https://github.com/onnx/sklearn-onnx/issues/1051>`_, `#1101
# <https://github.com/onnx/sklearn-onnx/issues/1101>`_): :func:`helpers.convert`
# refuses the model with the error printed below, and plain ``to_onnx``
# converts it without a word, every split a threshold test ``code <= t`` that
# a categorical split does not use. What agrees: the same codes read as
# numbers (the ordinal model), or one-hot.
native = clone(boosting).set_params(categorical_features=[0, 1, 2])
native_model = pipeline(ordinal, native)
accuracy = [m.score(frame_test, target_test) for m in (native_model, ordinal_model)]
print("test accuracy: native {:.3f}, codes as numbers {:.3f}".format(*accuracy))
try:
    helpers.convert(native_model, frame_train[:1])
    raise AssertionError("helpers.convert converted categorical splits")
except helpers.UnsupportedModelError as error:
    print(message(error))
raw_types = helpers.conversion.initial_types(frame_train)  # one input per column
native_onnx = to_onnx(native_model, initial_types=raw_types, options={"zipmap": False})
check("boosting, native", native_model, native_onnx)
assert checks["boosting, native"].loc["all rows", "labels differ"] > 0
show("boosting, native")

# %%
# How fast?
# ---------
# For each model that agrees: ONNX Runtime's default session (no options)
# against ``predict_proba`` on the frame, for 1 and 10,000 rows, with
# :func:`helpers.benchmark` (paired rounds, 95% intervals; ``control=True``
# times scikit-learn twice: a control that is not "no clear difference" means
# the machine was too noisy for its row). Each model's ``ColumnTransformer``
# has an ``n_jobs``: its ``transform`` runs the three column transformers
# through joblib's ``Parallel(n_jobs=self.n_jobs)``, one at a time by default.
# So at 10,000 rows a copy set to ``n_jobs=-1`` (``set_params``) is timed in
# the same rounds, and ONNX Runtime is compared with the faster of the two,
# the one with the lower median (column ``against``), as in :ref:`model_grid`.
# Histogram boosting uses every core through OpenMP by itself, and its threads
# wait for cores on a busy machine. Feeds are built first.
import copy

from helpers.benchmark import take_rows
from helpers.display import format_ratio as ratio

SMALL, LARGE = 1, 10_000
SKLEARN, ALL_CORES, ONNX = "scikit-learn", "scikit-learn, n_jobs=-1", "ONNX Runtime"
PROBA = ["probabilities"]  # the output timed
feeds = {size: feed(take_rows(test_rows, size)) for size in (SMALL, LARGE)}
rounds = {"min_repeat": 6, "budget": 1, "control": True}
speed_rows = []
for case in ["one-hot, ignore", "ordinal, NaN store", "target, filled"]:
    model, onnx_model = converted[case]
    all_cores = copy.deepcopy(model).set_params(columntransformer__n_jobs=-1)
    run = ort.InferenceSession(onnx_model.SerializeToString(), providers=CPU).run
    for size in (SMALL, LARGE):
        candidates = {SKLEARN: model.predict_proba}
        if size == LARGE:
            candidates[ALL_CORES] = all_cores.predict_proba
        candidates[ONNX] = lambda batch, run=run: run(PROBA, feeds[len(batch)])
        result = helpers.benchmark(candidates, test_rows, batch_sizes=(size,), **rounds)
        sklearn = [c for c in (SKLEARN, ALL_CORES) if c in candidates]
        baseline = min(sklearn, key=lambda c: result.median(c, size))
        for candidate in result.candidates[1:]:  # against scikit-learn as it comes
            against = baseline if candidate == ONNX else SKLEARN
            speedup, low, high = result.interval(candidate, size, baseline=against)
            speed_rows.append(
                {
                    "model": case,
                    "batch_size": size,
                    "candidate": candidate,
                    "against": against,
                    "median_us": result.median(candidate, size) * 1e6,
                    "speedup": speedup,
                    "low": low,
                    "high": high,
                    "verdict": result.verdict(candidate, size, baseline=against),
                }
            )
speed = pd.DataFrame(speed_rows).set_index(["model", "batch_size", "candidate"])
print(textwrap.fill(str(helpers.machine_summary()), 88, break_on_hyphens=False))
formats = {"median_us": "{:,.0f}", **dict.fromkeys(["speedup", "low", "high"], ratio)}
speed.style.format(formats)

# %%
# What to remember
# ----------------
# Check unseen, infrequent and missing values apart: each failure above hid in
# one kind of row. Every case, as this run found it, with our advice:
ADVICE = {
    "one-hot, NaN store": "give NaN a code first",
    "one-hot, infrequent_if_exist": 'use "ignore"',
    "one-hot, ignore": "use it",
    "ordinal, NaN store": "give NaN a code first",
    "target, NaN store": "give NaN a code first",
    "target, filled": "use it",
    "boosting, native": "codes as numbers",
}
verdicts = {case: table["verdict"].drop("all rows") for case, table in checks.items()}
summary = pd.DataFrame(verdicts).T.reindex(list(ADVICE)).fillna("-")
summary.insert(0, "converts?", np.where(summary.index.isin(list(checks)), "yes", "no"))
nan_code = codes.loc["missing", "onnxruntime"]
summary.loc["ordinal, NaN store", "missing"] += f" (NaN coded {nan_code:g})"
summary["what to do"] = pd.Series(ADVICE)
summary.rename_axis("case")
