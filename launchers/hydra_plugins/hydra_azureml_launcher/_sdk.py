"""The AzureML SDKs (azureml-core for v1, azure-ai-ml for v2) are optional installs: one line
says which package is missing."""

import importlib.util

from ._errors import LauncherError

# hydra.launcher.sdk -> (module the launcher imports, the package that provides it)
SDK_PACKAGES = {"v1": ("azureml.core", "azureml-core"), "v2": ("azure.ai.ml", "azure-ai-ml")}


def require_sdk(purpose: str, sdk: str) -> None:
    """Raise a LauncherError naming the package to install unless the SDK can be imported."""
    module, package = SDK_PACKAGES[sdk]
    try:
        found = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # no parent namespace (azureml, azure.ai) at all
        found = False
    if not found:
        raise LauncherError(
            f"{purpose} needs the AzureML SDK, the {package} package, which this Python does not "
            "have: install it into this environment"
        )
