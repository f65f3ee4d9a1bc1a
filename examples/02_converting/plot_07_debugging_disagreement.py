"""
.. _debugging_disagreement:

Debugging a disagreement
========================

When the ONNX model and scikit-learn disagree, the question is where. You
will learn to find the first step where they part: run the pipeline step by
step in scikit-learn, expose the intermediate results of the ONNX graph,
compare them step by step, feed a suspect step the other side's input, and
run the graph in a second runtime, ``onnx.reference.ReferenceEvaluator``,
to tell a converter problem from a runtime problem. We apply it to a float32
case and to the text pipeline of :ref:`text_pipelines`, and end with a
checklist.

It runs in under a second on the machine that builds these pages.
"""

# %%
# Two tools
# ---------
# scikit-learn's side is easy: a pipeline's steps are public, so we can run
# them one at a time. On the ONNX side, a session returns only the graph's
# declared outputs, but every node's output has a name, and declaring those
# names as outputs too makes onnxruntime return them. A name is enough:
# onnxruntime infers the types (skl2onnx's
# ``skl2onnx.helpers.onnx_helper.select_model_inputs_outputs`` does the same).
import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd

CPU = ["CPUExecutionProvider"]


def intermediate_results(onnx_model, feeds):
    """Every named result of the graph, computed by onnxruntime: ``{name: array}``."""
    exposed = onnx.ModelProto()
    exposed.CopyFrom(onnx_model)
    declared = {output.name for output in exposed.graph.output}
    for node in exposed.graph.node:
        for name in node.output:
            if name not in declared:
                exposed.graph.output.append(onnx.ValueInfoProto(name=name))
    session = ort.InferenceSession(exposed.SerializeToString(), providers=CPU)
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(names, feeds), strict=True))


# %%
# The second tool cuts a piece out of the graph, so that we can feed one step
# an input of our choice. ``onnx.utils.Extractor`` (which
# ``onnx.utils.extract_model`` applies to files) needs a type for each new
# input. onnx's shape inference leaves the outputs of many ``ai.onnx.ml``
# operators untyped (the ``Scaler`` below is one), so we declare the types
# from arrays we already have.
from onnx.helper import make_tensor_value_info, np_dtype_to_tensor_dtype
from onnx.utils import Extractor


def cut(onnx_model, new_inputs, outputs):
    """The part of the graph computing ``outputs`` from ``new_inputs`` (name: array)."""
    typed = onnx.ModelProto()
    typed.CopyFrom(onnx_model)
    for name, value in new_inputs.items():
        element_type = np_dtype_to_tensor_dtype(value.dtype)
        shape = [None, *value.shape[1:]]
        typed.graph.value_info.append(make_tensor_value_info(name, element_type, shape))
    return Extractor(typed).extract_model(list(new_inputs), outputs)


# %%
# Case 1: float32, a scaler before a tree
# ---------------------------------------
# The case of :ref:`float_vs_double`: sensor readings near 1,000 that vary by
# about 0.01, scaled, then split by a decision tree. Converted with float32
# inputs, some labels flip. That is the symptom; we pretend not to know the
# cause.
from skl2onnx import to_onnx
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

rng = np.random.default_rng(0)
X = 1_000 + rng.normal(0, 0.01, size=(6_000, 4))
y = (X[:, 0] - X[:, 1] + rng.normal(0, 0.005, len(X)) > 0).astype(int)
X_train, X_test, y_train, y_test = X[:3_000], X[3_000:], y[:3_000], y[3_000:]
tree = DecisionTreeClassifier(max_depth=8, random_state=0)
tree_pipeline = make_pipeline(StandardScaler(), tree)
tree_pipeline.fit(X_train, y_train)
X_float = X_train[:1].astype(np.float32)
tree_onnx = to_onnx(tree_pipeline, X_float, options={"zipmap": False})

tree_results = intermediate_results(tree_onnx, {"X": X_test.astype(np.float32)})
flipped = tree_results["label"] != tree_pipeline.predict(X_test)
print(f"{flipped.sum()} of {len(X_test):,} labels differ")

