"""Test-set metrics of the selected model."""

import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score


def test_metrics(
    model: ClassifierMixin, test: pd.DataFrame, features: list[str], label: str
) -> dict[str, float]:
    truth = test[label]
    predicted = model.predict(test[features])
    probability = model.predict_proba(test[features])
    # Two classes: the second (1 of 0/1) is the positive one; more: macro averages, one-vs-rest AUC.
    binary = len(model.classes_) == 2
    average = {"average": "binary", "pos_label": model.classes_[1]} if binary else {"average": "macro"}
    return {
        "accuracy": float(accuracy_score(truth, predicted)),
        "precision": float(precision_score(truth, predicted, zero_division=0, **average)),
        "recall": float(recall_score(truth, predicted, zero_division=0, **average)),
        "f1": float(f1_score(truth, predicted, zero_division=0, **average)),
        "roc_auc": float(
            roc_auc_score(truth, probability[:, 1])
            if binary
            else roc_auc_score(truth, probability, multi_class="ovr")
        ),
    }
