"""Where a run's results go besides its output folder: nowhere (tracking=none) or MLflow.

`open_tracker` is a context manager: the MLflow run it opens ends FINISHED, FAILED (an error)
or KILLED (Ctrl-C, SIGTERM), never left RUNNING.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import DictConfig


class Tracker:
    """tracking=none: accepts every call and records nothing."""

    where = "not tracked (tracking=none)"

    def log_params(self, params: dict[str, Any]) -> None:
        pass

    def log_metrics(self, metrics: dict[str, float]) -> None:
        pass

    def set_tags(self, tags: dict[str, str]) -> None:
        pass

    def log_artifact(self, path: Path) -> None:
        pass

    def log_dict(self, content: Any, name: str) -> None:
        pass

    def log_model(self, model: Any, example: pd.DataFrame) -> None:
        pass


@contextmanager
def open_tracker(cfg: DictConfig, run_name: str | None = None) -> Iterator[Tracker]:
    if cfg.tracking.backend == "none":
        yield Tracker()
        return
    from moonml.tracking.mlflow_run import mlflow_run
    from moonml.tracking.uri import tracking_uri

    with mlflow_run(cfg.tracking, tracking_uri(cfg.tracking, cfg.azureml), run_name) as tracker:
        yield tracker
