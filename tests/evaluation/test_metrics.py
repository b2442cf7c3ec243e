"""Test-set metrics fit the labels: scikit-learn's own values, under scikit-learn's scorer names."""

import numpy as np
import pytest
from sklearn.datasets import load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import get_scorer, roc_auc_score
from sklearn.svm import LinearSVC

from moonml.evaluation.metrics import test_metrics as metrics_of  # a test_ name would be collected
from moonml.evaluation.names import BINARY, MULTICLASS
from moonml.evaluation.predictions import predict
from tests.evaluation.tables import breast_cancer, breast_cancer_named, digits, fit, wine


def scikit_learn_scores(fitted, names) -> dict[str, float]:
    return {name: float(get_scorer(name)(fitted.model, fitted.X, fitted.y)) for name in names}


def test_binary_metrics_are_scikit_learns() -> None:
    fitted = breast_cancer()
    metrics = metrics_of(predict(fitted.model, fitted.X), fitted.y)
    assert list(metrics) == ["accuracy", "precision", "recall", "f1", "roc_auc"] == list(BINARY)
    assert metrics == pytest.approx(scikit_learn_scores(fitted, BINARY), abs=1e-12)


@pytest.mark.parametrize("table", [wine, digits], ids=["wine", "digits"])
def test_multiclass_metrics_are_macro_averages(table) -> None:
    fitted = table()
    metrics = metrics_of(predict(fitted.model, fitted.X), fitted.y)
    assert list(metrics) == ["accuracy", "precision_macro", "recall_macro", "f1_macro", "roc_auc_ovr"]
    assert list(metrics) == list(MULTICLASS)
    assert metrics == pytest.approx(scikit_learn_scores(fitted, MULTICLASS), abs=1e-12)


def test_string_labels_score_the_positive_class_classes_1() -> None:
    fitted = breast_cancer_named()
    assert fitted.classes == ["benign", "malignant"]
    metrics = metrics_of(predict(fitted.model, fitted.X), fitted.y)
    # The same numbers as with the labels turned into 0/1, "malignant" (classes_[1]) being 1.
    as_numbers = fitted.y.eq("malignant").astype(int)
    predicted = fitted.model.predict(fitted.X) == "malignant"
    tp = int((predicted & as_numbers.eq(1)).sum())
    assert metrics["precision"] == pytest.approx(tp / predicted.sum())
    assert metrics["recall"] == pytest.approx(tp / as_numbers.sum())
    probability = fitted.model.predict_proba(fitted.X)[:, 1]
    assert metrics["roc_auc"] == pytest.approx(roc_auc_score(as_numbers, probability))


def test_multiclass_without_probabilities_leaves_out_roc_auc() -> None:
    X, y = load_wine(return_X_y=True, as_frame=True)
    fitted = fit(X, y, LinearSVC(random_state=0))
    metrics = metrics_of(predict(fitted.model, fitted.X), fitted.y)
    assert list(metrics) == ["accuracy", "precision_macro", "recall_macro", "f1_macro"]
    assert all(np.isfinite(list(metrics.values())))


def test_boolean_labels_score_true_like_1() -> None:
    fitted = breast_cancer()
    as_bool = fit(fitted.X, fitted.y.astype(bool), RandomForestClassifier(n_estimators=30, random_state=0))
    as_int = fit(fitted.X, fitted.y, RandomForestClassifier(n_estimators=30, random_state=0))
    assert as_bool.classes == [False, True]
    assert metrics_of(predict(as_bool.model, as_bool.X), as_bool.y) == metrics_of(
        predict(as_int.model, as_int.X), as_int.y
    )
