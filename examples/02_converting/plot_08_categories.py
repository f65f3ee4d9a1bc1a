"""
.. _categories:

Categories: rare, unseen, missing, native
=========================================

``OneHotEncoder(handle_unknown="ignore")`` converts and agrees, as
:ref:`pipelines_dataframes` showed. You will learn what becomes of the other
ways scikit-learn encodes categories: infrequent categories
(``min_frequency``), ``OrdinalEncoder``'s ``unknown_value`` and
``encoded_missing_value``, ``TargetEncoder``, and the native categories of
``HistGradientBoostingClassifier``. Each is checked on rows chosen to be hard
(unseen, infrequent, missing); where one fails, you see the failure and
what agrees instead, and then how fast what agrees runs.
"""

# %%
# A table with rare, unseen and missing categories
# ------------------------------------------------
# A seeded synthetic table of sales: two text columns (``colour``, 8 values,
# one rare; ``city``, 40 values with a long tail of rare ones), a ``store``
# number that is a category too (stores 1 to 12, missing for online sales),
# and two numbers with missing values. The table gives each column's
# distinct values, the training rows of its rarest category, and its share
# of missing values.
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
score = (
    frame["colour"].map(dict(zip(colours, rng.normal(0, 1, 8), strict=True)))
    + frame["city"].map(dict(zip(cities, rng.normal(0, 1, 40), strict=True)))
    + frame["store"] % 3
    + np.log(frame["income"])
    - frame["age"] / 30
)
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
rarest = pd.Series(rarest, dtype=object).reindex(overview.index, fill_value="")
overview["rarest"] = rarest
overview["missing"] = frame_train.isna().mean().map("{:.0%}".format)
overview

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
for column, value, rows in zip(
    CATEGORIES, ["purple", "city_40", 13.0], chosen, strict=True
):
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
# A plain ``InferenceSession`` runs the ONNX model, fed one array per column
# by name (float32 for numbers, Python strings for text), as in
# :ref:`pipelines_dataframes`. The check is the usual one: the same labels,
# and probabilities within ``1e-5`` (float32 rounding is about ``1e-7``),
# counted per kind of row.
import textwrap

import onnxruntime as ort

CPU = ["CPUExecutionProvider"]
TOLERANCE = 1e-5


def feed(rows):
    """One ``(n, 1)`` array per column: float32 numbers, object arrays of text."""
    return {
        name: column.to_numpy(
            np.float32 if pd.api.types.is_float_dtype(column) else object
        ).reshape(-1, 1)
        for name, column in rows.items()
    }


def agreement(model, onnx_model, rows=test_rows):
    """Per kind of row: how many, labels that differ, the largest difference."""
    quiet = ort.SessionOptions()
    quiet.log_severity_level = 4  # errors are raised; no log on stderr
    session = ort.InferenceSession(onnx_model.SerializeToString(), quiet, providers=CPU)
    labels, proba = session.run(["label", "probabilities"], feed(rows))
    differs = pd.Series(labels != model.predict(rows), index=rows.index)
    gap = pd.Series(np.abs(proba - model.predict_proba(rows)).max(axis=1), rows.index)
    masks = [mask[rows.index] for mask in ROW_KINDS.values()]
    table = pd.DataFrame(
        [(mask.sum(), differs[mask].sum(), gap[mask].max()) for mask in masks],
        index=list(ROW_KINDS),
        columns=["rows", "labels differ", "max |difference|"],
    ).query("rows > 0")
    agrees = (table["labels differ"] == 0) & (table["max |difference|"] <= TOLERANCE)
    return table.assign(verdict=np.where(agrees, "agrees", "differs"))


def show(table):
    return table.style.format({"max |difference|": "{:.1e}"})


def message(error):
    """An exception's name and first line, wrapped to the page."""
    first = str(error).strip().splitlines()[0]
    return textwrap.fill(f"{type(error).__name__}: {first}", 88)


# %%
# One builder makes every pipeline: the encoder on the three category
# columns (with ``fill_store=True``, missing stores first get a code of
# their own, 0), the numbers, and a classifier, fitted on the frame.
# Histogram boosting takes the numbers as they are, NaN included; a linear
# model needs them imputed and scaled.
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


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


