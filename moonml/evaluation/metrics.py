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
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from moonml.evaluation.predictions import Predictions


def test_metrics(predictions: Predictions, y: pd.Series) -> dict[str, float]:
    """The metrics of `metric_names` for the model's `predictions` of the test rows, labels `y`."""
    predicted, classes = predictions.labels, predictions.classes
    if len(classes) == 2:
        return _binary(predictions, y)
    settings: dict[str, Any] = {"average": "macro", "zero_division": 0}
    metrics = {
        "accuracy": accuracy_score(y, predicted),
        "precision_macro": precision_score(y, predicted, **settings),
        "recall_macro": recall_score(y, predicted, **settings),
        "f1_macro": f1_score(y, predicted, **settings),
    }
    if predictions.probabilities is not None:
        metrics["roc_auc_ovr"] = roc_auc_score(
            y, predictions.probabilities, multi_class="ovr", labels=classes
        )
    return {name: float(value) for name, value in metrics.items()}


def _binary(predictions: Predictions, y: pd.Series) -> dict[str, float]:
    predicted, positive = predictions.labels, predictions.classes[1]
    settings: dict[str, Any] = {"pos_label": positive, "zero_division": 0}
    metrics = {
        "accuracy": accuracy_score(y, predicted),
        "precision": precision_score(y, predicted, **settings),
        "recall": recall_score(y, predicted, **settings),
        "f1": f1_score(y, predicted, **settings),
    }
    scores = predictions.positive_scores()
    if scores is not None:
        metrics["roc_auc"] = roc_auc_score(np.asarray(y) == positive, scores)
    return {name: float(value) for name, value in metrics.items()}
