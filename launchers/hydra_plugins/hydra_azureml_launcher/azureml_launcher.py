"""The Launcher Hydra instantiates; it only keeps its inputs, `_core` does the work."""

from collections.abc import Sequence
from typing import Any, Optional

from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


class AzureMLLauncher(Launcher):
    def __init__(self, **settings: Any) -> None:
        # Resolved against the master config; per-job fields are re-read from each job's config.
        self.settings = settings
        self.config: Optional[DictConfig] = None
        self.task_function: Optional[TaskFunction] = None
        self.hydra_context: Optional[HydraContext] = None

    def setup(
        self,
        *,
        hydra_context: HydraContext,
        task_function: TaskFunction,
        config: DictConfig,
    ) -> None:
        self.config = config
        self.task_function = task_function
        self.hydra_context = hydra_context

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        from . import _core  # heavy imports happen only when a job is launched

        return _core.launch(self, job_overrides, initial_job_idx)
