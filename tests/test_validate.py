from __future__ import annotations

import numpy as np
import pytest

import helpers


class _Shifted:
    """An ONNX-like predictor whose answers are off by a known amount."""

    is_classifier = True

    def __init__(self, predictor, shift=0.0, flip_rows=()):
        self.predictor, self.shift, self.flip_rows = predictor, shift, list(flip_rows)

    def predict(self, X):
        labels = self.predictor.predict(X).copy()
        labels[self.flip_rows] = (labels[self.flip_rows] + 1) % 3
        return labels

    def predict_proba(self, X):
        proba = self.predictor.predict_proba(X).copy()
        proba[self.flip_rows, 0] += self.shift
        return proba


def test_agreeing_models_report_ok(logistic, iris):
    model, predictor = logistic
    X, _ = iris
    report = helpers.compare(model, predictor, X)
    assert report.ok
    assert report.label_agreement == 1.0
    assert report.values == "probabilities"
    assert 0 < report.max_abs_diff < 1e-5
    assert "150 / 150 agree" in repr(report) and "verdict" in repr(report)
    assert "<table>" in report._repr_html_()


def test_mismatches_are_counted_and_located(logistic, iris):
    model, predictor = logistic
    X, _ = iris
    report = helpers.compare(model, _Shifted(predictor, shift=0.01, flip_rows=[3, 70]), X)
    assert not report.ok
    assert list(report.label_mismatches) == [3, 70]
    assert list(report.worst_rows) == [3, 70]
    assert report.label_agreement == pytest.approx(148 / 150)
    assert report.max_abs_diff == pytest.approx(0.01, rel=1e-3)
    assert "MISMATCH" in repr(report)


def test_tolerance_decides(logistic, iris):
    model, predictor = logistic
    X, _ = iris
    assert helpers.compare(model, _Shifted(predictor, shift=0.0), X).ok

    class _Offset(_Shifted):
        def predict_proba(self, X):
            return self.predictor.predict_proba(X) + 1e-3

    offset = _Offset(predictor)
    assert not helpers.compare(model, offset, X).ok
    assert helpers.compare(model, offset, X, atol=2e-3).ok


def test_relative_difference_is_safe_at_zero(ridge):
    model, predictor, X = ridge

    class _Zero:
        is_classifier = False

        def predict(self, X):
            return np.zeros(len(X))

    report = helpers.compare(model, predictor, X)
    assert report.ok and report.values == "predictions" and not report.has_labels
    zero_report = helpers.compare(model, _Zero(), X)
    assert np.isfinite(zero_report.max_rel_diff)
    assert zero_report.max_rel_diff == pytest.approx(1.0)


def test_assert_agrees_raises_with_the_report(logistic, iris):
    model, predictor = logistic
    X, _ = iris
    assert helpers.assert_agrees(model, predictor, X).ok
    with pytest.raises(AssertionError, match=r"does not agree(.|\n)*another label\s+row 5 \(1 in all\)"):
        helpers.assert_agrees(model, _Shifted(predictor, flip_rows=[5]), X)


def test_string_labels(iris):
    from sklearn.linear_model import LogisticRegression

    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    model = LogisticRegression(max_iter=1000).fit(X, names)
    predictor = helpers.OnnxPredictor(helpers.convert(model, X[:1]))
    assert predictor.predict(X[:1])[0] == "setosa"
    assert helpers.compare(model, predictor, X).ok


def test_a_classifier_without_probabilities_is_compared_by_its_labels(iris):
    """LinearSVC has no predict_proba: its string labels are compared, not read as numbers."""
    from sklearn.svm import LinearSVC

    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    model = LinearSVC().fit(X, names)
    report = helpers.compare(model, helpers.OnnxPredictor(helpers.convert(model, X[:1])), X)
    assert report.ok and report.values == "labels only" and report.has_labels
    assert "150 / 150 agree" in repr(report) and "difference" not in repr(report)
