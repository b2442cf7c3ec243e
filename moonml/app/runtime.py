"""What a job learns from Hydra's runtime and the launcher about its sweep, for the pipeline."""

import os
from pathlib import Path

from hydra.types import RunMode
from omegaconf import DictConfig

# Set by the azureml launcher on each job of a sweep, here (backend=local) or on AzureML: the
# job runs as a plain single run and learns from it which sweep it is part of.
LAUNCHER_SWEEP_VAR = "HYDRA_AZUREML_LAUNCHER_SWEEP_DIR"


def sweep_id(hydra_cfg: DictConfig) -> str | None:
    """The absolute sweep dir of this job's multirun; None for a single run."""
    if hydra_cfg.mode == RunMode.MULTIRUN:
        return str(Path(str(hydra_cfg.sweep.dir)).absolute())
    return os.environ.get(LAUNCHER_SWEEP_VAR) or None


def shares_the_terminal(hydra_cfg: DictConfig) -> bool:
    """True when this job may share the terminal with other jobs running at the same time."""
    if os.environ.get(LAUNCHER_SWEEP_VAR):
        return True
    launcher = str(hydra_cfg.launcher.get("_target_", ""))
    return hydra_cfg.mode == RunMode.MULTIRUN and not launcher.endswith("BasicLauncher")
