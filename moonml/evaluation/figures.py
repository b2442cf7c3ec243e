"""The run's figures. Each draws a bounded sample, so plotting time does not grow with the data.

Counts and accuracy in the labels are computed on the whole data, and the labels say how much
of it is drawn.
"""

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from sklearn.base import ClassifierMixin

from moonml.data.moons import FEATURES, LABEL
from moonml.errors import MoonmlError

Columns = tuple[Sequence[str], str]  # the two feature names, and the label's

# Blue and orange (for the first and second class) stay distinct for the common colour-vision deficiencies.
CLASS_COLOURS = ("#1f77b4", "#ff7f0e")
PROBABILITY_MAP = LinearSegmentedColormap.from_list("moonml", [CLASS_COLOURS[0], "#f7f7f7", CLASS_COLOURS[1]])
MAX_POINTS = 2000  # per data set drawn
GRID_STEPS = 200  # probability mesh resolution per axis
# Marker styles: (train, test, ring) for a few hundred points and for a full sample, where
# bigger or opaque markers would bury the shading.
FEW_POINTS = (
    {"s": 14, "alpha": 0.8, "edgecolors": "white", "linewidths": 0.4},
    {"s": 42, "marker": "^", "edgecolors": "black", "linewidths": 0.6},
    {"s": 150, "linewidths": 1.8},
)
MANY_POINTS = (
    {"s": 4, "alpha": 0.35, "edgecolors": "none"},
    {"s": 10, "marker": "^", "alpha": 0.5, "edgecolors": "none"},
    {"s": 40, "linewidths": 0.9},
)


def _sample(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    return frame if len(frame) <= MAX_POINTS else frame.sample(MAX_POINTS, random_state=seed)


def _scatter_classes(
    axes, frame: pd.DataFrame, name: str, columns: Columns, classes: Sequence, **style
) -> None:
    (first, second), label = columns
    for cls, colour in zip(classes, CLASS_COLOURS, strict=True):
        rows = frame[frame[label] == cls]
        axes.scatter(rows[first], rows[second], color=colour, label=f"{name} {label}={cls}", **style)


def _misclassified_label(plotted: int, drawn: int, errors: int, rows: int) -> str:
    if drawn == rows:
        return f"misclassified test: {errors:,} of {rows:,}"
    return f"misclassified test: {plotted:,} of {drawn:,} plotted; {errors:,} of {rows:,}"


def decision_boundary_figure(
    model: ClassifierMixin,
    train: pd.DataFrame,
    test: pd.DataFrame,
    seed: int = 0,
    columns: Columns = (FEATURES, LABEL),
) -> Figure:
    """P(y=1) shading, the 0.5 boundary, train and test points, misclassified test points ringed.

    For two numeric features and two classes (`columns`: the feature names and the label), y=1
    being the model's classes_[1].
    """
    features, label = columns
    (first, second), classes = features, model.classes_
    wrong = pd.Series(model.predict(test[features]) != test[label].to_numpy(), index=test.index)
    accuracy = 1 - wrong.mean()
    scale = MANY_POINTS if max(len(train), len(test)) > MAX_POINTS else FEW_POINTS
    train_style, test_style, ring_style = scale
    drawn_train, drawn_test = _sample(train, seed), _sample(test, seed)
    both = pd.concat([drawn_train, drawn_test])
    margin = 0.5
    x1 = np.linspace(both[first].min() - margin, both[first].max() + margin, GRID_STEPS)
    x2 = np.linspace(both[second].min() - margin, both[second].max() + margin, GRID_STEPS)
    mesh1, mesh2 = np.meshgrid(x1, x2)
    mesh = pd.DataFrame({first: mesh1.ravel(), second: mesh2.ravel()})
    probability = model.predict_proba(mesh[features])[:, 1].reshape(mesh1.shape)
    positive = f"P({label}={classes[1]})"

    figure = Figure(figsize=(8, 6.5), layout="constrained")
    axes = figure.add_subplot()
    shading = axes.contourf(
        mesh1, mesh2, probability, levels=np.linspace(0, 1, 11), cmap=PROBABILITY_MAP, alpha=0.45
    )
    axes.contour(mesh1, mesh2, probability, levels=[0.5], colors="black", linewidths=1.2)
    figure.colorbar(shading, ax=axes, label=f"predicted {positive}")
    _scatter_classes(axes, drawn_train, "train", columns, classes, **train_style)
    _scatter_classes(axes, drawn_test, "test", columns, classes, **test_style)
    ringed = drawn_test[wrong[drawn_test.index]]
    axes.scatter(
        ringed[first],
        ringed[second],
        facecolors="none",
        edgecolors="crimson",
        label=_misclassified_label(len(ringed), len(drawn_test), int(wrong.sum()), len(test)),
        **ring_style,
    )
    axes.set(
        xlabel=first,
        ylabel=second,
        title=f"Decision boundary (black line: {positive} = 0.5), test accuracy {accuracy:.3f}",
    )
    markerscale = 1.5 if scale is MANY_POINTS else 1.0  # tiny markers stay visible in the legend
    axes.legend(loc="lower left", fontsize="small", framealpha=0.9, markerscale=markerscale)
    return figure


def _rows_title(name: str, drawn: int, rows: int) -> str:
    if drawn == rows:
        return f"{name} set: all {rows:,} rows"
    return f"{name} set: {drawn:,} of {rows:,} rows plotted"


def data_figure(
    train: pd.DataFrame, test: pd.DataFrame, seed: int = 0, columns: Columns = (FEATURES, LABEL)
) -> Figure:
    """Train and test sets side by side, on the same axes limits (two features, two classes)."""
    (first, second), label = columns
    classes = sorted(pd.unique(train[label]))
    figure = Figure(figsize=(11, 4.8), layout="constrained")
    left, right = figure.subplots(1, 2, sharex=True, sharey=True)
    for axes, frame, name in ((left, train, "train"), (right, test, "test")):
        drawn = _sample(frame, seed)
        style = {"s": 4, "alpha": 0.4} if len(frame) > MAX_POINTS else {"s": 14, "alpha": 0.7}
        _scatter_classes(axes, drawn, name, columns, classes, edgecolors="none", **style)
        axes.set(title=_rows_title(name, len(drawn), len(frame)), xlabel=first, ylabel=second)
        axes.legend(loc="lower left", fontsize="small", markerscale=1.5)
    return figure


def save_figure(figure: Figure, path: Path) -> None:
    """Write `figure` as a PNG; a full disk or a file-size limit is one line naming the file.

    The image writer's own errors (PIL's) carry no file name and a long traceback.
    """
    try:
        figure.savefig(path, dpi=110)
    except OSError as err:
        raise MoonmlError(
            f"cannot write the figure {path} ({os.strerror(err.errno) if err.errno else err}): "
            "free space there, or choose another output folder (hydra.run.dir)"
        ) from None
