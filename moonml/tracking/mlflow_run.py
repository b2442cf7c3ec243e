"""A moonml run recorded in MLflow: the tutorial's names, plus everything needed to redo it.

MLflow costs seconds of CPU (importing it and skops, opening the store, writing the model). All
MLflow calls run, in the order they were made, in one helper process started with the run: it
imports and connects on the core that is idle while this process starts up, so the cost overlaps
the pipeline instead of adding to it (a thread would not: imports hold the GIL). Errors surface
when the run closes.
"""

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import urlopen

import pandas as pd
from hydra_plugins.hydra_azureml_launcher._workspace import first_line
from omegaconf import DictConfig

from moonml.errors import MoonmlError
from moonml.tracking import Tracker

# skops refuses to load what it was not told to trust; a forest is made of these trees.
SKOPS_TRUSTED_TYPES = ["sklearn.tree._tree.Tree"]
# fork where it is safe (Linux); macOS and Windows spawn.
START_METHOD = "fork" if sys.platform == "linux" else "spawn"
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


class MlflowSession:
    """Tracking ready for runs: the store is reachable, a helper process will do the logging."""

    def __init__(self, uri: str, tracking_cfg: DictConfig, prepare: Callable[[], Any] | None = None) -> None:
        self.uri = uri
        self.tracking_cfg = tracking_cfg
        # fork where it is safe (Linux): the helper starts with what this process imported.
        method = START_METHOD
        # The process starts with the first call, the run's start: after this process has
        # imported scikit-learn and pandas, which the helper then shares instead of importing.
        self.worker = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context(method),
            initializer=_serve_parent,
            # A spawned helper inherits nothing (e.g. the workspace credentials azureml-mlflow
            # keeps in-process): `prepare` sets it up as this process was.
            initargs=(os.getpid(), prepare if method == "spawn" else None),
        )

    @contextmanager
    def run(self, run_name: str | None) -> Iterator["MlflowTracker"]:
        """An MLflow run that ends FINISHED, FAILED (an error) or KILLED (Ctrl-C, SIGTERM)."""
        tracker = MlflowTracker(self, run_name)
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

    def close(self) -> None:
        self.worker.shutdown(wait=True, cancel_futures=True)


class MlflowTracker(Tracker):
    def __init__(self, session: MlflowSession, run_name: str | None) -> None:
        self.uri = session.uri
        self.register_model = session.tracking_cfg.register_model
        self._worker = session.worker
        self._pending: list[Future] = []
        self._run = self._submit(_start_run, self.uri, session.tracking_cfg.experiment_name, run_name)

    @property
    def where(self) -> str:
        run_id, experiment_id = self._run.result()
        return f"MLflow run {run_id} (experiment id {experiment_id}) in {self.uri}"

    def _submit(self, call: Callable, *args: Any) -> Future:
        future = self._worker.submit(call, *args)
        self._pending.append(future)
        return future

    def log_params(self, params: dict[str, Any]) -> None:
        self._submit(_call_mlflow, "log_params", params)

    def log_metrics(self, metrics: dict[str, float]) -> None:
        self._submit(_call_mlflow, "log_metrics", metrics)

    def set_tags(self, tags: dict[str, str]) -> None:
        self._submit(_call_mlflow, "set_tags", tags)

    def log_artifact(self, path: Path) -> None:
        self._submit(_call_mlflow, "log_artifact", str(path))

    def log_dict(self, content: Any, name: str) -> None:
        self._submit(_call_mlflow, "log_dict", content, name)

    def log_model(self, model: Any, example: pd.DataFrame) -> None:
        self._submit(_log_model, model, example, self.register_model)

    def flush(self) -> None:
        """Wait for every call made so far; raise the first error as a MoonmlError."""
        for future in self._pending:
            error = future.exception(timeout=CLOSE_DEADLINE_S)
            if error is not None:
                reason = first_line(error)
                raise MoonmlError(f"MLflow tracking at {self.uri} failed: {reason}") from error

    def end(self, status: str) -> None:
        if self._run.exception(timeout=CLOSE_DEADLINE_S) is None:
            self._worker.submit(_call_mlflow, "end_run", status).result(timeout=CLOSE_DEADLINE_S)


@contextmanager
def mlflow_session(
    tracking_cfg: DictConfig, uri: str, prepare: Callable[[], Any] | None = None
) -> Iterator[MlflowSession]:
    bound_http_requests(tracking_cfg.request_timeout_s)
    check_reachable(uri, tracking_cfg.request_timeout_s)
    session = MlflowSession(uri, tracking_cfg, prepare)
    try:
        yield session
    finally:
        session.close()


# What runs in the helper process: module-level functions, so that they can be sent there.


def _serve_parent(parent_pid: int, prepare: Callable[[], Any] | None = None) -> None:
    # Ctrl-C (and a SIGTERM to the process group) reach the helper too; the parent decides how
    # the run ends (KILLED) and sends end_run here, so the helper must outlive the signal.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    if prepare is not None:
        prepare()


def _exit_with_parent(parent_pid: int) -> None:
    # A parent killed outright (SIGKILL) cannot stop the helper, which would wait forever.
    while os.getppid() == parent_pid:
        time.sleep(1)
    os._exit(1)


def _warm_up() -> None:
    # Import now what the run will need, while the parent is busy with its own imports.
    import skops.io  # noqa: F401
    from mlflow.models import infer_signature  # noqa: F401


def _start_run(uri: str, experiment_name: str, run_name: str | None) -> tuple[str, str]:
    import mlflow

    from moonml.azure.tracking import job_run_id

    mlflow.set_tracking_uri(uri)
    job_run = job_run_id()
    if job_run is None:
        mlflow.set_experiment(experiment_name)
        info = mlflow.start_run(run_name=run_name).info
    else:  # inside an AzureML job: its own run, in the experiment it was filed under
        info = mlflow.start_run(run_id=job_run).info
    # Import what log_model needs now, while the parent searches the grid.
    import mlflow.sklearn
    import skops.io  # noqa: F401

    return info.run_id, info.experiment_id


def _call_mlflow(name: str, *args: Any) -> None:
    import mlflow

    getattr(mlflow, name)(*args)


def _log_model(model: Any, example: pd.DataFrame, register_model: str | None) -> None:
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
        registered_model_name=register_model,
    )
