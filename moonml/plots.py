"""The run's figures. Each draws a bounded sample, so plotting time does not grow with the data."""

import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from sklearn.base import ClassifierMixin

from moonml.data import FEATURES, LABEL

# Blue and orange stay distinct for the common colour-vision deficiencies.
CLASS_COLOURS = {0: "#1f77b4", 1: "#ff7f0e"}
PROBABILITY_MAP = LinearSegmentedColormap.from_list("moonml", [CLASS_COLOURS[0], "#f7f7f7", CLASS_COLOURS[1]])
MAX_POINTS = 2000  # per data set drawn
GRID_STEPS = 200  # probability mesh resolution per axis


def _sample(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    return frame if len(frame) <= MAX_POINTS else frame.sample(MAX_POINTS, random_state=seed)


def _scatter_classes(axes, frame: pd.DataFrame, label: str, **style) -> None:
    for cls, colour in CLASS_COLOURS.items():
        rows = frame[frame[LABEL] == cls]
        axes.scatter(rows["x1"], rows["x2"], color=colour, label=f"{label} y={cls}", **style)


def decision_boundary_figure(
    model: ClassifierMixin, train: pd.DataFrame, test: pd.DataFrame, seed: int = 0
) -> Figure:
    """P(y=1) shading, the 0.5 boundary, train and test points, misclassified test points ringed."""
    train, test = _sample(train, seed), _sample(test, seed)
    both = pd.concat([train, test])
    margin = 0.5
    x1 = np.linspace(both["x1"].min() - margin, both["x1"].max() + margin, GRID_STEPS)
    x2 = np.linspace(both["x2"].min() - margin, both["x2"].max() + margin, GRID_STEPS)
    mesh1, mesh2 = np.meshgrid(x1, x2)
    mesh = pd.DataFrame({"x1": mesh1.ravel(), "x2": mesh2.ravel()})
    probability = model.predict_proba(mesh[FEATURES])[:, 1].reshape(mesh1.shape)

    figure = Figure(figsize=(8, 6.5), layout="constrained")
    axes = figure.add_subplot()
    shading = axes.contourf(
        mesh1, mesh2, probability, levels=np.linspace(0, 1, 11), cmap=PROBABILITY_MAP, alpha=0.45
    )
    axes.contour(mesh1, mesh2, probability, levels=[0.5], colors="black", linewidths=1.2)
    figure.colorbar(shading, ax=axes, label="predicted P(y=1)")
    _scatter_classes(axes, train, "train", s=14, alpha=0.8, edgecolors="white", linewidths=0.4)
    _scatter_classes(axes, test, "test", s=42, marker="^", edgecolors="black", linewidths=0.6)
    wrong = test[model.predict(test[FEATURES]) != test[LABEL]]
    axes.scatter(
        wrong["x1"],
        wrong["x2"],
        s=150,
        facecolors="none",
        edgecolors="crimson",
        linewidths=1.8,
        label=f"misclassified test ({len(wrong)})",
    )
    axes.set(xlabel="x1", ylabel="x2", title="Decision boundary (black line: P(y=1) = 0.5)")
    axes.legend(loc="lower left", fontsize="small", framealpha=0.9)
    return figure


def data_figure(train: pd.DataFrame, test: pd.DataFrame, seed: int = 0) -> Figure:
    """Train and test sets side by side, on the same axes limits."""
    figure = Figure(figsize=(11, 4.8), layout="constrained")
    left, right = figure.subplots(1, 2, sharex=True, sharey=True)
    for axes, frame, name in ((left, train, "train"), (right, test, "test")):
        _scatter_classes(axes, _sample(frame, seed), name, s=14, alpha=0.7, edgecolors="none")
        axes.set(title=f"{name} set ({len(frame)} rows)", xlabel="x1", ylabel="x2")
        axes.legend(loc="lower left", fontsize="small")
    return figure
