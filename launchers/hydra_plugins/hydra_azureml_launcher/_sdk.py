"""The AzureML SDK (azureml-core) is an optional install: one line says so when it is missing."""

import importlib.util

from ._errors import LauncherError


def require_sdk(purpose: str) -> None:
    """Raise a LauncherError naming the package to install unless azureml.core can be imported."""
    try:
        found = importlib.util.find_spec("azureml.core") is not None
    except ModuleNotFoundError:  # no azureml namespace at all
        found = False
    if not found:
        raise LauncherError(
            f"{purpose} needs the AzureML SDK, the azureml-core package, which this Python does not "
            "have: install it into this environment"
        )
