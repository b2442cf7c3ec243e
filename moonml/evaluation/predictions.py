"""The selected model's answers for the test rows, computed once: the metrics, the confusion
matrix and the ROC curves all read them (each predicted the test set itself: seconds at 50,000 rows)."""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin


@dataclass(frozen=True)
class Predictions:
    classes: list  # the model's classes_, in its order
    labels: np.ndarray  # predict
    probabilities: np.ndarray | None  # predict_proba, where the model gives probabilities
    decisions: np.ndarray | None  # decision_function, for two classes and no probabilities

    def positive_scores(self) -> np.ndarray | None:
        """How strongly each row is classes[1], as scikit-learn's roc_auc scorer reads it."""
        if self.probabilities is not None:
            return self.probabilities[:, 1]
        return self.decisions


def predict(model: ClassifierMixin, X: pd.DataFrame) -> Predictions:
    """What `model` answers for the rows `X`."""
    probabilities = model.predict_proba(X) if hasattr(model, "predict_proba") else None
    binary = len(model.classes_) == 2
    ranks = probabilities is None and binary and hasattr(model, "decision_function")
    return Predictions(
        list(model.classes_), model.predict(X), probabilities, model.decision_function(X) if ranks else None
    )
