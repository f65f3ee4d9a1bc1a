"""Property-based tests (hypothesis) of the inputs behind issue 20's causes 2 to 7: text of any
code point, DataFrames with any column names, dicts of columns of any shape, ``compare`` on any
classifier, and Dask scoring with any ``keep`` and ``proba_columns``.

Each property: the answer is scikit-learn's (labels exactly, probabilities within
:data:`helpers.validate.DEFAULT_RTOL` and ``DEFAULT_ATOL``), with exactly the rows given, or the
input is refused with an :class:`~helpers.InputError` that names the problem; valid input is never
refused, invalid input never answered, and nothing else (an onnxruntime error, a KeyError) escapes.

Each would have failed before its fix: causes 2 (a DataFrame for a model with one text input was
refused; None, 3 and NaN in an object array reached onnxruntime), 3 (integer column names past 64
rows: KeyError '0'), 4 ('red\\x00' scored as 'red'), 5 (``compare`` read LinearSVC as a regressor),
6 (Dask output columns overwrote kept ones) and 7 (a dict of n x 2 columns doubled the rows).
They found more, fixed in :mod:`helpers.checks` (a lone surrogate crashed in onnxruntime; a list
of rows for a text input was read as numpy's text, 3 becoming the word '3' and 'red\\x00' 'red'; a
dict's empty list for a text column raised IndexError) and :mod:`helpers.batch` (a column kept
twice); a dict's list for a text column, read the same way, is fixed in :mod:`helpers.inputs`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("hypothesis")
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

import helpers
from helpers import InputError
from helpers.validate import DEFAULT_ATOL, DEFAULT_RTOL

EXAMPLES = 60


def _quiet(function, *args):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # scikit-learn's feature-name and unknown-category warnings
        return function(*args)


def _agrees(model, predictor, X, expected_X, rows: int) -> None:
    """``predictor`` answers ``X`` with ``rows`` rows, as ``model`` answers ``expected_X``."""
    labels, proba = predictor.predict_with_proba(X)
    assert labels.shape == (rows,) and proba.shape[0] == rows, f"{rows} rows given, {len(labels)} answered"
    if rows == 0:  # scikit-learn refuses no rows; the predictor answers nothing
        return
    np.testing.assert_array_equal(labels, _quiet(model.predict, expected_X))
    np.testing.assert_allclose(
        proba, _quiet(model.predict_proba, expected_X), rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL
    )


def _refused(predictor, X, *words: str) -> str:
    """``predictor`` refuses ``X`` with an InputError naming one of ``words``; returns the message."""
    with pytest.raises(InputError) as refusal:
        predictor.predict_with_proba(X)
    message = str(refusal.value)
    assert any(word in message for word in words), f"{message!r} names none of {words}"
    return message


# -- text of any code point (causes 2 and 4) ---------------------------------------------------
COLORS = ["red", "green", "blue"]
ANY_CHARACTER = st.characters(codec=None, exclude_categories=())  # NUL and lone surrogates included
AFFIXES = ["\x00", "\x00\x00", "\ud800", "\udfff", " ", "é", "\u0301", "\U0001f600", "\t"]
TEXT = st.one_of(
    st.sampled_from(COLORS),
    st.builds(
        lambda word, affix, end: word + affix if end else affix + word,
        st.sampled_from(COLORS),
        st.sampled_from(AFFIXES),
        st.booleans(),
    ),
    st.text(ANY_CHARACTER, max_size=6),
    st.text(max_size=6),  # UTF-8 text only
)
NOT_TEXT = st.sampled_from([None, np.nan, pd.NA, 3, 2.5, b"red", True])
CONTAINERS = ["frame", "frame", "frame of pandas' str", "object array", "object array", "list", "numpy text"]


@st.composite
def text_columns(draw, max_rows=6):
    """A list of values, mostly text (any code point), sometimes with one value that is not."""
    values = draw(st.lists(TEXT, max_size=max_rows))
    if values and draw(st.integers(0, 4)) == 0:
        values[draw(st.integers(0, len(values) - 1))] = draw(NOT_TEXT)
    return values


def _surrogate(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def _problems(values: list) -> list[str]:
    """What must be refused in a text column, as words its InputError must name (one of them)."""
    problems = []
    if any(not isinstance(v, str) for v in values):
        problems += ["missing value", "holds text"]
    if any(isinstance(v, str) and "\x00" in v for v in values):
        problems.append("NUL")
    if any(isinstance(v, str) and _surrogate(v) for v in values):
        problems.append("surrogate")
    return problems


def _text_refused(predictor, X, values: list, column: str) -> bool:
    """True, after checking the refusal names ``column`` and a problem, when ``values`` hold
    something a text column must refuse (see :func:`_problems`)."""
    if problems := _problems(values):
        event(f"refused: {problems[-1]}")
        assert f"'{column}'" in _refused(predictor, X, *problems)
        return True
    return False


def _contain(values: list, container: str, column: str):
    """``values`` in ``container`` (a frame where it cannot hold them), and the values as given:
    numpy's own text drops trailing NULs."""
    if container == "frame of pandas' str" and not _problems(values):
        return pd.DataFrame({column: pd.Series(values, dtype="str")}), values
    if container == "numpy text" and all(isinstance(v, str) for v in values):
        array = np.array(values, dtype=str).reshape(-1, 1)
        return array, array[:, 0].tolist()
    if container == "list" and values:  # [] would be no rows of no columns
        return [[v] for v in values], values
    if container == "object array":
        return np.array([*values, None], dtype=object)[:-1].reshape(-1, 1), values  # [None]: never 2-D
    event("(as a frame)")
    return pd.DataFrame({column: pd.Series(values, dtype=object)}), values


