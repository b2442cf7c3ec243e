"""Test-set metrics of the selected model, named after the scikit-learn scorers that compute them,
so that `model.scoring` and `objective.metric` speak the same names.

Two classes: accuracy, precision, recall, f1, roc_auc. The positive class is the model's
`classes_[1]`, the later of the two labels in sort order: 1 of 0/1, True of False/True, "yes" of
"no"/"yes", "malignant" of "benign"/"malignant".
More classes: accuracy; precision_macro, recall_macro, f1_macro (the mean over classes, each
class weighing the same whatever its size); roc_auc_ovr (each class against the rest, macro
mean), logged only for a model that gives probabilities.
"""

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score


def positive_scores(model: ClassifierMixin, X: pd.DataFrame) -> np.ndarray | None:
    """How strongly the model predicts classes_[1] per row, as scikit-learn's roc_auc scorer reads it."""
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)[:, 1]
    if hasattr(model, "decision_function"):
        return model.decision_function(X)
    return None


def test_metrics(model: ClassifierMixin, X: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    """The metrics of `metric_names` for the fitted `model` on the test rows `X`, labels `y`."""
    predicted = model.predict(X)
    if len(model.classes_) == 2:
        return _binary(model, X, y, predicted)
    settings: dict[str, Any] = {"average": "macro", "zero_division": 0}
    metrics = {
        "accuracy": accuracy_score(y, predicted),
        "precision_macro": precision_score(y, predicted, **settings),
        "recall_macro": recall_score(y, predicted, **settings),
        "f1_macro": f1_score(y, predicted, **settings),
    }
    if hasattr(model, "predict_proba"):
        probability = model.predict_proba(X)
        metrics["roc_auc_ovr"] = roc_auc_score(y, probability, multi_class="ovr", labels=model.classes_)
    return {name: float(value) for name, value in metrics.items()}


def _binary(model: ClassifierMixin, X: pd.DataFrame, y: pd.Series, predicted: np.ndarray) -> dict[str, float]:
    settings: dict[str, Any] = {"pos_label": model.classes_[1], "zero_division": 0}
    metrics = {
        "accuracy": accuracy_score(y, predicted),
        "precision": precision_score(y, predicted, **settings),
        "recall": recall_score(y, predicted, **settings),
        "f1": f1_score(y, predicted, **settings),
    }
    scores = positive_scores(model, X)
    if scores is not None:
        metrics["roc_auc"] = roc_auc_score(np.asarray(y) == model.classes_[1], scores)
    return {name: float(value) for name, value in metrics.items()}
