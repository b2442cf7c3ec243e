"""Which features the model leans on: its own importances where it has them, else permutation
importance on the test set, within a time budget. The figure shows the top features, sorted.
"""

import logging
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.base import ClassifierMixin
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from moonml.evaluation.diagnostics import short

log = logging.getLogger(__name__)

TOP = 20  # features drawn; the rest are counted in the title
BUDGET_S = 2.0  # permutation importance's time budget
MAX_ROWS = 5000  # test rows permuted at most
MIN_ROWS = 100
OVERRUN = 3  # budgets one repeat on MIN_ROWS rows may take, else no figure
MAX_REPEATS = 5


def importances(
    model: ClassifierMixin, X: pd.DataFrame, y: pd.Series, features: Sequence[str], seed: int = 0
) -> tuple[pd.Series, str] | None:
    """Importance per feature, and how it was measured (for the figure's axis); None where the
    model has no importances of its own and permuting every feature once would overrun the budget."""
    own = _model_importances(model, features)
    if own is not None:
        return own
    return _permutation(model, X[list(features)], y, seed)


def _model_importances(model: ClassifierMixin, features: Sequence[str]) -> tuple[pd.Series, str] | None:
    """The final estimator's own importances, added up per raw column; None where it has none, or
    where its input columns do not trace back to the raw ones."""
    estimator = model[-1] if isinstance(model, Pipeline) else model
    if hasattr(estimator, "feature_importances_"):
        values = np.asarray(estimator.feature_importances_)
        how = "impurity-based importance (feature_importances_)"
    elif hasattr(estimator, "coef_"):
        # One row per class (one in all for two classes): the mean size of a feature's weights.
        values = np.abs(np.atleast_2d(estimator.coef_)).mean(axis=0)
        how = "mean |coefficient| (coef_)"
    else:
        return None
    encoded = list(features)
    if isinstance(model, Pipeline) and len(model) > 1:
        try:  # the final step sees the pipeline's columns: one per category of a one-hot encoding...
            encoded = list(model[:-1].get_feature_names_out(list(features)))
        except (AttributeError, ValueError):
            return None
    raw = raw_columns(encoded, features)
    if raw is None or len(values) != len(raw):
        return None
    summed = pd.Series(values, index=raw).groupby(level=0, sort=False).sum()
    return summed.reindex(list(features), fill_value=0.0), how


def raw_columns(encoded: Sequence[str], features: Sequence[str]) -> list[str] | None:
    """The raw column each encoded column comes from, or None where one does not trace back.

    scikit-learn names a ColumnTransformer's outputs "<transformer>__<column>" and a one-hot
    column "<column>_<category>"; the longest raw name that fits wins ("size_cm" over "size").
    """
    longest_first = sorted(features, key=len, reverse=True)
    raw = []
    for name in encoded:
        bare = name if name in features else name.split("__", 1)[-1]
        match = next((f for f in longest_first if bare == f or bare.startswith(f"{f}_")), None)
        if match is None:
            return None
        raw.append(match)
    return raw


def _permutation(
    model: ClassifierMixin, X: pd.DataFrame, y: pd.Series, seed: int
) -> tuple[pd.Series, str] | None:
    """Permutation importance, on as many rows and repeats as fit BUDGET_S: at least one repeat on
    MIN_ROWS rows, or none where that alone would take over OVERRUN budgets.

    On one thread: the many small predictions would each wait for a pool of OpenMP threads
    (HistGradientBoosting's), which on a busy machine cost more than the predictions themselves.
    """
    with threadpool_limits(limits=1):
        return _permuted(model, X, y, seed)


def _permuted(
    model: ClassifierMixin, X: pd.DataFrame, y: pd.Series, seed: int
) -> tuple[pd.Series, str] | None:
    X, y = _rows(X, y, MAX_ROWS, seed)
    per_pass = _pass_seconds(model, X, y)
    keep = max(MIN_ROWS, int(len(X) * BUDGET_S / per_pass))
    if keep < len(X):
        # Timed again: a prediction's fixed cost (threads starting, say) does not shrink with the rows.
        X, y = _rows(X, y, keep, seed)
        per_pass = _pass_seconds(model, X, y)
    if per_pass > OVERRUN * BUDGET_S:
        log.info(
            "no feature importance figure: permuting %d features would take about %.0f s",
            X.shape[1],
            per_pass,
        )
        return None
    repeats = int(min(MAX_REPEATS, max(1, BUDGET_S // per_pass)))
    result = permutation_importance(model, X, y, n_repeats=repeats, random_state=seed, n_jobs=1)
    how = f"permutation importance: accuracy drop, {len(X):,} test rows x {repeats} repeats"
    return pd.Series(result.importances_mean, index=X.columns), how


def _rows(X: pd.DataFrame, y: pd.Series, most: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    if len(X) <= most:
        return X, y
    drawn = X.sample(most, random_state=seed)
    return drawn, y.loc[drawn.index]


def _pass_seconds(model: ClassifierMixin, X: pd.DataFrame, y: pd.Series) -> float:
    """One repeat's time: each feature permuted and scored once. Floored: a too-quick clock
    reading must not divide by 0."""
    started = time.perf_counter()
    model.score(X, y)
    return max((time.perf_counter() - started) * X.shape[1], 1e-6)


def importance_figure(importance: pd.Series, how: str, top: int = TOP) -> Figure:
    """Horizontal bars of the `top` largest, the largest on top."""
    shown = importance.sort_values(ascending=False).head(top)
    figure = Figure(figsize=(8, 1.5 + 0.3 * len(shown)), layout="constrained")
    axes = figure.add_subplot()
    axes.barh(range(len(shown)), shown.to_numpy()[::-1], color="#1f77b4")
    axes.set_yticks(range(len(shown)), [short(name) for name in shown.index[::-1]])
    which = (
        f"top {len(shown)} of {len(importance)}" if len(shown) < len(importance) else f"all {len(importance)}"
    )
    axes.set(xlabel=how, title=f"Feature importances ({which} features)")
    axes.axvline(0, color="grey", lw=0.8)
    return figure