# %%
# Which ONNX result is which step?
# --------------------------------
# skl2onnx answers with :func:`skl2onnx.helpers.collect_intermediate_steps`:
# it converts the pipeline and lists, for each scikit-learn step, the names
# of its inputs and outputs in the graph (and an ONNX model for each step).
# It patches the estimators it is given to record their calls, so we give it
# a copy.
import copy

from skl2onnx.common.data_types import FloatTensorType
from skl2onnx.helpers import collect_intermediate_steps

steps = collect_intermediate_steps(
    copy.deepcopy(tree_pipeline),
    "pipeline",
    [("X", FloatTensorType([None, X.shape[1]]))],
    options={"zipmap": False},
)
step_outputs = {type(step["model"]).__name__: step["outputs"] for step in steps}
pd.DataFrame(
    [(type(s["model"]).__name__, s["inputs"], s["outputs"]) for s in steps],
    columns=["scikit-learn step", "ONNX inputs", "ONNX outputs"],
)

# %%
# Compare step by step
# --------------------
# scikit-learn runs the same steps, one at a time. Each pair of results is
# compared with a tolerance that float32 rounding of the result itself
# explains (a relative ``1e-5``); a row that is further apart has *parted*.


def parted_rows(onnx_values, sklearn_values):
    """Rows of two results further apart than float32 rounding of a result explains."""
    close = np.isclose(onnx_values, sklearn_values, rtol=1e-5, atol=1e-6)
    return ~close.reshape(len(close), -1).all(axis=1)


scaler = tree_pipeline[0]
sklearn_scaled = scaler.transform(X_test)
onnx_scaled = tree_results[step_outputs["StandardScaler"][0]]
onnx_proba = tree_results[step_outputs["DecisionTreeClassifier"][1]]
tree_steps = pd.DataFrame(
    {
        "ONNX result": [
            step_outputs["StandardScaler"][0],
            step_outputs["DecisionTreeClassifier"][1],
        ],
        "largest |difference|": [
            np.abs(onnx_scaled - sklearn_scaled).max(),
            np.abs(onnx_proba - tree.predict_proba(sklearn_scaled)).max(),
        ],
        "rows parted": [
            parted_rows(onnx_scaled, sklearn_scaled).sum(),
            parted_rows(onnx_proba, tree.predict_proba(sklearn_scaled)).sum(),
        ],
    },
    index=["StandardScaler", "DecisionTreeClassifier"],
)
tree_steps.style.format({"largest |difference|": "{:.1e}", "rows parted": "{:,}"})

# %%
# They part at the first step, the scaler, on the share of rows printed
# below, by far more than float32 rounding of a scaled value explains. The
# cause is upstream of the subtraction: near 1,000, float32 values are far
# apart compared with the spread of a column, so the input is rounded by a
# visible fraction of that spread before the scaler subtracts the mean and
# divides by the spread. The tree parts on fewer rows, but by a whole leaf.
spacing = np.spacing(np.float32(1_000))
scaled_gap = tree_steps["largest |difference|"].iloc[0] / np.abs(sklearn_scaled).max()
scaler_parted, tree_parted = tree_steps["rows parted"]
print(
    f"rows parted: scaler {scaler_parted:,} of {len(X_test):,} "
    f"({scaler_parted / len(X_test):.0%}), tree {tree_parted:,}"
)
print(
    f"float32 values near 1,000 are {spacing:.1e} apart, "
    f"{spacing / X[:, 0].std():.1%} of a column's spread;\n"
    f"the scaler's largest difference is "
    f"{scaled_gap / np.finfo(np.float32).eps:,.0f} times float32's relative precision"
)
assert scaled_gap > 100 * np.finfo(np.float32).eps
assert scaler_parted > tree_parted >= flipped.sum() > 0

