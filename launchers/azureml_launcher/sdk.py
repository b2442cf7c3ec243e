"""The AzureML SDKs (azureml-core for v1, azure-ai-ml for v2) are optional installs: one line
says which package is missing, or which installed version lacks what the launcher uses."""

import importlib
import importlib.util
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from azureml_launcher.errors import LauncherError

# hydra.launcher.sdk -> (module the launcher imports, the package that provides it)
SDK_PACKAGES = {"v1": ("azureml.core", "azureml-core"), "v2": ("azure.ai.ml", "azure-ai-ml")}
# The values of hydra.launcher.sdk (and of an input's registered_with).
SDKS = tuple(SDK_PACKAGES)
# The versions the tests ran against, where the launcher needs a function the SDK does not make
# public (pyproject.toml's `azure` extra declares the same ranges).
TESTED = {"azure-ai-ml": ">=1.35,<1.36"}


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


def private(package: str, module: str, name: str) -> Any:
    """`module.name` of `package`, which has no public equivalent: if a release moved or removed
    it, one line names the installed version and the tested ones."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        try:
            installed = f"{package} {version(package)}"
        except PackageNotFoundError:
            installed = f"this {package}"
        raise LauncherError(
            f"{installed} has no {module}.{name}, which the azureml launcher needs; install "
            f"{package}{TESTED[package]} (the versions it was tested with)"
        ) from None
