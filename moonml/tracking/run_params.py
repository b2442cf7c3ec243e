"""The run's effective settings as MLflow params: what varied between runs, as runs-table columns.

Flattened with dots (`model.params.min_samples_leaf`, `seed`), from the config as a run records
it (values read from environment variables stay as written). Only what shapes the result: the
seed, the objective, the data and the model. The grid is logged the tutorial's way
(`gridsearch/*`), and the tracking, compute, environment and workspace settings are where the
run went, not what it was.
"""

import math
from typing import Any

from omegaconf import DictConfig

from moonml.credentials import recorded_config
from moonml.tracking.names import data_name

GROUPS = ("seed", "objective", "data", "model")
_LOGGED_OTHERWISE = {"model.grid"}  # gridsearch/* and selected/*
# The run's description in the MLflow UI (what mlflow.utils.mlflow_tags.MLFLOW_RUN_NOTE names).
DESCRIPTION_TAG = "mlflow.note.content"


def settings_params(cfg: DictConfig) -> dict[str, str]:
    recorded = recorded_config(cfg)
    params: dict[str, str] = {}
    for group in GROUPS:
        _flatten(group, recorded[group], params)
    return params


def _flatten(key: str, value: Any, into: dict[str, str]) -> None:
    if key in _LOGGED_OTHERWISE:
        return
    if isinstance(value, dict) and value:
        for name, item in value.items():
            _flatten(f"{key}.{name}", item, into)
    else:
        into[key] = str(value)


def run_description(cfg: DictConfig, grid: dict[str, list[Any]]) -> str:
    """One line saying what the run searched, on which data: the run page's description."""
    estimator = cfg.model.estimator.rsplit(".", 1)[-1]
    candidates = math.prod(len(values) for values in grid.values())
    plural = "" if candidates == 1 else "s"
    return (
        f"{estimator} on {data_name(cfg.data)}: grid search over {candidates} candidate{plural}, "
        f"cv={cfg.model.cv}"
    )
