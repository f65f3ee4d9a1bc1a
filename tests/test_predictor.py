from __future__ import annotations

import pickle
import threading

import numpy as np
import onnx
import onnx.numpy_helper
import onnxruntime as ort
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import helpers


# -- agreement on good input ---------------------------------------------------
def test_predict_and_proba_match_sklearn(logistic, forest, boosting, iris):
    X, _ = iris
    for model, predictor in (logistic, forest, boosting):
        np.testing.assert_array_equal(predictor.predict(X), model.predict(X))
        np.testing.assert_allclose(predictor.predict_proba(X), model.predict_proba(X), atol=1e-5)


def test_bool_labels_come_back_as_bool(iris):
    """skl2onnx stores bool classes as 0 and 1; the predictor gives scikit-learn's bools back."""
    X, y = iris
    model = LogisticRegression(max_iter=500).fit(X, y == 0)
    predictor = helpers.OnnxPredictor(helpers.convert(model, X[:1]))
    labels = predictor.predict(X)
    assert labels.dtype == bool and predictor.predict(X[:0]).dtype == bool
    np.testing.assert_array_equal(labels, model.predict(X))
    assert predictor.predict_with_proba(X[:5])[0].tolist() == model.predict(X[:5]).tolist()


def test_regressor_predict_is_one_dimensional(ridge):
    model, predictor, X = ridge
    prediction = predictor.predict(X)
    assert prediction.shape == (len(X),)
    np.testing.assert_allclose(prediction, model.predict(X), rtol=1e-5)
    with pytest.raises(AttributeError, match="no probability output"):
        predictor.predict_proba(X)


def test_accepts_path_bytes_and_proto(logistic, iris, tmp_path):
    model, _ = logistic
    X, _ = iris
    onnx_model = helpers.convert(model, X[:1])
    path = tmp_path / "model.onnx"
    path.write_bytes(onnx_model.SerializeToString())
    for source in (onnx_model, onnx_model.SerializeToString(), path, str(path)):
        np.testing.assert_array_equal(helpers.OnnxPredictor(source).predict(X), model.predict(X))


def test_zipmap_model_still_gives_an_array(logistic, iris):
    model, _ = logistic
    X, _ = iris
    predictor = helpers.OnnxPredictor(helpers.convert(model, X[:1], zipmap=True))
    np.testing.assert_allclose(predictor.predict_proba(X), model.predict_proba(X), atol=1e-5)


def test_presets_set_threads(logistic):
    assert helpers.session_options("latency").intra_op_num_threads == 1
    assert helpers.session_options("throughput").intra_op_num_threads == 0
    options = helpers.session_options(
        "latency", intra_op_num_threads=2, graph_optimization_level=ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    )
    assert options.intra_op_num_threads == 2
    assert options.graph_optimization_level == ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    with pytest.raises(ValueError, match="preset must be one of"):
        helpers.session_options("fastest")
    with pytest.raises(TypeError, match="unknown session option 'threads'"):
        helpers.session_options(threads=2)


def test_concurrent_calls_are_correct(forest, iris):
    model, predictor = forest
    X, _ = iris
    expected = model.predict(X)
    failures = []

    def work():
        for _ in range(20):
            if not np.array_equal(predictor.predict(X), expected):
                failures.append(1)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


# -- bad input: arrays ---------------------------------------------------------
def test_wrong_number_of_features(logistic, iris):
    X, _ = iris
    with pytest.raises(helpers.InputError, match="expected 4 features .*got 3"):
        logistic[1].predict(X[:, :3])


def test_one_dimensional_input(logistic, iris):
    X, _ = iris
    with pytest.raises(helpers.InputError, match=r"2-D array .* got a 1-D .*reshape\(1, -1\)"):
        logistic[1].predict(X[0])


def test_float64_is_cast_to_the_model_float32(logistic, iris):
    _, predictor = logistic
    X, _ = iris
    assert predictor.session.get_inputs()[0].type == "tensor(float)"
    np.testing.assert_allclose(
        predictor.predict_proba(X.astype(np.float64)), predictor.predict_proba(X.astype(np.float32))
    )


def test_integer_and_list_input_are_accepted(logistic, iris):
    model, predictor = logistic
    X, _ = iris
    np.testing.assert_array_equal(predictor.predict(X.round().astype(int)), model.predict(X.round()))
    np.testing.assert_array_equal(predictor.predict(X[:2].tolist()), model.predict(X[:2]))


