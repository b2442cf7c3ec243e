"""Sweeps: what a job knows of its sweep (its id, a readable run name), and the sweep's end.

All runs of one sweep carry the tag `moonml.sweep` (the sweep's directory), so the MLflow UI
can filter them, and the end-of-sweep callback (or `python -m moonml.model register-best`)
finds them to register the best one.
"""

import logging
import shlex
from pathlib import Path
from typing import Any

from azureml_launcher import api as launcher_api
from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig

log = logging.getLogger(__name__)

SWEEP_TAG = "moonml.sweep"
# MLflow refuses longer run names.
MAX_RUN_NAME = 250


def sweep_id() -> str | None:
    """The absolute sweep dir of this job's multirun; None for a single run."""
    hydra_cfg = HydraConfig.get()
    if hydra_cfg.mode == RunMode.MULTIRUN:
        return str(Path(str(hydra_cfg.sweep.dir)).absolute())
    # A job the azureml launcher shipped runs as a plain single run: it says which sweep.
    return launcher_api.launcher_sweep_dir()


def parallel_jobs() -> bool:
    """True when this job may share the terminal with other jobs running at the same time."""
    if not HydraConfig.initialized():
        return False
    hydra_cfg = HydraConfig.get()
    if launcher_api.launcher_sweep_dir():
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


class RegisterSweepBest(Callback):
    """At a sweep's end, register the model of its best run by the objective, and only that one.

    Jobs of a sweep skip registration (a sweep of 30 trials would add 30 versions); this runs
    once in the launching process and finds the sweep's runs by their `moonml.sweep` tag: in the
    tracking store, or in the workspace for jobs the azureml launcher ran on AzureML (once it
    has waited for them; otherwise it says how to register the best run when they are done).
    """

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        tracking = config.tracking
        if tracking.backend == "none" or not tracking.register_model:
            return
        launcher = config.hydra.launcher
        sweep = str(Path(str(config.hydra.sweep.dir)).absolute())
        experiment_name = tracking.experiment_name
        in_workspace = False  # where the jobs logged: the tracking store, or the workspace's
        if launcher_api.is_launcher(launcher):
            if launcher.dry_run or not launcher_api.part_of_a_sweep(config):
                return  # nothing ran, or one run shipped on its own registered its model itself
            in_workspace = launcher.backend != "local"
            if in_workspace:
                # On AzureML each job logged into its own run, in the launcher's experiment.
                experiment_name = launcher_api.experiment_name(launcher.experiment_name, "moonml")
                if not launcher.wait:
                    log.warning(
                        "the jobs of this sweep run on AzureML after it ends, and none registers "
                        "its model: once they have finished, register the best one with: %s",
                        register_best_command(sweep, experiment_name, in_workspace),
                    )
                    return
        try:
            best = _register_best(config, sweep, experiment_name, in_workspace)
        except Exception as err:  # MLflow's, the workspace's: the sweep's runs are all kept
            from moonml.errors import MoonmlError

            raise MoonmlError(
                f"the sweep ran, but registering its best run failed ({launcher_api.first_line(err)}); retry "
                f"with: {register_best_command(sweep, experiment_name, in_workspace)}"
            ) from err
        if best is None:
            log.warning("sweep %s: no finished run with its objective to register", sweep)


def _register_best(config: DictConfig, sweep: str, experiment_name: str, in_workspace: bool) -> Any:
    from mlflow.tracking import MlflowClient

    from moonml.tracking.registry import register_sweep_best

    tracking = config.tracking
    if in_workspace:
        from moonml.azure.tracking import azureml_tracking_uri

        uri = azureml_tracking_uri(config.azureml)
    else:
        from moonml.tracking.uri import tracking_uri

        uri = tracking_uri(tracking, config.azureml)
    client = MlflowClient(uri)
    return register_sweep_best(
        client, experiment_name, sweep, tracking.register_model, tracking.champion_alias
    )


def register_best_command(sweep: str, experiment_name: str, in_workspace: bool) -> str:
    """The command that registers a sweep's best run later (add the sweep's tracking overrides)."""
    command = f"python -m moonml.model register-best {shlex.quote(sweep)}"
    if in_workspace:
        command += " tracking=azureml"
    return f"{command} --experiment {shlex.quote(experiment_name)}"