# %%
# One-hot encoding with infrequent categories
# -------------------------------------------
# ``min_frequency`` groups the rare categories of a column into one
# "infrequent" column; ``handle_unknown="infrequent_if_exist"`` sends unseen
# values there too. :func:`helpers.convert` hides ``skl2onnx.to_onnx``: it
# declares one input per column of the frame. First try:
import helpers
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder

outcomes = {}  # case: (converts?, agrees?, what to do), for the last table
linear = LogisticRegression(max_iter=1000)
to_infrequent = OneHotEncoder(
    min_frequency=MIN_FREQUENCY, handle_unknown="infrequent_if_exist"
)
try:
    helpers.convert(pipeline(to_infrequent, linear), frame_train[:1])
except (ValueError, helpers.UnsupportedModelError) as error:
    conversion_error = message(error)
print(conversion_error)

# %%
# skl2onnx stops at the ``store`` column: the one-hot converter turns number
# categories into integers, and the NaN among them has none. With missing
# stores filled first, it converts, but an unseen value stops onnxruntime
# (the graph's ``OneHotEncoder`` is told to refuse unknown values). The
# other rows, infrequent ones included, agree:
onehot_model = pipeline(to_infrequent, linear, fill_store=True)
onehot_onnx = helpers.convert(onehot_model, frame_train[:1])
try:
    agreement(onehot_model, onehot_onnx)
except Exception as error:  # onnxruntime's Fail, an Exception
    run_error = message(error)
print(run_error)
seen_check = agreement(onehot_model, onehot_onnx, test_rows[~unseen])
assert "Unknown Category" in run_error and (seen_check["verdict"] == "agrees").all()
show(seen_check)

# %%
# What agrees: ``handle_unknown="ignore"`` with the same ``min_frequency``,
# the combination of `sklearn-onnx #1026
# <https://github.com/onnx/sklearn-onnx/issues/1026>`_. Rare categories
# still share the infrequent column; an unseen value gets all zeros instead,
# in scikit-learn and ONNX alike.
to_zeros = OneHotEncoder(min_frequency=MIN_FREQUENCY, handle_unknown="ignore")
onehot_model = pipeline(to_zeros, linear, fill_store=True)
working = {"one-hot": (onehot_model, helpers.convert(onehot_model, frame_train[:1]))}
onehot_check = agreement(*working["one-hot"])
assert (onehot_check["verdict"] == "agrees").all()
fill = "give NaN a code first"
outcomes["one-hot, NaN category"] = (
    f"no ({conversion_error.split(':')[0]})",
    "-",
    fill,
)
outcomes["one-hot, infrequent_if_exist"] = ("yes", "unseen rows raise", "use ignore")
outcomes["one-hot, min_frequency, ignore"] = ("yes", "yes", "use it")
show(onehot_check)

# %%
# Ordinal encoding: unknown and missing values
# --------------------------------------------
# ``OrdinalEncoder`` numbers the categories, gives unseen values
# ``unknown_value`` (-1), missing ones ``encoded_missing_value`` (-2) and,
# with ``min_frequency``, all rare ones a shared code (skl2onnx converts
# these since `#1132 <https://github.com/onnx/sklearn-onnx/pull/1132>`_ and
# `#1217 <https://github.com/onnx/sklearn-onnx/pull/1217>`_). Trees read
# such codes well: the classifier is a small ``HistGradientBoostingClassifier``.
from sklearn.preprocessing import OrdinalEncoder

ordinal = OrdinalEncoder(
    handle_unknown="use_encoded_value",
    unknown_value=-1,
    encoded_missing_value=-2,
    min_frequency=MIN_FREQUENCY,
)
boosting = HistGradientBoostingClassifier(max_iter=50, random_state=0)
ordinal_model = pipeline(ordinal, boosting)
working["ordinal"] = (ordinal_model, helpers.convert(ordinal_model, frame_train[:1]))
ordinal_check = agreement(*working["ordinal"])
assert (ordinal_check["verdict"] == "agrees").all()
show(ordinal_check)

# %%
# It agrees, missing stores included, but the encoder alone tells more. We
# convert the fitted ``store`` encoder by itself, with plain ``to_onnx``,
# and give it a known store, an unseen one and a missing one:
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType, StringTensorType

