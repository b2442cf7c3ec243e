"""The MLflow tracking URI that points MLflow at an AzureML workspace (tracking=azureml)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from moonml.azure import INSTALL_HINT, connect, running_in_azureml_job, sdk_call
from moonml.errors import MoonmlError


def azureml_tracking_uri(azureml_settings: Mapping[str, Any]) -> str:
    """The workspace's azureml:// MLflow URI; inside an AzureML job, the job's own.

    Call it in the process that then logs: azureml-mlflow remembers the workspace's credentials
    for this URI in-process. Without them it would build its own credential chain, which ends in
    interactive logins.
    """
    if running_in_azureml_job() and os.environ.get("MLFLOW_TRACKING_URI"):
        # AzureML points MLflow at the job's run itself; logging there fills that run.
        return os.environ["MLFLOW_TRACKING_URI"]
    from moonml.azure import v2

    if v2.uses_v2(azureml_settings):
        return v2.tracking_uri(azureml_settings)
    try:
        import azureml.mlflow  # noqa: F401  # registers the azureml:// scheme with MLflow
    except ImportError as err:
        raise MoonmlError(
            f"tracking=azureml needs azureml-mlflow ({err}); install it with: {INSTALL_HINT}"
        ) from None
    workspace = connect(azureml_settings)
    return sdk_call(
        workspace.get_mlflow_tracking_uri,
        azureml_settings,
        f"getting the MLflow tracking URI of AzureML workspace {workspace.name!r}",
    )
