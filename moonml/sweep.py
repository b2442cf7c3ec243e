"""What a job knows about the sweep it belongs to: the sweep's id and a readable run name.

All runs of one sweep carry the tag `moonml.sweep` (the sweep's directory), so the MLflow UI
can filter them and the end-of-sweep callback can find them.
"""

import logging
import os
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig

log = logging.getLogger(__name__)

SWEEP_TAG = "moonml.sweep"
# Set by the azureml launcher's local backend, whose jobs run as plain single runs.
LAUNCHER_SWEEP_VAR = "HYDRA_AZUREML_LAUNCHER_SWEEP_DIR"
# MLflow refuses longer run names.
MAX_RUN_NAME = 250


def sweep_id() -> str | None:
    """The absolute sweep dir of this job's multirun; None for a single run."""
    hydra_cfg = HydraConfig.get()
    if hydra_cfg.mode == RunMode.MULTIRUN:
        return str(Path(str(hydra_cfg.sweep.dir)).absolute())
    return os.environ.get(LAUNCHER_SWEEP_VAR) or None


def parallel_jobs() -> bool:
    """True when this job may share the terminal with other jobs running at the same time."""
    if not HydraConfig.initialized():
        return False
    hydra_cfg = HydraConfig.get()
    if os.environ.get(LAUNCHER_SWEEP_VAR):
        return True
    launcher = str(hydra_cfg.launcher.get("_target_", ""))
    return hydra_cfg.mode == RunMode.MULTIRUN and not launcher.endswith("BasicLauncher")


def run_name(overrides: list[str], fallback: str) -> str:
    """`seed=2,max_depth=[10]` from the job's overrides: last key part, file names not paths."""
    parts = []
    for override in overrides:
        key, sep, value = override.lstrip("+~").partition("=")
        short_value = Path(value).name if "/" in value and not value.startswith("[") else value
        parts.append(f"{key.rsplit('.', 1)[-1]}{sep}{short_value}")
    name = ",".join(parts) or fallback
    return name if len(name) <= MAX_RUN_NAME else name[: MAX_RUN_NAME - 3] + "..."


def jobs_run_here(launcher: DictConfig) -> bool:
    """False for the azureml launcher, unless its local backend replays the jobs on this machine."""
    if not launcher.get("_target_", "").endswith("AzureMLLauncher"):
        return True
    return launcher.backend == "local" and not launcher.dry_run


class RegisterSweepBest(Callback):
    """At a sweep's end, register the model of its best run by the objective, and only that one.

    Jobs of a sweep skip registration (a sweep of 30 trials would add 30 versions); this runs
    once in the launching process and finds the sweep's runs by their `moonml.sweep` tag.
    """

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        tracking = config.tracking
        if tracking.backend == "none" or not tracking.register_model:
            return
        if not jobs_run_here(config.hydra.launcher):
            return  # AzureML jobs register from their own run (see the README)
        from mlflow.tracking import MlflowClient

        from moonml.tracking.registry import best_run, promote_if_better, register_run_model
        from moonml.tracking.uri import tracking_uri

        client = MlflowClient(tracking_uri(tracking, config.azureml))
        experiment = client.get_experiment_by_name(tracking.experiment_name)
        if experiment is None:
            return  # no job got as far as opening a run
        sweep = str(Path(str(config.hydra.sweep.dir)).absolute()).replace("'", "\\'")
        runs = client.search_runs(
            [experiment.experiment_id],
            filter_string=f"tags.`{SWEEP_TAG}` = '{sweep}' and attributes.status = 'FINISHED'",
        )
        best = best_run(runs)
        if best is None:
            log.warning("sweep %s: no finished run to register", sweep)
            return
        version = register_run_model(client, tracking.register_model, best.info.run_id)
        log.info(
            "sweep's best run %s (%s) registered as %s version %s",
            best.info.run_name,
            best.info.run_id,
            tracking.register_model,
            version.version,
        )
        promote_if_better(client, tracking.register_model, version.version, tracking.champion_alias)