store_encoder = ordinal_model[0].named_transformers_["store"]
store_type = [("store", FloatTensorType([None, 1]))]
store_onnx = to_onnx(store_encoder, initial_types=store_type)
store_session = ort.InferenceSession(store_onnx.SerializeToString(), providers=CPU)
stores = pd.DataFrame({"store": [5.0, 13.0, np.nan]})
codes = pd.DataFrame(
    {
        "scikit-learn": store_encoder.transform(stores).ravel(),
        "onnxruntime": store_session.run(None, feed(stores))[0].ravel(),
    },
    index=["store 5", "store 13 (unseen)", "missing"],
)
assert codes.loc["missing"].tolist() == [-2, -1]
codes

# %%
# A missing store gets -1, the *unknown* code. The graph maps values to
# codes with an ``ai.onnx.ml`` ``LabelEncoder`` whose keys include NaN, and
# onnxruntime never matches a NaN key, as NaN equals nothing
# (`onnx #5320 <https://github.com/onnx/onnx/issues/5320>`_): NaN gets the
# default, ``unknown_value``. The pipeline agreed only because these trees
# never saw a -1 and send it where they send -2. With another classifier, or
# an ``unknown_value`` above the codes, it would not: give missing values a
# code of their own before the encoder (``fill_store=True``) instead.
outcomes["ordinal, unknown_value, min_frequency"] = ("yes", "yes", "use it")
outcomes["ordinal, encoded_missing_value"] = ("yes", "NaN coded unknown", fill)

# %%
# Target encoding
# ---------------
# ``TargetEncoder`` replaces each category by the mean target of its
# training rows, shrunk towards the overall mean, which unseen values get
# (converted since `#1137 <https://github.com/onnx/sklearn-onnx/pull/1137>`_);
# its fit cross-fits, seeded through ``cv``. It meets the same NaN key: with
# missing stores left as NaN, the missing rows differ. :func:`helpers.convert`
# noticed (it feeds NaN to each float column and records where the ONNX
# model answers otherwise), so :class:`helpers.OnnxPredictor` refuses them.
from sklearn.model_selection import KFold
from sklearn.preprocessing import TargetEncoder

target_encoder = TargetEncoder(cv=KFold(5, shuffle=True, random_state=0))
nan_target_model = pipeline(target_encoder, linear)
nan_target_onnx = helpers.convert(nan_target_model, frame_train[:1])
nan_target_check = agreement(nan_target_model, nan_target_onnx)
nan_target_gap = nan_target_check.loc["missing", "max |difference|"]
assert nan_target_check["verdict"].to_dict() == {
    "all rows": "differs",
    "ordinary": "agrees",
    "unseen": "agrees",
    "missing": "differs",
    "infrequent": "agrees",
}
try:
    helpers.OnnxPredictor(nan_target_onnx).predict_proba(test_rows)
except helpers.InputError as error:
    print(message(error))
show(nan_target_check)

# %%
# Filled first, missing stores are an ordinary category, and all rows agree:
target_model = pipeline(target_encoder, linear, fill_store=True)
working["target"] = (target_model, helpers.convert(target_model, frame_train[:1]))
target_check = agreement(*working["target"])
assert (target_check["verdict"] == "agrees").all()
outcomes["target, NaN category"] = ("yes", f"NaN rows {nan_target_gap:.2g} off", fill)
outcomes["target, NaN filled first"] = ("yes", "yes", "use it")
show(target_check)

# %%
# Native categories in histogram boosting
# ---------------------------------------
# ``categorical_features`` makes the trees split a category column by sets of
# categories ("city in {3, 7, 12}") rather than by thresholds on its codes.
# We give it the ordinal codes above, and print its test accuracy next to
# the ordinal model's, which reads the same codes as numbers:
native = HistGradientBoostingClassifier(
    max_iter=50, random_state=0, categorical_features=[0, 1, 2]
)
native_model = pipeline(ordinal, native)
accuracy = {
    "native categories": native_model.score(frame_test, target_test),
    "codes as numbers": ordinal_model.score(frame_test, target_test),
}
print("test accuracy: " + ", ".join(f"{k} {v:.3f}" for k, v in accuracy.items()))

