"""Grid search over the configured estimator, with a fits-done counter on a terminal."""

import logging
import sys
from typing import Any

from joblib import cpu_count
from omegaconf import DictConfig, OmegaConf
from sklearn.base import BaseEstimator
from sklearn.model_selection import GridSearchCV, ParameterGrid

from moonml.config.estimator import import_classifier
from moonml.data.split import Split
from moonml.errors import MoonmlError
from moonml.evaluation.scoring import search_scoring
from moonml.search.forests import SharedForestSearch, shares_forests
from moonml.search.pipeline import make_model, model_grid, with_user_names
from moonml.search.workers import lost_workers_fail_the_search

log = logging.getLogger(__name__)


def check_folds(cv: int, split: Split) -> None:
    """Refuse, before the search starts, training data that cannot be cut into `model.cv` folds."""
    rows = len(split.train)
    if rows < cv:
        raise MoonmlError(
            f"{split.train_origin}: {rows} training rows cannot be split into model.cv={cv} folds; "
            "lower model.cv or add rows"
        )
    # Classifiers are cross-validated with stratified folds: every fold needs rows of every class.
    counts = split.train[split.label].value_counts()
    if counts.min() < cv:
        label = counts.idxmin()
        raise MoonmlError(
            f"{split.train_origin}: class {label} has {counts.min()} training rows, fewer than "
            f"model.cv={cv} folds; lower model.cv or add rows of class {label}"
        )


def plain_grid(model_cfg: DictConfig) -> dict[str, list[Any]]:
    return OmegaConf.to_container(model_cfg.grid)


class _CountingGridSearch(GridSearchCV):
    """Evaluates the grid in chunks so the main process can report fits done / total.

    Chunks cost a little parallelism at each chunk's tail, so this is used only when someone
    is watching a terminal.
    """

    def _run_search(self, evaluate_candidates):
        candidates = list(ParameterGrid(self.param_grid))
        total = len(candidates) * self.cv
        per_chunk = max(1, 4 * cpu_count() // self.cv)
        for start in range(0, len(candidates), per_chunk):
            _show_progress(start * self.cv, total)
            evaluate_candidates(candidates[start : start + per_chunk])
        _show_progress(total, total)


def _show_progress(done: int, total: int) -> None:
    end = "\n" if done >= total else ""
    sys.stderr.write(f"\rgrid search: {done}/{total} fits{end}")
    sys.stderr.flush()


def configured_estimator(model_cfg: DictConfig, seed: int) -> BaseEstimator:
    """The estimator of `model.estimator` with `model.params`, seeded by `seed`."""
    estimator_class = import_classifier(model_cfg.estimator)
    params = OmegaConf.to_container(model_cfg.params)
    if "random_state" in estimator_class().get_params():
        params.setdefault("random_state", seed)
    return estimator_class(**params)


def grid_search(
    model_cfg: DictConfig, split: Split, seed: int, shares_terminal: bool = False
) -> GridSearchCV:
    """Cross-validate every grid combination on the training set and refit the best one.

    Forests searched over n_estimators share their trees across sizes (moonml.search.forests).
    `shares_terminal`: other jobs may write to this terminal at the same time.
    """
    estimator = make_model(configured_estimator(model_cfg, seed), split, model_cfg.scale)
    grid = model_grid(plain_grid(model_cfg), estimator)
    settings = {
        "cv": model_cfg.cv,
        # Two-class scorers score classes_[1], as the test metrics do (not the label 1).
        "scoring": search_scoring(model_cfg.scoring, split.train[split.label].unique()),
        "n_jobs": model_cfg.n_jobs,
        "error_score": "raise",  # a candidate that fails to fit fails the run, not a silent NaN
    }
    # Counters of jobs running side by side would overwrite one another on the same line.
    show_progress = sys.stderr.isatty() and not shares_terminal
    if shares_forests(estimator, grid, settings["scoring"]):
        search = SharedForestSearch(
            estimator, grid, progress=_show_progress if show_progress else None, **settings
        )
    else:
        search_class = _CountingGridSearch if show_progress else GridSearchCV
        search = search_class(estimator, param_grid=grid, **settings)
    # Said before the search, on a pipe and in the log too: a large grid announces its cost.
    candidates = len(ParameterGrid(grid))
    log.info(
        "Grid search: %d candidates x %d folds = %d fits", candidates, model_cfg.cv, candidates * model_cfg.cv
    )
    try:
        with lost_workers_fail_the_search():  # GridSearchCV's loky workers
            search.fit(split.train[split.features], split.train[split.label])
    except ValueError as err:
        # e.g. "All the 5 fits failed": scikit-learn's last line names the bad parameter value.
        reason = str(err).strip().splitlines()[-1]
        raise MoonmlError(f"grid search failed (check model.grid / model.params): {reason}") from err
    return with_user_names(search)