# %%
# Is the tree step wrong, or its input?
# -------------------------------------
# Feed the tree's piece of the graph scikit-learn's scaled values, rounded
# to float32 as scikit-learn's tree rounds them itself. If the tree then
# agrees, the difference came in with its input.
tree_piece = cut(tree_onnx, {"variable": sklearn_scaled.astype(np.float32)}, ["label"])
tree_piece_labels = ort.InferenceSession(
    tree_piece.SerializeToString(), providers=["CPUExecutionProvider"]
).run(None, {"variable": sklearn_scaled.astype(np.float32)})[0]
tree_alone_flips = (tree_piece_labels != tree.predict(sklearn_scaled)).sum()
print(
    f"the tree alone, fed scikit-learn's scaled values: {tree_alone_flips} labels "
    f"differ (end to end: {flipped.sum()})"
)
assert tree_alone_flips < flipped.sum()

# %%
# A second runtime: converter or runtime?
# ---------------------------------------
# The scaler parts; is onnxruntime computing the ``Scaler`` operator wrong,
# or is the graph asking for float32 arithmetic? ONNX ships a reference
# implementation of its operators, written in numpy to follow the
# specification rather than to be fast: ``onnx.reference.ReferenceEvaluator``.
# It runs the same graph; ``intermediate=True`` returns every result.
from onnx.reference import ReferenceEvaluator

reference_results = ReferenceEvaluator(tree_onnx).run(
    None, {"X": X_test.astype(np.float32)}, intermediate=True
)
runtimes = pd.Series(
    {
        name: np.abs(reference_results[name] - tree_results[name]).max()
        for name in ["variable", "probabilities"]
    },
    name="largest |reference - onnxruntime|",
)
runtimes.to_frame().style.format("{:.1e}")

# %%
# The two runtimes agree on every result. The runtime does what the graph
# says; the graph says "scale in float32". That is a choice made at
# conversion (the input type), so the fix is at conversion too, as
# :ref:`float_vs_double` showed: double inputs, and a ``CastTransformer``
# where scikit-learn's tree casts to float32. The same comparison, rerun on
# the fixed pipeline, finds no step that parts:
from skl2onnx.sklapi import CastTransformer

fixed_pipeline = make_pipeline(
    StandardScaler(),
    CastTransformer(dtype=np.float32),
    DecisionTreeClassifier(max_depth=8, random_state=0),
).fit(X_train, y_train)
fixed_onnx = to_onnx(fixed_pipeline, X_train[:1], options={"zipmap": False})
fixed_results = intermediate_results(fixed_onnx, {"X": X_test})
fixed_scaler = fixed_pipeline[0].transform(X_test)
fixed_parted = {
    "StandardScaler": parted_rows(fixed_results["variable"], fixed_scaler).sum(),
    "DecisionTreeClassifier": parted_rows(
        fixed_results["probabilities"], fixed_pipeline.predict_proba(X_test)
    ).sum(),
}
assert np.array_equal(runtimes.to_numpy(), np.zeros(2))
assert sum(fixed_parted.values()) == 0
pd.Series(fixed_parted, name="rows parted, double inputs and a cast").to_frame()

# %%
# Case 2: a text pipeline
# -----------------------
# The pipeline of :ref:`text_pipelines`, on fewer documents to stay short:
# the first paragraph of the docstrings of numpy and of a few Python
# modules, labelled by library, and a TF-IDF vectorizer with bigrams before
# a logistic regression. Converted with skl2onnx's default tokenizer (and
# the ``locale`` option, so that it loads on machines without
# ``en_US.UTF-8``), some documents disagree.
import collections
import inspect
import itertools
import json
import os
import re
import string
import textwrap

from skl2onnx.common.data_types import StringTensorType
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

# "add(x1, x2, /, ...)" opens the docstrings of numpy's ufuncs: not prose
SIGNATURE = re.compile(r"[\w.]+\(")


def first_paragraphs(*namespaces):
    """The first docstring paragraph of each public callable (as in the last lesson)."""
    for namespace in namespaces:
        for name in sorted(dir(namespace)):
            member = getattr(namespace, name, None)
            if name.startswith("_") or not callable(member):
                continue
            paragraphs = (inspect.getdoc(member) or "").split("\n\n")
            prose = [p for p in paragraphs if p and not SIGNATURE.match(p)]
            if prose and len(prose[0].split()) >= 5:
                yield prose[0]


