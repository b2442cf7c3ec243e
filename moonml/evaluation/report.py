"""The run's figures, chosen by the data: the decision boundary and the data's scatter only for
two numeric features and two classes (the tutorial's shape); for any data the confusion matrix,
the ROC curve(s) and the feature importances.
"""

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from sklearn.base import ClassifierMixin

from moonml.evaluation.diagnostics import confusion_figure, roc_figure
from moonml.evaluation.figures import Columns, data_figure, decision_boundary_figure, save_figure
from moonml.evaluation.importance import importance_figure, importances
from moonml.evaluation.predictions import Predictions


def boundary_fits(model: ClassifierMixin, X: pd.DataFrame, classes: Sequence) -> bool:
    """A plane of two numeric features, shaded by the probability of the second of two classes."""
    numeric = all(is_numeric_dtype(X[name]) and not is_bool_dtype(X[name]) for name in X.columns)
    return X.shape[1] == 2 and numeric and len(classes) == 2 and hasattr(model, "predict_proba")


def write_figures(
    model: ClassifierMixin,
    predictions: Predictions,
    train: pd.DataFrame,
    test: pd.DataFrame,
    columns: Columns,
    out: Path,
    seed: int,
) -> list[str]:
    """Draw and save the figures that fit this data in `out` (`predictions`: the model's for
    `test`); return their file names."""
    features, label = list(columns[0]), columns[1]
    X, y, classes = test[features], test[label], list(model.classes_)
    figures = {}
    if boundary_fits(model, X, classes):
        figures["decision_boundary.png"] = decision_boundary_figure(model, train, test, seed, columns)
        figures["data.png"] = data_figure(train, test, seed, columns)
    figures["confusion_matrix.png"] = confusion_figure(predictions, y)
    figures["roc_curve.png"] = roc_figure(predictions, y)
    importance = importances(model, X, y, features, seed)
    figures["feature_importance.png"] = importance_figure(*importance) if importance else None
    written = []
    for name, figure in figures.items():
        if figure is not None:
            save_figure(figure, out / name)
            written.append(name)
    return written