@pytest.fixture(scope="module")
def colors():
    """A one-column OneHotEncoder pipeline: its ONNX model takes one string input."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    frame = pd.DataFrame({"color": np.random.default_rng(0).choice(COLORS, 60)})
    model = make_pipeline(OneHotEncoder(handle_unknown="ignore"), LogisticRegression())
    model.fit(frame, (frame["color"] == "red").astype(int))
    return model, helpers.OnnxPredictor(helpers.convert(model, frame[:1]))


@settings(max_examples=EXAMPLES)
@given(values=text_columns(), container=st.sampled_from(CONTAINERS))
@example(values=["red", "blue"], container="frame")  # cause 2: a DataFrame was refused
@example(values=["red", None], container="object array")  # cause 2: None reached onnxruntime
@example(values=["red\x00"], container="object array")  # cause 4: scored as "red"
@example(values=["red", 3], container="list")  # numpy's text made 3 a category, "3"
@example(values=["red\x00"], container="list")  # numpy's text dropped the NUL
def test_text_of_any_code_point_for_one_text_input(colors, values, container):
    model, predictor = colors
    X, seen = _contain(values, container, "color")
    event(container)
    if _text_refused(predictor, X, seen, "color"):
        return
    event("answered")
    expected = pd.DataFrame({"color": pd.Series(seen, dtype=object)})
    _agrees(model, predictor, X, expected, len(seen))


@settings(max_examples=EXAMPLES)
@given(values=text_columns(), container=st.sampled_from(["frame", "frame of pandas' str", "dict"]))
def test_text_of_any_code_point_in_a_frame_of_mixed_columns(pipeline, mixed_frame, values, container):
    model, predictor = pipeline  # one input per column, "city" a text one
    frame, _ = mixed_frame
    rows = frame[: len(values)].copy()
    if container == "frame of pandas' str" and not _problems(values):
        rows["city"] = pd.Series(values, dtype="str", index=rows.index)
    else:
        rows["city"] = pd.Series(values, dtype=object, index=rows.index)
    X = {name: rows[name].to_numpy() for name in rows.columns} if container == "dict" else rows
    event(container)
    if _text_refused(predictor, X, values, "city"):
        return
    event("answered")
    _agrees(model, predictor, X, rows, len(values))


@settings(max_examples=EXAMPLES)
@given(values=text_columns())
def test_text_of_any_code_point_in_a_dict_of_lists(pipeline, mixed_frame, values):
    model, predictor = pipeline
    frame, _ = mixed_frame
    rows = frame[: len(values)].assign(city=pd.Series(values, dtype=object, index=frame.index[: len(values)]))
    X = {"age": rows["age"].tolist(), "visits": rows["visits"].tolist(), "city": values}
    if _text_refused(predictor, X, values, "city"):
        return
    event("answered")
    _agrees(model, predictor, X, rows, len(values))


@pytest.fixture(scope="module")
def texts():
    """A TF-IDF text classifier, converted with skl2onnx's options that tokenize as scikit-learn
    does (lesson 02_converting/plot_06_text_pipelines): a plain ONNX model, one string input."""
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import StringTensorType
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    documents = ["red apple", "green apple", "blue sky", "red sky", "green grass", "blue sea", "über"]
    model = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(
        documents * 3, [0, 1, 2, 0, 1, 2, 1] * 3
    )
    vectorizer = {"locale": "C.UTF-8", "tokenexp": r"[\p{L}\p{N}_][\p{L}\p{N}_]+"}
    options = {LogisticRegression: {"zipmap": False}, TfidfVectorizer: vectorizer}
    onnx_model = to_onnx(model, initial_types=[("text", StringTensorType([None, 1]))], options=options)
    return model, helpers.OnnxPredictor(onnx_model)


@settings(max_examples=EXAMPLES)
@given(values=text_columns(), container=st.sampled_from(["frame", "object array", "list"]))
@example(values=["red sky", "blue"], container="frame")  # cause 2: a DataFrame was refused
@example(values=["red sky", 2.5], container="list")  # numpy's text made 2.5 a word, "2.5"
def test_text_of_any_code_point_for_a_text_classifier(texts, values, container):
    """ASCII text is answered as scikit-learn answers it. Beyond ASCII the conversion itself differs,
    as the lesson shows (onnxruntime lowercases one character at a time: final sigma, dotted I; its
    letter classes are RE2's): there the answer must be well formed."""
    model, predictor = texts
    X, seen = _contain(values, container, "text")
    event(container)
    if _text_refused(predictor, X, seen, "text"):
        return
    if all(text.isascii() for text in seen):
        event("answered (ASCII: as scikit-learn)")
        _agrees(model, predictor, X, seen, len(seen))
        return
    event("answered (beyond ASCII: well formed)")
    labels, proba = predictor.predict_with_proba(X)
    assert labels.shape == (len(seen),) and set(labels) <= {0, 1, 2}
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)


