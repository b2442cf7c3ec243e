"""Figures for any classification data: the test set's confusion matrix and ROC curves.

Readable up to a few tens of classes: the figure grows with the number of classes, long labels
are shortened, and the cell counts shrink their font as the cells shrink.
"""

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from sklearn.metrics import auc, confusion_matrix, roc_curve

from moonml.evaluation.predictions import Predictions

LABEL_CHARS = 28  # longer class or feature names are cut, so the axes keep their room


def short(name: object) -> str:
    text = str(name)
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def confusion_figure(predictions: Predictions, y: pd.Series) -> Figure:
    """Counts of true (rows) against predicted (columns) class; shading by the share of each true class."""
    classes = predictions.classes
    counts = confusion_matrix(y, predictions.labels, labels=classes)
    rows = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows > 0)
    size = min(4.5 + 0.5 * len(classes), 12)
    figure = Figure(figsize=(size + 1.2, size), layout="constrained")
    axes = figure.add_subplot()
    image = axes.imshow(share, cmap="Blues", vmin=0, vmax=1)
    figure.colorbar(image, ax=axes, label="share of the true class", shrink=0.8)
    font = "medium" if len(classes) <= 6 else "small" if len(classes) <= 12 else "x-small"
    for (row, column), count in np.ndenumerate(counts):
        colour = "white" if share[row, column] > 0.6 else "black"
        axes.text(column, row, f"{count:,}", ha="center", va="center", color=colour, fontsize=font)
    names = [short(name) for name in classes]
    ticks = range(len(classes))
    rotate = len(classes) > 4 or max(map(len, names)) > 6
    axes.set_xticks(ticks, names, rotation=45 if rotate else 0, ha="right" if rotate else "center")
    axes.set_yticks(ticks, names)
    accuracy = np.trace(counts) / max(counts.sum(), 1)
    axes.set(
        xlabel="predicted class",
        ylabel="true class",
        title=f"Confusion matrix, {counts.sum():,} test rows, accuracy {accuracy:.3f}",
    )
    return figure


def roc_figure(predictions: Predictions, y: pd.Series) -> Figure | None:
    """Two classes: the ROC curve of classes[1]. More: one curve per class against the rest.

    None where the model gives no scores to rank by (no predict_proba, and for two classes no
    decision_function either).
    """
    truth, classes = np.asarray(y), predictions.classes
    if len(classes) == 2:
        scores = predictions.positive_scores()
        if scores is None:
            return None
        curves = [(f"positive class {short(classes[1])}", truth == classes[1], scores)]
    elif predictions.probabilities is not None:
        probability = predictions.probabilities
        curves = [(short(name), truth == name, probability[:, i]) for i, name in enumerate(classes)]
    else:
        return None
    figure = Figure(figsize=(7.5, 6.5), layout="constrained")
    axes = figure.add_subplot()
    palette = colormaps["tab10" if len(curves) <= 10 else "tab20"]
    for i, (name, positive, score) in enumerate(curves):
        if positive.all() or not positive.any():
            continue  # a class absent from the test rows has no curve
        false_positive, true_positive, _ = roc_curve(positive, score)
        area = auc(false_positive, true_positive)
        axes.plot(
            false_positive,
            true_positive,
            color=palette(i % palette.N),
            lw=1.6,
            label=f"{name} (AUC {area:.3f})",
        )
    axes.plot([0, 1], [0, 1], color="grey", linestyle="--", lw=0.8, label="chance")
    title = (
        "ROC curve" if len(classes) == 2 else f"ROC curves, each of {len(classes)} classes against the rest"
    )
    axes.set(
        xlabel="false positive rate", ylabel="true positive rate", title=title, xlim=(0, 1), ylim=(0, 1.01)
    )
    axes.set_aspect("equal")
    axes.legend(loc="lower right", fontsize="small" if len(curves) <= 10 else "x-small", framealpha=0.9)
    return figure