def test_strings_where_numbers_are_expected(logistic, iris):
    X, _ = iris
    bad = X[:2].astype(object)
    bad[1, 2] = "tall"
    with pytest.raises(helpers.InputError, match="expected numbers .*'tall'"):
        logistic[1].predict(bad)
    numeric_strings = X[:2].astype(str)
    np.testing.assert_array_equal(logistic[1].predict(numeric_strings), logistic[0].predict(X[:2]))


def test_empty_batch_gives_empty_result_of_the_right_shape(logistic, ridge, iris):
    X, _ = iris
    assert logistic[1].predict(X[:0]).shape == (0,)
    assert logistic[1].predict(X[:0]).dtype == np.int64
    assert logistic[1].predict_proba(X[:0]).shape == (0, 3)
    assert ridge[1].predict(ridge[2][:0]).shape == (0,)


def test_nan_rejected_where_sklearn_rejects_it(logistic, iris):
    model, predictor = logistic
    X, _ = iris
    X_nan = X[:5].copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.predict(X_nan)
    with pytest.raises(
        helpers.InputError, match=r"column\(s\) \[1\] contain NaN in 1 row\(s\) \(first: row 3\)"
    ):
        predictor.predict(X_nan)
    with pytest.raises(helpers.InputError, match="NaN"):
        predictor.predict_proba(X_nan.astype(np.float32))


def test_nan_follows_sklearn_where_sklearn_accepts_it(boosting, iris):
    model, predictor = boosting
    X, _ = iris
    X_nan = X.copy()
    X_nan[::4, 2] = np.nan
    np.testing.assert_array_equal(predictor.predict(X_nan), model.predict(X_nan))
    np.testing.assert_allclose(predictor.predict_proba(X_nan), model.predict_proba(X_nan), atol=1e-5)


# -- bad input: DataFrames -----------------------------------------------------
def test_dataframe_pipeline_matches_sklearn(pipeline, mixed_frame):
    model, predictor = pipeline
    frame, _ = mixed_frame
    np.testing.assert_array_equal(predictor.predict(frame), model.predict(frame))
    np.testing.assert_allclose(predictor.predict_proba(frame), model.predict_proba(frame), atol=1e-5)


def test_reordered_columns_are_matched_by_name(pipeline, mixed_frame):
    model, predictor = pipeline
    frame, _ = mixed_frame
    reordered = frame[["city", "visits", "age"]]
    np.testing.assert_array_equal(predictor.predict(reordered), model.predict(frame))


def test_missing_and_extra_columns_are_named(pipeline, mixed_frame):
    _, predictor = pipeline
    frame, _ = mixed_frame
    with pytest.raises(helpers.InputError, match=r"missing columns \['visits'\]"):
        predictor.predict(frame.drop(columns="visits"))
    with pytest.raises(helpers.InputError, match=r"unexpected columns \['extra'\]"):
        predictor.predict(frame.assign(extra=1.0))


def test_array_given_to_a_per_column_model(pipeline, mixed_frame):
    """An array with the fitted columns, in order, is read column by column; any other is refused."""
    model, predictor = pipeline
    frame, _ = mixed_frame
    np.testing.assert_array_equal(predictor.predict(frame.to_numpy()), model.predict(frame))
    with pytest.raises(helpers.InputError, match="pass a pandas DataFrame"):
        predictor.predict(frame.to_numpy()[:, :2])


def test_strings_in_a_numeric_column(pipeline, mixed_frame):
    _, predictor = pipeline
    frame, _ = mixed_frame
    bad = frame[:3].astype({"visits": object})
    bad.loc[1, "visits"] = "many"
    with pytest.raises(helpers.InputError, match="column 'visits': expected numbers .*'many'"):
        predictor.predict(bad)


def test_missing_string_value(pipeline, mixed_frame):
    _, predictor = pipeline
    frame, _ = mixed_frame
    bad = frame[:3].astype({"city": object})
    bad.loc[0, "city"] = None
    with pytest.raises(helpers.InputError, match="column 'city' has 1 missing value"):
        predictor.predict(bad)


def test_unknown_category_and_imputed_nan_follow_sklearn(pipeline, mixed_frame):
    model, predictor = pipeline
    frame, _ = mixed_frame
    new = frame[:4].copy()
    new.loc[0, "city"] = "marseille"
    new.loc[1, "age"] = np.nan
    np.testing.assert_allclose(predictor.predict_proba(new), model.predict_proba(new), atol=1e-5)


def test_empty_dataframe(pipeline, mixed_frame):
    _, predictor = pipeline
    frame, _ = mixed_frame
    assert predictor.predict_proba(frame[:0]).shape == (0, 2)


