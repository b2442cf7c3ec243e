"""moonml's AzureML features through SDK v2 (azure-ai-ml), chosen by `azureml.sdk=v2`.

The same setting makes the azureml launcher submit command jobs. Workspace ids, credentials
and deadlines are the launcher's (its public API's v2 connection); inside a job
nothing here is needed: AzureML sets the MLflow variables, the job's command AZURE_ML_INPUT_<name>.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from azureml_launcher import api as launcher

from moonml.azure import parse_version, require_module, user_errors
from moonml.data.azureml import RegisteredDataset, check_upload, upload_folder
from moonml.errors import MoonmlError


def uses_v2(azureml_settings: Mapping[str, Any]) -> bool:
    sdk = azureml_settings.get("sdk") or "v1"
    if sdk not in launcher.SDKS:
        raise MoonmlError(f"azureml.sdk={sdk!r}: choose one of {', '.join(launcher.SDKS)}")
    return sdk == "v2"


def connect(azureml_settings: Mapping[str, Any]) -> Any:
    """The launcher's v2 Connection (MLClient, label, deadline) for `cfg.azureml`."""
    require_module("azure.ai.ml", "sdk=v2 needs azure-ai-ml", install="install the azure extra")
    with user_errors():
        return launcher.connect_v2(azureml_settings)


def tracking_uri(azureml_settings: Mapping[str, Any], connection: Any = None) -> str:
    """The workspace's MLflow URI, asked through MLClient (call it in the process that logs)."""
    connection = connection or connect(azureml_settings)
    with user_errors():
        return launcher.mlflow_tracking_uri(connection)


def register_data(azureml_settings: Mapping[str, Any], name: str, path: str) -> RegisteredDataset:
    """Upload `path` (a table or a folder) and register it as a new version of uri_folder data asset `name`.

    The SDK uploads into a folder named by the content's hash, so versions never share files.
    """
    upload = check_upload(path)
    if not name:
        raise MoonmlError("--name must not be empty")
    connection = connect(azureml_settings)
    from azure.ai.ml.constants import AssetTypes
    from azure.ai.ml.entities import Data

    with upload_folder(upload) as folder, user_errors():
        # No version: the SDK takes the next one after the latest.
        asset = Data(name=name, path=str(folder.absolute()), type=AssetTypes.URI_FOLDER)
        created = connection.call(
            lambda: connection.client.data.create_or_update(asset),
            f"uploading {upload} and registering data asset {name!r} in {connection.label}",
        )
    return RegisteredDataset(name=name, version=int(created.version), datastore_path=str(created.path))


def download_model(
    azureml_settings: Mapping[str, Any], name: str, version: str | int | None, output_dir: str
) -> Path:
    """Download MLflow model NAME:VERSION from the workspace's MLflow model registry."""
    number = parse_version(version, f"model version of {name}")
    label = f"{name}:{number if number is not None else 'latest'}"
    connection = connect(azureml_settings)
    uri = tracking_uri(azureml_settings, connection)
    import mlflow

    # models:/ URIs resolve through the process-wide registry URI (a command-line process).
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    target = Path(output_dir)
    target.mkdir(parents=True, exist_ok=True)
    with user_errors():
        path = connection.call(
            lambda: mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{name}/{number if number is not None else 'latest'}",
                dst_path=str(target),
            ),
            f"downloading model {label} from the MLflow registry of {connection.label}",
            not_found=f"no model {label} is registered there (see the workspace's Models page)",
        )
    return Path(path)
