"""What a job learns from Hydra's runtime and the launcher about its sweep, for the pipeline."""

from pathlib import Path

from azureml_launcher import api as launcher_api
from hydra.types import RunMode
from omegaconf import DictConfig


def sweep_id(hydra_cfg: DictConfig) -> str | None:
    """The absolute sweep dir of this job's multirun; None for a single run."""
    if hydra_cfg.mode == RunMode.MULTIRUN:
        return str(Path(str(hydra_cfg.sweep.dir)).absolute())
    # A job the azureml launcher shipped runs as a plain single run: it says which sweep.
    return launcher_api.launcher_sweep_dir()


def shares_the_terminal(hydra_cfg: DictConfig) -> bool:
    """True when this job may share the terminal with other jobs running at the same time."""
    if launcher_api.launcher_sweep_dir():
        return True
    launcher = str(hydra_cfg.launcher.get("_target_", ""))
    return hydra_cfg.mode == RunMode.MULTIRUN and not launcher.endswith("BasicLauncher")
