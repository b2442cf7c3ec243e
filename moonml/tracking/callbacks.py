"""Hydra callbacks that prepare tracking before a sweep fans out."""

from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig


class InitTrackingStore(Callback):
    """Create a fresh sqlite store and the experiment once, before parallel jobs start.

    Processes that touch a new sqlite store at the same time race on its schema migration and
    can leave it broken for good; jobs that create one experiment at once collide on its name.
    """

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        if config.tracking.backend != "mlflow" or not jobs_run_here(config.hydra.launcher):
            return
        from moonml.tracking.uri import tracking_uri

        uri = tracking_uri(config.tracking, config.azureml)
        if not uri.startswith("sqlite:"):
            return  # a server initialises its own store
        import mlflow

        mlflow.set_tracking_uri(uri)
        mlflow.set_experiment(config.tracking.experiment_name)


def jobs_run_here(launcher: DictConfig) -> bool:
    """False for the azureml launcher, unless its local backend replays the jobs on this machine."""
    if not launcher.get("_target_", "").endswith("AzureMLLauncher"):
        return True
    return launcher.backend == "local" and not launcher.dry_run