# %%
# skl2onnx has no conversion for such splits
# (`#1051 <https://github.com/onnx/sklearn-onnx/issues/1051>`_,
# `#1101 <https://github.com/onnx/sklearn-onnx/issues/1101>`_). Depending on
# its version, :func:`helpers.convert` refuses the model or returns what
# skl2onnx gives:
try:
    helpers.convert(native_model, frame_train[:1])
    print("helpers.convert returned a model: the check below says what it is worth")
except helpers.UnsupportedModelError as error:
    print(message(error))

# %%
# Plain ``skl2onnx.to_onnx`` converts it without a word: every split becomes
# a threshold test ``code <= t``, with a threshold that a categorical split
# does not use.
raw_types = [(name, StringTensorType([None, 1])) for name in STRINGS] + [
    (name, FloatTensorType([None, 1])) for name in ["store", *NUMBERS]
]
native_onnx = to_onnx(native_model, initial_types=raw_types, options={"zipmap": False})
native_check = agreement(native_model, native_onnx)
native_gap = native_check.loc["all rows", "max |difference|"]
assert native_check.loc["all rows", "labels differ"] > 0
outcomes["boosting, native"] = ("wrongly", f"{native_gap:.2f} off", "codes as numbers")
show(native_check)

# %%
# What agrees is the ordinal model: the same codes, read as numbers. Compare
# the two accuracies above before you give the native splits up; one-hot
# encoding is the other way.
#
# How fast?
# ---------
# For each model that agrees: ONNX Runtime's default session (no options)
# against ``predict_proba`` on the frame, for 1 and 10,000 rows, with
# :func:`helpers.benchmark` (paired interleaved rounds, a 95% interval per
# speed-up; ``control=True`` times scikit-learn twice, to show the noise).
# None of these models has an ``n_jobs`` for prediction (histogram boosting
# uses every core through OpenMP by itself), so scikit-learn's default is
# its batch baseline. The feeds are built before the timing.
from helpers.benchmark import take_rows
from helpers.display import format_ratio as ratio

BATCH_SIZES = (1, 10_000)
feeds = {size: feed(take_rows(test_rows, size)) for size in BATCH_SIZES}
timings = {}
for case, (model, onnx_model) in working.items():
    session = ort.InferenceSession(onnx_model.SerializeToString(), providers=CPU)
    candidates = {
        "scikit-learn": model.predict_proba,
        "ONNX Runtime": lambda batch, run=session.run: run(
            ["probabilities"], feeds[len(batch)]
        ),
    }
    timings[case] = helpers.benchmark(
        candidates,
        test_rows,
        batch_sizes=BATCH_SIZES,
        min_repeat=6,
        budget=2,
        control=True,
    ).to_frame()
speed = pd.concat(timings, names=["model", None]).droplevel(1)
speed = speed.set_index(["batch_size", "candidate"], append=True)
speed = speed.drop(index="scikit-learn", level="candidate")
shown = ["median_us", "speedup", "speedup_low", "speedup_high", "verdict"]
speed[shown].style.format({"median_us": "{:,.0f}", **dict.fromkeys(shown[1:4], ratio)})

# %%
# Measured on:
helpers.machine_summary()

# %%
# The table in words, generated from it. A control with a verdict other
# than "no clear difference" means the machine was too noisy for its row.
for (case, size, candidate), row in speed.iterrows():
    interval = f"{ratio(row.speedup_low)} to {ratio(row.speedup_high)}"
    print(
        f"{case}, {size:,} row{'s' * (size > 1)}: {candidate} {row.verdict}, "
        f"{ratio(row.speedup)} ({interval})"
    )

# %%
# What to remember
# ----------------
# Every case of this page, as this run found it:
summary = pd.DataFrame.from_dict(
    outcomes, orient="index", columns=["converts?", "agrees?", "what to do"]
)
summary.rename_axis("encoder, option")

# %%
# * Check on unseen, infrequent and missing values, kind by kind: each
#   failure above hid in one kind of row.
# * ``min_frequency`` converts with ``handle_unknown="ignore"``; with
#   ``"infrequent_if_exist"``, an unseen value stops onnxruntime.
# * Give NaN in a numeric category column a code of its own before the
#   encoder: one-hot does not convert it, ordinal and target encoding treat
#   it as unseen.
# * ``categorical_features`` in histogram boosting converts silently wrong:
#   give it the codes as numbers, or one-hot encode.