numpy_texts = set(first_paragraphs(np, np.linalg, np.random, np.fft))
modules = (collections, itertools, json, os, re, string, textwrap)
python_texts = set(first_paragraphs(*modules))
numpy_only, python_only = numpy_texts - python_texts, python_texts - numpy_texts
texts = sorted(numpy_only) + sorted(python_only)
labels = ["numpy"] * len(numpy_only) + ["Python"] * len(python_only)
train_texts, test_texts, train_labels, _ = train_test_split(
    np.array(texts, dtype=object),
    np.array(labels),
    test_size=0.3,
    stratify=labels,
    random_state=0,
)
vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2)
text_pipeline = make_pipeline(vectorizer, LogisticRegression(solver="newton-cg"))
text_pipeline.fit(train_texts, train_labels)


def convert_text(**options):
    return to_onnx(
        text_pipeline,
        initial_types=[("text", StringTensorType([None, 1]))],
        options={
            TfidfVectorizer: {"locale": "C.UTF-8", **options},
            LogisticRegression: {"zipmap": False},
        },
    )


text_onnx = convert_text()
text_results = intermediate_results(text_onnx, {"text": test_texts[:, None]})
sklearn_proba = text_pipeline.predict_proba(test_texts)
text_differs = np.abs(text_results["probabilities"] - sklearn_proba).max(axis=1) > 1e-5
print(f"{text_differs.sum()} of {len(test_texts)} documents differ by more than 1e-5")

# %%
# skl2onnx's helper does not work here: a ``TfidfVectorizer`` becomes two
# operators inside skl2onnx (counts, then weights) that share one estimator,
# and the helper refuses to patch an estimator twice.
try:
    collect_intermediate_steps(
        copy.deepcopy(text_pipeline),
        "pipeline",
        [("text", StringTensorType([None, 1]))],
        options={
            TfidfVectorizer: {"locale": "C.UTF-8"},
            LogisticRegression: {"zipmap": False},
        },
    )
    helper_outcome = "works"
except RuntimeError as error:
    helper_outcome = str(error)
helper_outcome

# %%
# Our own tools work on any graph. The vectorizer is several nodes; their
# outputs are named after what they compute:
text_nodes = pd.DataFrame(
    [(node.op_type, node.output[0]) for node in text_onnx.graph.node],
    columns=["operator", "output"],
)
text_nodes

# %%
# Step by step, inside the vectorizer
# -----------------------------------
# scikit-learn's vectorizer exposes its stages too: ``build_preprocessor``
# (lowercasing), ``build_tokenizer`` (the regular expression) and
# ``build_analyzer`` (n-grams); a ``CountVectorizer`` with the same settings
# and vocabulary gives the counts. We compare each stage with its node, per
# document: strings and token lists must be equal (the padding ``"#"``
# removed), numbers close.
output_of = {}  # the output of the first node of each type
for node in text_onnx.graph.node:
    output_of.setdefault(node.op_type, node.output[0])
    if node.op_type == "Tokenizer":
        pad = next(a.s.decode() for a in node.attribute if a.name == "pad_value")
count_params = CountVectorizer().get_params()
counting = {k: v for k, v in vectorizer.get_params().items() if k in count_params}
counter = CountVectorizer(**{**counting, "vocabulary": vectorizer.vocabulary_})


def rows_differ(first, second):
    """Per row, True where two rows of strings (one string, or tokens) differ."""
    pairs = zip(first, second, strict=True)
    return np.array([list(np.ravel(a)) != list(np.ravel(b)) for a, b in pairs])