# -- DataFrames with any column names, any row count around SMALL_FRAME (cause 3) --------------
@pytest.fixture(scope="module")
def int_named(mixed_frame):
    """The mixed pipeline fitted on a frame whose columns are the integers 0, 1, 2."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    frame, target = mixed_frame
    frame = frame.set_axis([0, 1, 2], axis=1)
    columns = ColumnTransformer(
        [
            ("numbers", make_pipeline(SimpleImputer(), StandardScaler()), [0, 1]),
            ("city", OneHotEncoder(handle_unknown="ignore"), [2]),
        ]
    )
    model = make_pipeline(columns, LogisticRegression()).fit(frame, target)
    return model, helpers.OnnxPredictor(helpers.convert(model, frame[:1])), frame


@pytest.fixture(scope="module")
def digit_named(iris):
    """A logistic regression fitted on columns named "0" to "3" (text): one float input, by name."""
    from sklearn.linear_model import LogisticRegression

    X, y = iris
    frame = pd.DataFrame(np.tile(X, (2, 1)), columns=["0", "1", "2", "3"])
    model = LogisticRegression(max_iter=1000).fit(frame[: len(X)], y)
    return model, helpers.OnnxPredictor(helpers.convert(model, frame[:1])), frame


@pytest.fixture(scope="module")
def string_named(pipeline, mixed_frame):
    model, predictor = pipeline
    frame, _ = mixed_frame
    return model, predictor, frame


NAMED = {"age, visits, city": "string_named", "0, 1, 2": "int_named", "'0' to '3'": "digit_named"}


@pytest.fixture(scope="module")
def named(request):
    """The model, predictor and data of the test's parameter, built when a test asks for it."""
    return request.getfixturevalue(NAMED[request.param])


ROW_COUNTS = st.one_of(st.integers(0, 200), st.sampled_from([0, 1, 63, 64, 65, 66, 128, 200]))
OTHER_NAMES = ["x", "0", 0, 3, np.int64(1), "age", "Age", "city ", "1.0", 1.5, None]
NAME_EDITS = ["as fitted", "as fitted", "as fitted", "missing", "extra", "duplicated", "renamed"]


