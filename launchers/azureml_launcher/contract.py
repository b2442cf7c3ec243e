"""What a job the launcher ships can learn about itself, and how an app recognises the launcher.

Every name of this contract is defined here and nowhere else: the launcher sets these variables,
an app reads them through the functions below (exported by `azureml_launcher.api`).
"""

import os
from collections.abc import Mapping
from typing import Any, Optional

from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig

# `_target_` of the launcher's config: how an app tells, from hydra.launcher, that it is in use.
LAUNCHER_TARGET = "hydra_plugins.hydra_azureml_launcher.azureml_launcher.AzureMLLauncher"
# Every job starts as a plain single run: in a sweep this run variable holds the absolute sweep
# dir on the launching machine, so the job knows which sweep it is part of (e.g. to group runs).
SWEEP_DIR_VAR = "HYDRA_AZUREML_LAUNCHER_SWEEP_DIR"
# "local" in a job the local backend replays here.
BACKEND_VAR = "HYDRA_AZUREML_LAUNCHER_BACKEND"
LOCAL_BACKEND = "local"
# The folder the launcher was started from: a replayed job runs in a temporary copy of the
# project, so an app that keeps state relative to where it was started (a local store) finds it.
CALLER_CWD_VAR = "HYDRA_AZUREML_LAUNCHER_CALLER_CWD"


def _env(env: Optional[Mapping[str, str]]) -> Mapping[str, str]:
    return os.environ if env is None else env


def is_launcher(launcher_config: Mapping[str, Any]) -> bool:
    """Whether a hydra.launcher node selects this launcher."""
    return str(launcher_config.get("_target_", "")) == LAUNCHER_TARGET


def running_in_azureml_job(env: Optional[Mapping[str, str]] = None) -> bool:
    """True inside an AzureML job: the runtime sets these to describe the job's own run."""
    env = _env(env)
    return bool(env.get("AZUREML_RUN_ID")) and bool(env.get("AZUREML_ARM_SUBSCRIPTION"))


def replayed_by_local_backend(env: Optional[Mapping[str, str]] = None) -> bool:
    """True in a job the launcher's local backend runs here."""
    return _env(env).get(BACKEND_VAR) == LOCAL_BACKEND


def running_as_shipped_job(env: Optional[Mapping[str, str]] = None) -> bool:
    """On an AzureML node, or replayed here by the launcher's local backend."""
    return running_in_azureml_job(env) or replayed_by_local_backend(env)


def caller_cwd(env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """In a job the local backend replays: the folder the launcher was started from."""
    if not replayed_by_local_backend(env):
        return None
    return _env(env).get(CALLER_CWD_VAR) or None


def launcher_sweep_dir(env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """In a shipped job that is part of a sweep: the sweep's absolute dir on the launching machine."""
    return _env(env).get(SWEEP_DIR_VAR) or None


def part_of_a_sweep(config: DictConfig) -> bool:
    """Whether this multirun's jobs form a sweep, rather than one run shipped by the launcher.

    Hydra's basic sweeper launches all its jobs in one batch (unless max_batch_size is set),
    one per combination of its sweep overrides (a,b / range / glob): with none, exactly one job.
    Any other sweeper (Optuna, ...) picks its trials itself, possibly one batch of one at a time.
    """
    sweeper = config.hydra.sweeper
    if not str(sweeper.get("_target_", "")).endswith("BasicSweeper") or sweeper.get("max_batch_size"):
        return True
    overrides = OverridesParser.create().parse_overrides([str(o) for o in config.hydra.overrides.task])
    return any(o.is_sweep_override() for o in overrides)
