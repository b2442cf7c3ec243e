"""A moonml run recorded in MLflow: the tutorial's names, plus everything needed to redo it.

MLflow costs seconds (importing it, opening the store, writing the model). All MLflow calls run,
in the order they were made, on one background thread, so that cost overlaps the grid search and
the plotting instead of adding to them. Errors surface when the run closes.
"""

import logging
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import urlopen

import pandas as pd
from omegaconf import DictConfig

from moonml.errors import MoonmlError
from moonml.tracking import Tracker

log = logging.getLogger(__name__)

# skops refuses to load what it was not told to trust; a forest is made of these trees.
SKOPS_TRUSTED_TYPES = ["sklearn.tree._tree.Tree"]
# How long closing the run may wait for logging still under way.
CLOSE_DEADLINE_S = 300


def bound_http_requests(timeout_s: int) -> None:
    """Make an unreachable tracking server fail in ~15 s instead of MLflow's multi-minute retries.

    Three attempts of at most `timeout_s` each, about two seconds of back-off. Variables the
    user set win over these.
    """
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", "0.2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", str(timeout_s))


def check_reachable(uri: str, timeout_s: int) -> None:
    """Fail before training, not after it, when a tracking server does not answer at all."""
    if not uri.startswith(("http://", "https://")):
        return
    deadline = time.monotonic() + 3 * timeout_s
    while True:
        try:
            with urlopen(uri, timeout=timeout_s):
                return
        except HTTPError:
            return  # it answered; whether this path exists does not matter
        except (URLError, OSError) as err:
            if time.monotonic() + timeout_s > deadline:
                reason = getattr(err, "reason", err)
                raise MoonmlError(
                    f"tracking server {uri} is unreachable ({reason}). Start it, point "
                    "tracking.uri / MLFLOW_TRACKING_URI at a reachable one, or use tracking=none."
                ) from None
            time.sleep(1)


class MlflowTracker(Tracker):
    def __init__(self, uri: str, tracking_cfg: DictConfig, run_name: str | None) -> None:
        self.uri = uri
        self.register_model = tracking_cfg.register_model
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlflow")
        self._pending: list[Future] = []
        self._run = self._submit(self._start, tracking_cfg.experiment_name, run_name)

    @property
    def where(self) -> str:
        info = self._run.result().info
        return f"MLflow run {info.run_id} (experiment id {info.experiment_id}) in {self.uri}"

    def _submit(self, call: Callable, *args: Any) -> Future:
        future = self._worker.submit(call, *args)
        self._pending.append(future)
        return future

    def _start(self, experiment_name: str, run_name: str | None):
        import mlflow

        mlflow.set_tracking_uri(self.uri)
        mlflow.set_experiment(experiment_name)
        return mlflow.start_run(run_name=run_name)

    def log_params(self, params: dict[str, Any]) -> None:
        self._submit(_mlflow("log_params"), params)

    def log_metrics(self, metrics: dict[str, float]) -> None:
        self._submit(_mlflow("log_metrics"), metrics)

    def set_tags(self, tags: dict[str, str]) -> None:
        self._submit(_mlflow("set_tags"), tags)

    def log_artifact(self, path: Path) -> None:
        self._submit(_mlflow("log_artifact"), str(path))

    def log_dict(self, content: Any, name: str) -> None:
        self._submit(_mlflow("log_dict"), content, name)

    def log_model(self, model: Any, example: pd.DataFrame) -> None:
        self._submit(self._log_model, model, example)

    def _log_model(self, model: Any, example: pd.DataFrame) -> None:
        import mlflow
        import mlflow.sklearn
        import sklearn
        import skops
        from mlflow.models import infer_signature

        mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(example, model.predict(example)),
            input_example=example,
            skops_trusted_types=SKOPS_TRUSTED_TYPES,
            # Inferring requirements costs seconds and picks up whatever else is installed.
            pip_requirements=[
                f"mlflow=={mlflow.__version__}",
                f"scikit-learn=={sklearn.__version__}",
                f"skops=={skops.__version__}",
            ],
            registered_model_name=self.register_model,
        )

    def flush(self) -> None:
        """Wait for every call made so far; raise the first error as a MoonmlError."""
        for future in self._pending:
            error = future.exception(timeout=CLOSE_DEADLINE_S)
            if error is not None:
                reason = _first_line(error)
                raise MoonmlError(f"MLflow tracking at {self.uri} failed: {reason}") from error

    def end(self, status: str) -> None:
        if self._run.exception(timeout=CLOSE_DEADLINE_S) is None:
            self._worker.submit(_mlflow("end_run"), status).result(timeout=CLOSE_DEADLINE_S)
        self._worker.shutdown(wait=False)


def _mlflow(name: str) -> Callable:
    def call(*args: Any) -> Any:
        import mlflow

        return getattr(mlflow, name)(*args)

    return call


@contextmanager
def mlflow_run(tracking_cfg: DictConfig, uri: str, run_name: str | None) -> Iterator[MlflowTracker]:
    bound_http_requests(tracking_cfg.request_timeout_s)
    check_reachable(uri, tracking_cfg.request_timeout_s)
    tracker = MlflowTracker(uri, tracking_cfg, run_name)
    try:
        yield tracker
        tracker.flush()
    except KeyboardInterrupt:
        tracker.end("KILLED")
        raise
    except BaseException:
        tracker.end("FAILED")
        raise
    tracker.end("FINISHED")


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