def _spellings(name) -> list:
    """The ways a caller may write a fitted column name: ``0`` as ``"0"``, ``np.int64(0)``..."""
    text = str(name)
    return [text, np.str_(text)] + ([int(text), np.int64(text), np.int32(text)] if text.isdigit() else [])


@st.composite
def named_frames(draw, base: pd.DataFrame):
    """Rows of ``base`` (any count), its columns in any order under any spelling, sometimes edited."""
    n_rows = draw(ROW_COUNTS)
    start = draw(st.integers(0, len(base) - n_rows))
    fitted = list(base.columns)
    order = draw(st.permutations(range(len(fitted))))
    columns = [base.iloc[start : start + n_rows, i] for i in order]
    names = [draw(st.sampled_from(_spellings(fitted[i]))) for i in order]
    edit = draw(st.sampled_from(NAME_EDITS))
    event(f"columns {edit}, {'<=' if n_rows <= 64 else '>'} 64 rows")
    position = draw(st.integers(0, len(names) - 1))
    if edit == "missing":
        del columns[position], names[position]
    elif edit == "extra":
        columns.append(columns[position])
        names.append(draw(st.sampled_from(OTHER_NAMES)))
    elif edit == "duplicated":  # a copy of a column, under the same name or another spelling of it
        columns.append(columns[position])
        names.append(draw(st.sampled_from(_spellings(names[position]))))
    elif edit == "renamed":
        names[position] = draw(st.sampled_from([n for n in OTHER_NAMES if str(n) not in map(str, fitted)]))
    frame = pd.concat([c.reset_index(drop=True) for c in columns], axis=1)
    frame.columns = pd.Index(names, dtype=object)
    return frame


def _names_refused(predictor, X, given, fitted) -> bool:
    """True, after checking the refusal, when the column names given are duplicated, missing or
    unexpected (matched as text)."""
    if len(set(given)) < len(given):
        event("refused: duplicated")
        _refused(predictor, X, "duplicated")
        return True
    if sorted(given) != sorted(fitted):
        event("refused: missing or unexpected")
        _refused(predictor, X, "missing columns", "unexpected columns")
        return True
    return False


@pytest.mark.parametrize("named", ["age, visits, city", "0, 1, 2", "'0' to '3'"], indirect=True)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_frames_with_any_column_names(named, data):
    """Columns are matched by name (as text: ``0``, ``"0"`` and ``np.int64(0)`` are one name), in
    any order, at any row count; a missing, extra or duplicated name is refused, never matched."""
    model, predictor, base = named
    X = data.draw(named_frames(base))
    given = [str(c) for c in X.columns]
    fitted = [str(c) for c in base.columns]
    if _names_refused(predictor, X, given, fitted):
        return
    event("answered")
    expected = X.iloc[:, [given.index(c) for c in fitted]].set_axis(base.columns, axis=1)
    _agrees(model, predictor, X, expected, len(X))


# -- dicts of columns of any shape (cause 7) ---------------------------------------------------
SHAPES = [
    "1-D",
    "1-D",
    "list",
    "n x 1",
    "n x 1 list",
    "series",
    "n x 2",
    "1 x n",
    "one value",
    "n + 1",
    "3-D",
]


@st.composite
def column_dicts(draw, base: pd.DataFrame):
    """A dict of ``base``'s columns of ``n`` rows, each in any shape (sometimes ragged), keys in any
    spelling and order; returns the dict and each column's rows (None: several values per row)."""
    n_rows = draw(st.integers(0, 5))
    start = draw(st.integers(0, len(base) - n_rows - 1))
    fitted = list(base.columns)
    columns, rows = {}, {}
    for i in draw(st.permutations(range(len(fitted)))):
        values = base.iloc[start : start + n_rows + 1, i].to_numpy()  # one more, for "n + 1"
        shape = draw(st.sampled_from(SHAPES))
        event(shape)
        key = draw(st.sampled_from(_spellings(fitted[i])))
        column, count = {
            "1-D": (values[:n_rows], n_rows),
            "list": (values[:n_rows].tolist(), n_rows),
            "n x 1": (values[:n_rows, None], n_rows),
            "n x 1 list": (values[:n_rows, None].tolist(), n_rows),
            "series": (pd.Series(values[:n_rows]), n_rows),
            "n x 2": (np.stack([values[:n_rows]] * 2, axis=1), n_rows if n_rows == 0 else None),
            "1 x n": (values[None, :n_rows], 1 if n_rows == 1 else None),
            "one value": (values[0], None),  # refused: pandas asks for an index too
            "n + 1": (values, n_rows + 1),
            "3-D": (values[:n_rows, None, None], n_rows),
        }[shape]
        columns[key], rows[str(key)] = column, count
    change = draw(st.sampled_from(["none"] * 6 + ["missing", "extra", "duplicated"]))
    if change == "missing":
        del columns[next(iter(columns))]
    elif change == "extra":
        columns[draw(st.sampled_from(["x", 3, "Age", "1.0"]))] = next(iter(columns.values()))
    elif change == "duplicated":  # the same name twice, in two spellings ("0" and 0)
        key = draw(st.sampled_from([k for k in columns if len(_spellings(k)) > 2] or [None]))
        if key is not None:
            columns[int(key) if isinstance(key, str) else str(key)] = columns[key]
    return columns, rows


