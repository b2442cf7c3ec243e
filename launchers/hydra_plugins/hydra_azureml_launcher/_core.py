"""Imported by the Launcher only when it launches: the machinery lives in `azureml_launcher`."""

from collections.abc import Sequence

from azureml_launcher import launch as machinery
from hydra.core.utils import JobReturn

from .azureml_launcher import AzureMLLauncher


def launch(
    launcher: AzureMLLauncher, job_overrides: Sequence[Sequence[str]], initial_job_idx: int
) -> Sequence[JobReturn]:
    # Looked up at each call, so that a test (or a tool) wrapping machinery.launch sees every launch.
    return machinery.launch(launcher, job_overrides, initial_job_idx)
