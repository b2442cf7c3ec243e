"""Where a run's results go besides its output folder: nowhere (tracking=none) or MLflow.

A session's `run` is a context manager: the MLflow run it opens ends FINISHED, FAILED (an
error) or KILLED (Ctrl-C, SIGTERM), never left RUNNING.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from omegaconf import DictConfig

from moonml.tracking.azureml import logging_process_setup
from moonml.tracking.tracker import UntrackedSession
from moonml.tracking.uri import tracking_uri


@contextmanager
def tracking_session(cfg: DictConfig) -> Iterator[Any]:
    """Get tracking ready (an unreachable server fails here); `.run(name)` then opens a run."""
    if cfg.tracking.backend == "none":
        yield UntrackedSession()
        return
    # Imported here: tracking=none does without the MLflow helper's machinery.
    from moonml.tracking.mlflow_run import mlflow_session

    uri = tracking_uri(cfg.tracking, cfg.azureml)
    prepare = None
    if uri.startswith("azureml:"):
        prepare = logging_process_setup(cfg.azureml)
    with mlflow_session(cfg.tracking, uri, prepare) as session:
        yield session
