"""Test-set metrics of the selected model."""

import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from moonml.data.split import FEATURES, LABEL


def test_metrics(model: ClassifierMixin, test: pd.DataFrame) -> dict[str, float]:
    truth = test[LABEL]
    predicted = model.predict(test[FEATURES])
    probability = model.predict_proba(test[FEATURES])[:, 1]
    return {
        "accuracy": float(accuracy_score(truth, predicted)),
        "precision": float(precision_score(truth, predicted, zero_division=0)),
        "recall": float(recall_score(truth, predicted, zero_division=0)),
        "f1": float(f1_score(truth, predicted, zero_division=0)),
        "roc_auc": float(roc_auc_score(truth, probability)),
    }
