"""The MLflow tracking URI that points MLflow at an AzureML workspace (tracking=azureml)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from typing import Any

from omegaconf import OmegaConf

from moonml.azure import connect, require_module, running_in_azureml_job, sdk_call


def job_run_id() -> str | None:
    """Inside an AzureML job, the id of the job's own MLflow run (set by the service), else None.

    The service files that run under the experiment the submitter chose, which need not be
    tracking.experiment_name: the job must log into it by id and never change experiment, or
    MLflow refuses ("active experiment ID does not match").
    """
    if running_in_azureml_job():
        return os.environ.get("MLFLOW_RUN_ID") or None
    return None


def logging_process_setup(azureml_settings: Mapping[str, Any]) -> Callable[[], str]:
    """What a spawned logging process runs first (macOS, Windows): azureml_tracking_uri again.

    azureml-mlflow keeps the workspace's credentials for the URI in the process that asked for
    it; a spawned process would otherwise fall back to DefaultAzureCredential and ignore
    azureml.auth. Picklable: a module function and plain settings.
    """
    plain = (
        OmegaConf.to_container(azureml_settings, resolve=True)
        if OmegaConf.is_config(azureml_settings)
        else dict(azureml_settings)
    )
    return functools.partial(azureml_tracking_uri, plain)


def azureml_tracking_uri(azureml_settings: Mapping[str, Any]) -> str:
    """The workspace's azureml:// MLflow URI; inside an AzureML job, the job's own.

    Call it in the process that then logs: azureml-mlflow remembers the workspace's credentials
    for this URI in-process. Without them it would build its own credential chain, which ends in
    interactive logins.
    """
    if running_in_azureml_job() and os.environ.get("MLFLOW_TRACKING_URI"):
        # AzureML points MLflow at the job's run itself; logging there fills that run.
        return os.environ["MLFLOW_TRACKING_URI"]
    from moonml.azure import v2  # its data half imports pandas: only where v2 may be asked for

    uses_v2 = v2.uses_v2(azureml_settings)
    # Importing azureml.mlflow registers the azureml:// scheme with MLflow.
    require_module("azureml.mlflow", "tracking=azureml needs azureml-mlflow")
    if uses_v2:
        return v2.tracking_uri(azureml_settings)
    workspace = connect(azureml_settings)
    return sdk_call(
        workspace.get_mlflow_tracking_uri,
        azureml_settings,
        f"getting the MLflow tracking URI of AzureML workspace {workspace.name!r}",
    )