def test_dataframe_for_an_array_model_is_checked_by_name(iris):
    X, y = iris
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(max_iter=1000).fit(frame, y)
    predictor = helpers.OnnxPredictor(helpers.convert(model, X[:1]))
    np.testing.assert_array_equal(predictor.predict(frame[["d", "c", "b", "a"]]), model.predict(frame))
    with pytest.raises(helpers.InputError, match=r"missing columns \['d'\]"):
        predictor.predict(frame[["a", "b", "c"]])


# -- bad model files ------------------------------------------------------------
def test_corrupt_file_is_named(tmp_path):
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"this is not an onnx model \x00\x01\x02")
    with pytest.raises(helpers.ModelFileError, match="broken.onnx.* is not a loadable ONNX model"):
        helpers.OnnxPredictor(path)


def test_truncated_file_is_named(logistic, iris, tmp_path):
    X, _ = iris
    content = helpers.convert(logistic[0], X[:1]).SerializeToString()
    path = tmp_path / "truncated.onnx"
    path.write_bytes(content[: len(content) // 2])
    with pytest.raises(helpers.ModelFileError, match="truncated.onnx"):
        helpers.OnnxPredictor(path)


def test_pickle_is_refused_not_loaded(logistic, tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(logistic[0]))
    with pytest.raises(helpers.ModelFileError, match="looks like a pickle .*never unpickles"):
        helpers.OnnxPredictor(path)


@pytest.fixture(scope="module")
def mlp(iris):
    """A model whose weights are initializers, the tensors external data can hold."""
    from sklearn.neural_network import MLPClassifier

    X, y = iris
    model = MLPClassifier((8,), solver="lbfgs", max_iter=2_000, random_state=0).fit(X, y)
    return model, helpers.convert(model, X[:1])


def _save_with_external_data(onnx_model, path):
    """``onnx_model`` saved at ``path``, every initializer in ``<name>.data`` beside it."""
    model = onnx.ModelProto()
    model.CopyFrom(onnx_model)
    for tensor in model.graph.initializer:  # external data needs raw bytes
        tensor.CopyFrom(onnx.numpy_helper.from_array(onnx.numpy_helper.to_array(tensor), tensor.name))
    onnx.save_model(model, path, save_as_external_data=True, location=f"{path.name}.data", size_threshold=0)
    assert path.with_name(f"{path.name}.data").stat().st_size > 0


def test_a_model_with_external_data_loads_from_any_directory(mlp, iris, tmp_path, monkeypatch):
    (model, onnx_model), X = mlp, iris[0]
    path = tmp_path / "models" / "mlp.onnx"
    path.parent.mkdir()
    _save_with_external_data(onnx_model, path)
    monkeypatch.chdir(tmp_path)  # not the model's folder: its data is found beside the file
    for given in (path, "models/mlp.onnx"):
        predictor = helpers.OnnxPredictor(given)
        np.testing.assert_allclose(predictor.predict_proba(X), model.predict_proba(X), atol=1e-5)


def test_external_data_missing_or_outside_the_folder_is_named(mlp, tmp_path):
    path = tmp_path / "inside" / "mlp.onnx"
    path.parent.mkdir()
    _save_with_external_data(mlp[1], path)
    data = path.with_name("mlp.onnx.data").rename(tmp_path / "mlp.onnx.data")
    with pytest.raises(helpers.ModelFileError, match="mlp.onnx' keeps tensors in files beside it"):
        helpers.OnnxPredictor(path)
    escaping = onnx.load(path, load_external_data=False)
    for tensor in escaping.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = f"../{data.name}"  # the file exists, outside the model's folder
    onnx.save_model(escaping, path)
    with pytest.raises(helpers.ModelFileError, match="points outside the directory"):
        helpers.OnnxPredictor(path)


def test_external_data_given_as_bytes_or_a_modelproto_says_to_pass_the_path(mlp, iris, tmp_path):
    (model, onnx_model), X = mlp, iris[0]
    path = tmp_path / "mlp.onnx"
    _save_with_external_data(onnx_model, path)
    for given in (path.read_bytes(), onnx.load(path, load_external_data=False)):
        with pytest.raises(helpers.ModelFileError, match=r"external data files \(mlp\.onnx\.data\).*path of"):
            helpers.OnnxPredictor(given)
    loaded = helpers.OnnxPredictor(onnx.load(path))  # the advice works: onnx.load reads the data in
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X), atol=1e-5)


