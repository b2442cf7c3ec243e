"""The model a search fits: the estimator alone, or behind the column encoding it needs.

Text columns are one-hot encoded, and numeric columns standardised when `model.scale` asks, inside
a scikit-learn Pipeline: the saved and registered model takes the table's raw columns. A table of
numbers whose model needs no scaling keeps the plain estimator. Grid and selected parameters keep
the names the user wrote (`n_estimators`): the pipeline's names (`classifier__n_estimators`) stay
inside the search.
"""

from typing import Any

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils import get_tags

from moonml.data.split import Split

STEP = "classifier"
PREFIX = f"{STEP}__"


def handles_missing(estimator: BaseEstimator) -> bool:
    """Whether the estimator learns from missing feature values (HistGradientBoosting does)."""
    return bool(get_tags(estimator).input_tags.allow_nan)


def make_model(estimator: BaseEstimator, split: Split, scale: bool) -> BaseEstimator:
    categorical = split.categorical()
    if not categorical and not scale:
        return estimator
    numeric = [name for name in split.features if name not in categorical]
    # The test set's categories are all in the training set (moonml.data.pair); a cross-validation
    # fold, or a request to the served model, may still bring one its fit did not see: it is
    # encoded as no category at all rather than failing.
    encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    columns = ColumnTransformer(
        [
            ("numeric", StandardScaler() if scale else "passthrough", numeric),
            ("categorical", encoder, categorical),
        ],
        verbose_feature_names_out=False,
    )
    return Pipeline([("columns", columns), (STEP, estimator)])


def prefix(model: BaseEstimator) -> str:
    """What the estimator's parameter names take inside `model`."""
    return PREFIX if isinstance(model, Pipeline) else ""


def model_grid(grid: dict[str, list[Any]], model: BaseEstimator) -> dict[str, list[Any]]:
    return {prefix(model) + name: values for name, values in grid.items()}


def with_user_names(search: GridSearchCV) -> GridSearchCV:
    """The fitted search's parameters under the names the user wrote in model.grid."""
    start = len(prefix(search.estimator))
    if not start:
        return search
    search.best_params_ = {name[start:]: value for name, value in search.best_params_.items()}
    results = {}
    for key, value in search.cv_results_.items():
        if key == "params":
            value = [{name[start:]: v for name, v in params.items()} for params in value]
        elif key.startswith(f"param_{PREFIX}"):
            key = f"param_{key[len('param_') + start :]}"
        results[key] = value
    search.cv_results_ = results
    return search
