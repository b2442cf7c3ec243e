"""Check the `model` group (and the seed) before anything runs, so one config error lists every problem.

`config_problems`: the estimator imports and has the parameters named, the grid and folds make sense.
`value_problems`: each `model.params` and `model.grid` value against the estimator's own constraints.

scikit-learn validates a parameter only when `fit` runs: inside a grid search a bad value
fails some candidates after seconds of work, with a traceback, while the others go on. Each
value is checked here, alone, before anything runs, so one config error lists every bad one.
"""

from typing import Any

from omegaconf import DictConfig, OmegaConf
from sklearn.base import BaseEstimator, is_classifier
from sklearn.metrics import get_scorer_names
from sklearn.utils._param_validation import InvalidParameterError

from moonml.config.estimator import import_classifier
from moonml.errors import MoonmlError

# numpy's RandomState, which seeds the estimator and the CV shuffling, takes these seeds.
MAX_SEED = 2**32 - 1


def seed_and_jobs_problems(cfg: DictConfig) -> list[str]:
    """`seed` and `model.n_jobs`, which scikit-learn and joblib check only once the search runs."""
    problems = []
    if not 0 <= cfg.seed <= MAX_SEED:
        problems.append(f"seed: {cfg.seed} is out of range; give an integer from 0 to {MAX_SEED}")
    if cfg.model.n_jobs == 0:
        problems.append(
            "model.n_jobs: 0 workers cannot search; give a number of workers, or -1 for one per core"
        )
    return problems


def config_problems(model_cfg: DictConfig) -> list[str]:
    """Every problem with the `model` group, so that one error can list them all."""
    try:
        estimator_class = import_classifier(model_cfg.estimator)
    except MoonmlError as err:
        return [str(err)]
    try:
        estimator = estimator_class()
    except TypeError:
        estimator = None
    if estimator is None or not is_classifier(estimator):
        return [f"model.estimator: {model_cfg.estimator} is not a scikit-learn classifier"]
    known = set(estimator.get_params())
    problems = []
    for section in ("params", "grid"):
        for name in model_cfg[section]:
            if name not in known:
                problems.append(
                    f"model.{section}.{name}: {estimator_class.__name__} has no parameter "
                    f"{name!r} (it has: {', '.join(sorted(known))})"
                )
    for name, values in model_cfg.grid.items():
        if not values:
            problems.append(f"model.grid.{name}: give at least one value")
    if not model_cfg.grid:
        problems.append("model.grid: give at least one parameter to search over")
    if model_cfg.cv < 2:
        problems.append(f"model.cv: needs at least 2 folds, got {model_cfg.cv}")
    if model_cfg.scoring not in get_scorer_names():
        problems.append(f"model.scoring: {model_cfg.scoring!r} is not a scikit-learn scorer name")
    return problems


def value_problems(model_cfg: DictConfig) -> list[str]:
    """One line per config key holding values the estimator refuses.

    Parameters the estimator does not have, or an estimator that does not import, are left to
    `config_problems`, which reports them.
    """
    try:
        estimator = import_classifier(model_cfg.estimator)()
    except (MoonmlError, TypeError):
        return []
    known = set(estimator.get_params())
    problems = []
    for section in ("params", "grid"):
        values = OmegaConf.to_container(model_cfg[section])
        for name, value in values.items():
            if name not in known:
                continue
            tried = value if section == "grid" and isinstance(value, list) else [value]
            reasons = [r for r in (_refusal(estimator, name, v) for v in tried) if r]
            if reasons:
                problems.append(f"model.{section}.{name}: {'; '.join(reasons)}")
    return problems


def _refusal(estimator: BaseEstimator, name: str, value: Any) -> str | None:
    """Why the estimator refuses `name=value`, or None when it accepts it."""
    candidate = estimator.__class__(**{name: value})
    try:
        candidate._validate_params()
    except InvalidParameterError as err:
        # "The 'max_depth' parameter of X must be an int in ... Got 'five' instead."
        text = str(err)
        must = text[text.find("must be") :].split(". Got ")[0] if "must be" in text else text
        return f"{value!r} is refused ({name} {must})"
    return None