def text_stages(texts, results):
    """Per document and stage: True where ONNX and scikit-learn differ."""
    lowered = [vectorizer.build_preprocessor()(text) for text in texts]
    tokens = [vectorizer.build_tokenizer()(text) for text in lowered]
    onnx_rows = results[output_of["Tokenizer"]]
    onnx_tokens = [[token for token in row if token != pad] for row in onnx_rows]
    counts = counter.transform(texts).toarray()
    tfidf = vectorizer.transform(texts).toarray()
    proba_gap = np.abs(results["probabilities"] - text_pipeline.predict_proba(texts))
    return pd.DataFrame(
        {
            "lowercase": rows_differ(lowered, results[output_of["StringNormalizer"]]),
            "tokens": rows_differ(tokens, onnx_tokens),
            "counts": (counts != results[output_of["TfIdfVectorizer"]]).any(axis=1),
            "tf-idf": parted_rows(results[output_of["Normalizer"]], tfidf),
            "probabilities": proba_gap.max(axis=1) > 1e-5,
        }
    )


stages = text_stages(test_texts, text_results)
first_parting = stages.idxmax(axis=1).where(stages.any(axis=1), "none")
first_counts = first_parting.value_counts().reindex(stages.columns, fill_value=0)
pd.DataFrame(
    {
        "documents that differ": stages.sum(),
        "documents that part here first": first_counts,
    }
)

# %%
# Lowercasing agrees everywhere; the tokens are the first stage that parts,
# and every document whose probabilities differ parted there first. More
# documents differ in tokens than in counts: an extra one-letter token
# changes nothing unless it sits between the two words of a bigram in the
# vocabulary. The first step that parts is the suspect; following the
# difference down the stages tells whether it matters.
differing = stages.sum()
assert not stages["lowercase"].any()
assert (first_parting[stages["probabilities"]] == "tokens").all()
assert differing["tokens"] > differing["counts"] >= differing["probabilities"] > 0
one = np.flatnonzero(stages["probabilities"])[0]
print(repr(test_texts[one]))
print("scikit-learn:", vectorizer.build_tokenizer()(test_texts[one].lower()))
onnx_row = text_results[output_of["Tokenizer"]][one]
print("onnxruntime: ", [token for token in onnx_row if token != pad])

# %%
# A second runtime needs every operator
# -------------------------------------
# The ``Tokenizer`` is onnxruntime's own operator (domain ``com.microsoft``),
# not part of ONNX, so ``ReferenceEvaluator`` does not have it. It accepts
# implementations of missing operators (``new_ops``). This one follows the
# operator's documentation (``com.microsoft.Tokenizer`` in onnxruntime's
# ``ContribOperators.md``) for the one-dimensional input and the attributes
# skl2onnx writes: each match of ``tokenexp``, searched from left to right
# and as long as possible, is a token, and rows are padded with
# ``pad_value``. The regular expressions run in Python's ``re``, not in
# onnxruntime's RE2: a second engine too.
from onnx.reference.op_run import OpRun


class Tokenizer(OpRun):
    op_domain = "com.microsoft"

    def _run(
        self,
        text,
        mark=None,
        mincharnum=None,
        pad_value=None,
        separators=None,
        tokenexp=None,
    ):
        assert text.ndim == 1 and tokenexp and not mark and mincharnum == 1
        rows = [re.findall(tokenexp, document) for document in text]
        width = max([1, *map(len, rows)])
        tokens = np.full((len(rows), width), pad_value, dtype=object)
        for index, row in enumerate(rows):
            tokens[index, : len(row)] = row
        return (tokens,)


# %%
# We add one document written for the purpose, with an accented letter, and
# run both runtimes. The reference ``StringNormalizer`` sets Python's locale
# (a setting of the whole process) to the model's; we put it back after.
import locale

probe_texts = np.append(test_texts, "Compute the Fréchet distance between two curves.")
saved_locale = locale.setlocale(locale.LC_ALL)
reference_text = ReferenceEvaluator(text_onnx, new_ops=[Tokenizer]).run(
    None, {"text": probe_texts[:, None]}, intermediate=True
)
locale.setlocale(locale.LC_ALL, saved_locale)
onnxruntime_text = intermediate_results(text_onnx, {"text": probe_texts[:, None]})


