"""AzureML SDK v2 (azure-ai-ml): an MLClient for the workspace, with the same rules as v1.

The workspace ids, the choice of credentials and the deadlines come from `workspace` (shared
with v1); only the client differs. azure-ai-ml is imported here and nowhere else at module
level, and this module is imported only when `sdk=v2` is asked for.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from azureml_launcher import workspace as _workspace
from azureml_launcher.contract import running_in_azureml_job
from azureml_launcher.errors import LauncherError
from azureml_launcher.sdk_logs import show_sdk_logs

T = TypeVar("T")
# Environment variables the AzureML runtime sets inside a job (v1 and v2 alike).
JOB_WORKSPACE_VARS = ("AZUREML_ARM_SUBSCRIPTION", "AZUREML_ARM_RESOURCEGROUP", "AZUREML_ARM_WORKSPACE_NAME")


def import_sdk() -> Any:
    """azure.ai.ml, or a message naming the missing package."""
    try:
        import azure.ai.ml as ml
    except ImportError as err:
        raise LauncherError(
            f"sdk=v2 needs the AzureML SDK v2, the azure-ai-ml package, not importable here ({err})"
        ) from None
    # Every schema class the SDK marks experimental logs a warning when a job is (de)serialised.
    logging.getLogger("azure.ai.ml._utils._experimental").setLevel(logging.ERROR)
    return ml


_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def sdk_message(err: BaseException) -> str:
    """An azure-ai-ml error's own words on one line.

    The SDK formats an MlException for a terminal: colour codes, a numbered summary, then
    "Details:" (what went wrong, each line "(x) ...") and "Resolutions:" (generic advice).
    """
    text = _COLOUR.sub("", str(getattr(err, "message", None) or err))
    if "Details:" in text:
        text = text.split("Details:", 1)[1].split("Resolutions:", 1)[0]
    lines = [re.sub(r"^\(x\)\s*", "", line.strip()) for line in text.splitlines() if line.strip()]
    return " ".join(lines) or str(getattr(err, "no_personal_data_message", "") or type(err).__name__)


def _in_one_line(fn: Callable[[], T]) -> Callable[[], T]:
    """fn, with any MlException it raises carrying its message on one line (see sdk_message)."""

    def run() -> T:
        from azure.ai.ml.exceptions import MlException

        try:
            return fn()
        except MlException as err:
            err.message = sdk_message(err)  # what the launcher's one-line explanation quotes
            raise

    return run


def credential(choice: str, env: Mapping[str, str]) -> Any:
    """The azure-identity credential of a `_workspace.choose_auth` choice (no network)."""
    from azure.identity import (
        AzureCliCredential,
        ClientSecretCredential,
        DeviceCodeCredential,
        InteractiveBrowserCredential,
        ManagedIdentityCredential,
    )

    if choice == "service_principal":
        return ClientSecretCredential(
            env["AZURE_TENANT_ID"], env["AZURE_CLIENT_ID"], env["AZURE_CLIENT_SECRET"]
        )
    if choice == "managed_identity":
        # A user-assigned identity is named by its client id; none means system-assigned.
        return ManagedIdentityCredential(client_id=env.get("AZURE_CLIENT_ID") or None)
    return {
        "cli": AzureCliCredential,
        "interactive": InteractiveBrowserCredential,
        "device_code": DeviceCodeCredential,
    }[choice]()


def workspace_ids(settings: Mapping[str, Any], env: Mapping[str, str]) -> tuple[str, str, str, str]:
    """(subscription, resource group, workspace, origin): inside a job its own, else the settings'."""
    if running_in_azureml_job(env) and all(env.get(v) for v in JOB_WORKSPACE_VARS):
        sub, group, name = (env[v] for v in JOB_WORKSPACE_VARS)
        return sub, group, name, "this AzureML job"
    return _workspace.resolve_workspace_ids(settings)


@dataclass
class Connection:
    """An MLClient, what it is connected to (for messages), and the deadline of its calls."""

    client: Any
    label: str  # "AzureML workspace 'ws' (resource group ..., from ...) with ... credentials"
    timeout_s: float
    sdk_output_shown: bool = False  # hydra.verbose asked for the SDK's logs and progress bars

    def call(
        self,
        fn: Callable[[], T],
        what: str,
        not_found: str = _workspace.WORKSPACE_NOT_FOUND,
        timeout_s: float | None = None,
    ) -> T:
        """fn() under the deadline (timeout_s: another one); an SDK failure becomes one line."""
        deadline = self.timeout_s if timeout_s is None else timeout_s
        return _workspace.explained_call(_in_one_line(fn), deadline, what, not_found)


def connect(settings: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Connection:
    """An MLClient for the workspace `settings` describe. Building it sends nothing."""
    env = dict(os.environ if env is None else env)
    timeout = _workspace.deadline_of(settings)
    subscription, group, name, origin = workspace_ids(settings, env)
    choice = _workspace.choose_auth(str(settings.get("auth") or "auto"), env, _workspace.has_terminal())
    ml = import_sdk()
    label = (
        f"AzureML workspace {name!r} (resource group {group!r}, subscription {subscription}, from "
        f"{origin}) with {choice.replace('_', ' ')} credentials"
    )
    try:
        chosen = credential(choice, env)
    except ValueError as err:  # azure-identity checks the ids' form, e.g. of AZURE_TENANT_ID
        raise LauncherError(f"{choice.replace('_', ' ')} credentials: {err}") from None
    # azure-core's line per HTTP request stays off the console unless hydra.verbose asked for
    # the azure loggers; the SDK then also draws its upload progress bars.
    shown = show_sdk_logs(["azure"])
    # No telemetry (the SDK sends it from notebooks): a network call outside any deadline.
    client = ml.MLClient(chosen, subscription, group, name, enable_telemetry=False, show_progress=shown)
    return Connection(client, label, timeout, sdk_output_shown=shown)


def mlflow_tracking_uri(connection: Connection) -> str:
    """The workspace's azureml:// MLflow URI, within the deadline.

    Asked through MLClient.workspaces.get, which also hands the client's credential to
    azureml-mlflow for this URI (in this process): MLflow then never builds its own credential
    chain, which would end in interactive logins.
    """
    try:
        import azureml.mlflow  # noqa: F401  # registers the azureml:// scheme with MLflow
        import mlflow  # noqa: F401  # imported by the call below: seconds the deadline must not count
    except ImportError as err:
        raise LauncherError(
            f"MLflow in an AzureML workspace needs the azureml-mlflow package, not importable here ({err})"
        ) from None
    client = connection.client
    found = connection.call(
        lambda: client.workspaces.get(client.workspace_name),
        f"getting the MLflow tracking URI of {connection.label}",
    )
    if not found.mlflow_tracking_uri:
        raise LauncherError(f"{connection.label}: the workspace reports no MLflow tracking URI")
    return str(found.mlflow_tracking_uri)


def job_error(client: Any, name: str) -> str | None:
    """The service's error message of an ended job, or None: what v1's Run.get_details carries.

    No public azure-ai-ml call returns it (the job entity has no error; `jobs.stream` prints the
    logs before raising it), so it is read from the run history as `jobs.stream` does.
    """
    runs = getattr(client.jobs, "_runs_operations", None)
    if runs is None or not hasattr(runs, "get_run_details"):
        from importlib.metadata import version

        raise LauncherError(
            f"azure-ai-ml {version('azure-ai-ml')} has no JobOperations._runs_operations.get_run_details, "
            "which reads a job's error message: install the azure-ai-ml version pyproject.toml names"
        )
    error = runs.get_run_details(name).error
    return error.error.message if error is not None and error.error is not None else None
