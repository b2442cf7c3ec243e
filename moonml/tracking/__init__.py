"""Where a run's results go besides its output folder: nowhere (tracking=none) or MLflow.

A session's `run` is a context manager: the MLflow run it opens ends FINISHED, FAILED (an
error) or KILLED (Ctrl-C, SIGTERM), never left RUNNING.
"""

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
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

    def log_model(self, model: Any, example: pd.DataFrame, register: bool = True) -> None:
        pass

    def stops_if_start_fails(self) -> AbstractContextManager[None]:
        """Where the run is opened in the background: interrupt the block if that fails."""
        return nullcontext()


class NoTracking:
    """tracking=none: runs that record nothing."""

    @contextmanager
    def run(self, run_name: str | None) -> Iterator[Tracker]:
        yield Tracker()


@contextmanager
def tracking_session(cfg: DictConfig) -> Iterator[Any]:
    """Get tracking ready (an unreachable server fails here); `.run(name)` then opens a run."""
    if cfg.tracking.backend == "none":
        yield NoTracking()
        return
    from moonml.tracking.mlflow_run import mlflow_session
    from moonml.tracking.uri import tracking_uri

    uri = tracking_uri(cfg.tracking, cfg.azureml)
    prepare = None
    if uri.startswith("azureml:"):
        from moonml.azure.tracking import logging_process_setup

        prepare = logging_process_setup(cfg.azureml)
    with mlflow_session(cfg.tracking, uri, prepare) as session:
        yield session