runtime_checks = {
    "lowercase": (output_of["StringNormalizer"], rows_differ),
    "tokens": (output_of["Tokenizer"], rows_differ),
    "probabilities": ("probabilities", parted_rows),
}


def runtime_differences(rows):
    """Documents where the two runtimes differ, stage by stage."""
    return {
        stage: differ(reference_text[name][rows], onnxruntime_text[name][rows]).sum()
        for stage, (name, differ) in runtime_checks.items()
    }


# Separately, the documents with letters that lose an accent (or another
# mark) in Unicode's compatibility decomposition, and the others:
from sklearn.feature_extraction.text import strip_accents_unicode

accented = np.array([strip_accents_unicode(text) != text for text in probe_texts])
runtime_stages = pd.DataFrame(
    {
        f"{(~accented).sum()} without accents": runtime_differences(~accented),
        f"{accented.sum()} with accents (ours included)": runtime_differences(accented),
    }
)
runtime_stages

# %%
# On the documents without accents the two runtimes agree at every stage,
# tokens included: onnxruntime does what the graph says, and the graph's
# regular expression, ``[a-zA-Z0-9_]+``, is the converter's choice. A
# converter problem, fixed by a converter option (``tokenexp``,
# :ref:`text_pipelines`).
#
# On the documents with accents they part at the first stage, lowercasing
# (their tokens may then differ too). The one we added:
print("reference:  ", reference_text[output_of["StringNormalizer"]][-1])
print("onnxruntime:", onnxruntime_text[output_of["StringNormalizer"]][-1])

# %%
# The reference implementation strips the accent; onnxruntime, like
# scikit-learn (``strip_accents=None``), keeps it. Which runtime is right?
# The operator's specification, in the installed onnx, speaks of stop words
# and case, never of accents: here the reference runtime is the one that
# departs from it. A second runtime is a witness, not a judge; the
# specification decides.
specification = onnx.defs.get_schema("StringNormalizer").doc
assert "accent" not in specification.lower()
assert not runtime_stages.iloc[:, 0].any()
assert runtime_stages.loc["lowercase"].iloc[1] == accented.sum()
assert onnxruntime_text[output_of["StringNormalizer"]][-1] == probe_texts[-1].lower()
print(textwrap.fill(" ".join(specification.split()), 80))

# %%
# The fix, checked the same way
# -----------------------------
# With ``tokenexp`` set to Unicode words, every stage agrees on every test
# document:
fixed_text_onnx = convert_text(tokenexp=r"[\p{L}\p{N}_][\p{L}\p{N}_]+")
fixed_text_feeds = {"text": test_texts[:, None]}
fixed_text_results = intermediate_results(fixed_text_onnx, fixed_text_feeds)
fixed_stages = text_stages(test_texts, fixed_text_results)
assert not fixed_stages.to_numpy().any()
fixed_stages.sum().rename("documents that differ").to_frame()

# %%
# Checklist
# ---------
# 1. **Count** before you debug: rows whose label changes, rows outside the
#    tolerance, the largest difference. One bad row and a thousand are
#    different problems.
# 2. **Pair the steps**: scikit-learn's pipeline steps (``pipeline[:i]``,
#    a vectorizer's ``build_*`` methods) with named results of the graph
#    (declare them as outputs; ``collect_intermediate_steps`` pairs them
#    for you when it works).
# 3. **Compare step by step** with a tolerance each result's own precision
#    explains; the first step that parts is the suspect, and following the
#    difference downstream tells whether it matters.
# 4. **Feed the suspect the other side's input** (``onnx.utils.Extractor``):
#    if it then agrees, the problem came in with its input.
# 5. **Run a second runtime** (``ReferenceEvaluator``, with ``new_ops`` for
#    operators it lacks). The runtimes agree: the graph is the problem, a
#    converter's choice (input type, tokenizer, options). They disagree: one
#    runtime departs from the operator's specification, which decides.
# 6. **Read the node's attributes**: the regular expression, the thresholds,
#    the element types are where the converter's choices are written.
# 7. **Fix at the source and rerun the same comparison**, so the fix is
#    checked, not assumed.