def test_missing_file_and_wrong_type(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.onnx"):
        helpers.OnnxPredictor(tmp_path / "nothere.onnx")
    with pytest.raises(TypeError, match="got int"):
        helpers.OnnxPredictor(3)


def test_nan_refused_where_the_onnx_model_would_answer_differently(iris):
    # scikit-learn's forests accept NaN, but skl2onnx 1.20 drops that support: refuse, do not guess.
    from sklearn.ensemble import RandomForestClassifier

    X, y = iris
    forest = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    predictor = helpers.OnnxPredictor(helpers.convert(forest, X[:10]))
    X_nan = X[:6].copy()
    X_nan[4, 2] = np.nan
    forest.predict(X_nan)  # scikit-learn answers
    with pytest.raises(helpers.InputError, match=r"column\(s\) \[2\] .*does not handle NaN the way"):
        predictor.predict(X_nan)
    np.testing.assert_array_equal(predictor.predict(X[:6]), forest.predict(X[:6]))


def test_columns_renamed_by_skl2onnx_are_fed_by_their_original_name(renamed_pipeline, mixed_frame):
    model, renamed = renamed_pipeline
    predictor = helpers.OnnxPredictor(helpers.convert(model, renamed[:1]))
    np.testing.assert_allclose(predictor.predict_proba(renamed), model.predict_proba(renamed), atol=1e-5)
    with pytest.raises(helpers.InputError, match=r"missing columns \['age/years'\]"):
        predictor.predict(mixed_frame[0])


def test_small_and_large_frames_give_the_same_answers(pipeline, mixed_frame):
    # frames of up to 64 rows take a one-conversion path; larger ones go column by column
    model, predictor = pipeline
    frame, _ = mixed_frame
    large = predictor.predict_proba(frame)
    small = np.vstack(
        [predictor.predict_proba(frame[start : start + 50]) for start in range(0, len(frame), 50)]
    )
    np.testing.assert_array_equal(small, large)
    np.testing.assert_allclose(predictor.predict_proba(frame[:1]), model.predict_proba(frame[:1]), atol=1e-5)


def test_non_integral_numbers_for_an_integer_column(pipeline, mixed_frame):
    _, predictor = pipeline
    frame, _ = mixed_frame
    for rows in (frame[:3], frame):  # the small-frame and the column-by-column paths
        bad = rows.astype({"visits": float})
        bad.loc[1, "visits"] = 2.5
        with pytest.raises(helpers.InputError, match="column 'visits': expected integers"):
            predictor.predict(bad)
        as_text = rows.astype({"visits": str})
        np.testing.assert_array_equal(predictor.predict(as_text), predictor.predict(rows))


@pytest.mark.parametrize("rows", [10, 200])
def test_a_frame_with_integer_column_names_is_fed_at_any_size(rows):
    """One input per column, integer names: small frames and large ones (read column by column)."""
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({0: rng.normal(size=rows), 1: rng.choice(["a", "b"], rows)})
    columns = make_column_transformer((StandardScaler(), [0]), (OneHotEncoder(), [1]))
    model = make_pipeline(columns, LogisticRegression()).fit(frame, frame[0] > 0)
    predictor = helpers.OnnxPredictor(helpers.convert(model, frame[:1]))
    np.testing.assert_array_equal(predictor.predict(frame), model.predict(frame))


# -- a dict of columns: scalars, and text kept exactly --------------------------
def test_a_scalar_in_a_dict_of_columns_is_refused_not_taken_as_a_row(pipeline):
    """pandas refuses ``DataFrame({"a": 1.0})`` (it asks for an index), and so does the predictor:
    one value is no column; a list of one value is one row."""
    model, predictor = pipeline
    row = {"age": 40.0, "visits": 3, "city": "nice"}
    with pytest.raises(helpers.InputError, match=r"column 'age' is one value, 40\.0: pass a list"):
        predictor.predict(row)
    as_lists = {name: [value] for name, value in row.items()}
    np.testing.assert_array_equal(predictor.predict(as_lists), model.predict(pd.DataFrame(as_lists)))


@pytest.mark.parametrize("container", [list, tuple, lambda v: np.array(v, dtype=object)])
def test_text_in_a_dict_of_lists_keeps_a_trailing_nul(pipeline, container):
    """numpy's fixed-width text type drops a trailing NUL ('nice\\x00' would become 'nice'): lists and
    object arrays are read as objects, so the NUL is seen and refused, naming the column and row."""
    _, predictor = pipeline
    columns = {"age": [40.0, 41.0], "visits": [3, 4], "city": container(["nice", "nice\x00"])}
    with pytest.raises(helpers.InputError, match=r"column 'city' holds NUL .* row 1"):
        predictor.predict(columns)
