"""A sweep's end: register the model of its best run by the objective (if it becomes the champion,
or always: tracking.register), and only that one.

Jobs of a sweep skip registration (a sweep of 30 trials would add 30 versions); this runs once
in the launching process and finds the sweep's runs by their `moonml.sweep` tag: in the
tracking store, or in the workspace for jobs the azureml launcher ran on AzureML (once it has
waited for them; otherwise it says how to register the best run when they are done).
"""

import logging
import shlex
from pathlib import Path
from typing import Any

from azureml_launcher import api as launcher_api
from omegaconf import DictConfig

from moonml.errors import MoonmlError
from moonml.tracking.azureml import azureml_tracking_uri
from moonml.tracking.names import registers_always
from moonml.tracking.uri import tracking_uri

log = logging.getLogger(__name__)


def register_at_sweep_end(config: DictConfig) -> None:
    """At a multirun's end (`config` with its hydra node): register the sweep's best model."""
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
        raise MoonmlError(
            f"the sweep ran, but registering its best run failed ({launcher_api.first_line(err)}); retry "
            f"with: {register_best_command(sweep, experiment_name, in_workspace)}"
        ) from err
    if best is None:
        log.warning("sweep %s: no finished run with its objective to register", sweep)
    else:
        log.info("sweep's best run: %s", best.message)


def _register_best(config: DictConfig, sweep: str, experiment_name: str, in_workspace: bool) -> Any:
    # Imported here: MLflow (the registry's too) costs seconds.
    from mlflow.tracking import MlflowClient

    from moonml.tracking.registry import register_sweep_best

    tracking = config.tracking
    uri = azureml_tracking_uri(config.azureml) if in_workspace else tracking_uri(tracking, config.azureml)
    client = MlflowClient(uri)
    return register_sweep_best(
        client,
        experiment_name,
        sweep,
        tracking.register_model,
        tracking.champion_alias,
        registers_always(tracking),
    )


def register_best_command(sweep: str, experiment_name: str, in_workspace: bool) -> str:
    """The command that registers a sweep's best run later (add the sweep's tracking overrides)."""
    command = f"python -m moonml.model register-best {shlex.quote(sweep)}"
    if in_workspace:
        command += " tracking=azureml"
    return f"{command} --experiment {shlex.quote(experiment_name)}"