def test_a_dict_of_empty_lists_is_no_rows(pipeline):
    _, predictor = pipeline  # np.asarray([]) is float64: the text column "city" held no text to show
    assert predictor.predict({"age": [], "visits": [], "city": []}).shape == (0,)


@pytest.mark.parametrize("named", ["age, visits, city", "0, 1, 2"], indirect=True)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_dicts_of_columns_of_any_shape(named, data):
    """Answered with exactly n rows when every column holds one value per row for the same n rows,
    else refused: never more rows (a column of n x 2 values) or fewer."""
    model, predictor, base = named
    X, rows = data.draw(column_dicts(base))
    given = [str(key) for key in X]
    if _names_refused(predictor, X, given, list(rows)):
        return
    if None in rows.values() or len(set(rows.values())) > 1:
        event("refused: shapes or lengths")
        _refused(predictor, X, "expected 1-D", "same length", "one value")
        return
    event("answered")
    n_rows = next(iter(rows.values()))
    flat = {str(key): np.ravel(np.asarray(value, dtype=object)) for key, value in X.items()}
    expected = pd.DataFrame([flat[str(c)] for c in base.columns], index=base.columns).T.infer_objects()
    _agrees(model, predictor, X, expected, n_rows)


# -- compare on classifiers with and without predict_proba (cause 5) ---------------------------
@pytest.fixture(scope="module")
def compared(iris):
    """Fitted models and their predictors: labels as integers and as text, with and without
    predict_proba, and a regressor."""
    from sklearn.linear_model import LogisticRegression, Ridge, RidgeClassifier
    from sklearn.svm import LinearSVC

    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    models = {
        "LinearSVC, integer labels": LinearSVC().fit(X, y),
        "LinearSVC, text labels": LinearSVC().fit(X, names),
        "RidgeClassifier, text labels": RidgeClassifier().fit(X, names),
        "LogisticRegression, text labels": LogisticRegression(max_iter=1000).fit(X, names),
        "LogisticRegression, two classes": LogisticRegression(max_iter=1000).fit(X, y == 0),
        "Ridge (a regressor)": Ridge().fit(X, y),
    }
    return {
        name: (model, helpers.OnnxPredictor(helpers.convert(model, X[:1]))) for name, model in models.items()
    }


