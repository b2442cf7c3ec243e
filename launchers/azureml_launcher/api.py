"""The launcher's public API: what an app needs to work with the jobs the launcher ships.

Everything else in `azureml_launcher` is the launcher's own machinery and may change without
notice. Importing this module imports no AzureML SDK: each function imports what it needs.

- Errors: `LauncherError` (a one-line message for the user; Hydra prints only that).
- Workspace: `connect` (SDK v1 `Workspace`), `connect_v2` (SDK v2 `Connection`: an `MLClient`,
  a label, a deadline), `mlflow_tracking_uri`, `explained_call` / `deadline_of` (any SDK call
  under the workspace's deadline, failures in one line), `first_line`.
- SDKs: `SDKS` (the values of `hydra.launcher.sdk` / `azureml.sdk`), `parse_version` (an
  asset version: a positive number, or None for the latest).
- The job contract: `LAUNCHER_TARGET` / `is_launcher` (is hydra.launcher this launcher),
  `running_in_azureml_job`, `running_as_shipped_job`, `replayed_by_local_backend`,
  `caller_cwd`, `launcher_sweep_dir`, `part_of_a_sweep`, the variables `SWEEP_DIR_VAR`,
  `BACKEND_VAR`, `CALLER_CWD_VAR`, and `experiment_name` (the experiment a job's run is filed under).
- Helpers the launcher uses for the same job: `git_commit` (HEAD, "+dirty" when the shipped
  files differ), `hydra_value` (a value quoted for a Hydra override on a command line).
"""

from azureml_launcher.command import hydra_value
from azureml_launcher.contract import (
    BACKEND_VAR,
    CALLER_CWD_VAR,
    LAUNCHER_TARGET,
    SWEEP_DIR_VAR,
    caller_cwd,
    is_launcher,
    launcher_sweep_dir,
    part_of_a_sweep,
    replayed_by_local_backend,
    running_as_shipped_job,
    running_in_azureml_job,
)
from azureml_launcher.errors import LauncherError
from azureml_launcher.inputs import parse_version
from azureml_launcher.job import experiment_name, git_commit
from azureml_launcher.sdk import SDKS
from azureml_launcher.v2.client import Connection, mlflow_tracking_uri
from azureml_launcher.v2.client import connect as connect_v2
from azureml_launcher.workspace import (
    WORKSPACE_NOT_FOUND,
    connect,
    deadline_of,
    explained_call,
    first_line,
)

__all__ = [
    "BACKEND_VAR",
    "CALLER_CWD_VAR",
    "LAUNCHER_TARGET",
    "SDKS",
    "SWEEP_DIR_VAR",
    "WORKSPACE_NOT_FOUND",
    "Connection",
    "LauncherError",
    "caller_cwd",
    "connect",
    "connect_v2",
    "deadline_of",
    "experiment_name",
    "explained_call",
    "first_line",
    "git_commit",
    "hydra_value",
    "is_launcher",
    "launcher_sweep_dir",
    "mlflow_tracking_uri",
    "parse_version",
    "part_of_a_sweep",
    "replayed_by_local_backend",
    "running_as_shipped_job",
    "running_in_azureml_job",
]
