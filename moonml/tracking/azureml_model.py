"""Download a model from the AzureML workspace's model registry, as the tutorial's download_model.py."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from moonml.azure import connect, parse_version, sdk_call


def download_model(
    azureml_settings: Mapping[str, Any], name: str, version: str | int | None, output_dir: str
) -> Path:
    """Download NAME:VERSION into output_dir and return the downloaded model's path.

    azureml.core.Model covers models registered by MLflow and by Model.register alike, where
    MLflow's models:/ download knows only the former.
    """
    from moonml.azure import v2  # its data half imports pandas: only where v2 may be asked for

    if v2.uses_v2(azureml_settings):  # SDK v2 works with the workspace's MLflow registry
        return v2.download_model(azureml_settings, name, version, output_dir)
    number = parse_version(version, f"model version of {name}")
    label = f"{name}:{number if number is not None else 'latest'}"
    workspace = connect(azureml_settings)  # first: it explains a missing azure extra
    from azureml.core import Model

    model = sdk_call(
        lambda: Model(workspace, name=name, version=number),
        azureml_settings,
        f"looking up model {label} in AzureML workspace {workspace.name!r}",
        not_found=f"no model {label} is registered there (see the workspace's Models page)",
    )
    target = Path(output_dir)
    target.mkdir(parents=True, exist_ok=True)
    path = sdk_call(
        lambda: model.download(target_dir=str(target), exist_ok=True),
        azureml_settings,
        f"downloading model {name}:{model.version} to {target}",
    )
    return Path(path)