@pytest.mark.parametrize(
    "name",
    [
        "LinearSVC, integer labels",
        "LinearSVC, text labels",
        "RidgeClassifier, text labels",
        "LogisticRegression, text labels",
        "LogisticRegression, two classes",
        "Ridge (a regressor)",
    ],
)
@settings(max_examples=EXAMPLES // 3)
@given(data=st.data())
def test_compare_reads_any_classifier_by_its_labels(compared, iris, name, data):
    """``compare`` never crashes, reads a classifier by its labels (and probabilities, when it has
    them), and counts exactly the rows whose labels differ."""
    from sklearn.base import is_classifier

    model, predictor = compared[name]
    iris_X, _ = iris
    n_rows = data.draw(st.integers(1, 30))
    start = data.draw(st.integers(0, len(iris_X) - n_rows))
    X = iris_X[start : start + n_rows] + data.draw(st.sampled_from([0.0, 0.5, -3.0]))  # off the data, too
    report = _quiet(helpers.compare, model, predictor, X)
    classifier = is_classifier(model)
    assert report.has_labels == classifier and report.n_rows == n_rows
    if not classifier:
        assert report.values == "predictions"
    else:
        assert report.values == ("probabilities" if hasattr(model, "predict_proba") else "labels only")
        pairs = zip(model.predict(X).tolist(), predictor.predict(X).tolist(), strict=True)
        assert report.label_mismatches.tolist() == [i for i, (a, b) in enumerate(pairs) if a != b]
    event(f"{report.values}, {'ok' if report.ok else 'mismatch'}")
    assert "verdict" in repr(report) and "<table>" in report._repr_html_()


# -- Dask scoring with any keep and proba_columns (cause 6) ------------------------------------
NAMES = ["id", "label", "a", "p", "p1", "proba_0"]  # few, so that they collide often


@pytest.fixture(scope="module")
def dask_table(logistic, iris):
    """Twenty iris rows with an id and the true label, as 2 partitions; the logistic model's bytes."""
    dd = pytest.importorskip("dask.dataframe")
    batch = pytest.importorskip("helpers.batch")
    X, y = iris
    frame = pd.DataFrame(X[::8], columns=["a", "b", "c", "d"], index=np.arange(100, 100 + len(X[::8])))
    frame.insert(0, "id", [f"row-{i}" for i in range(len(frame))])
    frame["label"] = [f"true-{label}" for label in y[::8]]  # not the predicted labels
    frame["p1"] = -1.0
    model, _ = logistic
    return frame, dd.from_pandas(frame, npartitions=2), batch.OnnxModelBytes(helpers.convert(model, X[:1]))


OUTPUT_NAMES = [*NAMES, "q", "r", "s", "t"]


@settings(max_examples=EXAMPLES)
@given(
    keep=st.lists(st.sampled_from(["id", "label", "a", "p1", "p"]), max_size=3),
    proba_columns=st.one_of(
        st.none(),
        st.lists(st.sampled_from(OUTPUT_NAMES), min_size=3, max_size=3, unique=True),
        st.lists(st.sampled_from(OUTPUT_NAMES), min_size=2, max_size=4),
    ),
    predict=st.booleans(),
    predict_proba=st.sampled_from([True, True, True, False]),
)
def test_dask_scoring_with_any_keep_and_proba_columns(
    dask_table, logistic, keep, proba_columns, predict, predict_proba
):
    """Refused when ``score`` is called (before any compute), naming the problem; else every kept
    column is intact, every output column present, and the rows and index unchanged."""
    import dask

    from helpers.batch import score

    frame, table, model_bytes = dask_table
    model, predictor = logistic
    features = ["a", "b", "c", "d"]
    n_classes = 3 if predict_proba else 0
    proba_names = [f"proba_{i}" for i in range(n_classes)] if proba_columns is None else proba_columns
    outputs = [*keep, *["label"] * predict, *proba_names]
    problems = (
        (["nothing to score"] if not (predict or predict_proba) else [])
        + [name for name in keep if name not in frame.columns]
        + (["probability columns"] if len(proba_names) != n_classes else [])
        + sorted({name for name in outputs if outputs.count(name) > 1})
    )
    options = dict(keep=keep, proba_columns=proba_columns, predict=predict, predict_proba=predict_proba)
    if problems:
        kind = problems[0] if problems[0] in ("nothing to score", "probability columns") else "names"
        event(f"refused: {kind}")
        with pytest.raises((InputError, ValueError)) as refusal:
            score(table, model_bytes, features, **options)
        assert any(problem in str(refusal.value) for problem in problems), (str(refusal.value), problems)
        return
    event("answered")
    with dask.config.set(scheduler="synchronous"):
        scored = score(table, model_bytes, features, **options).compute()
    assert scored.columns.tolist() == outputs
    pd.testing.assert_index_equal(scored.index, frame.index)
    for name in keep:
        pd.testing.assert_series_equal(scored[name], frame[name], check_dtype=False)  # dask: pyarrow text
    if predict:
        np.testing.assert_array_equal(scored["label"], model.predict(frame[features].to_numpy()))
    expected = predictor.predict_proba(frame[features])
    for index, name in enumerate(proba_names):
        np.testing.assert_array_equal(scored[name], expected[:, index])
