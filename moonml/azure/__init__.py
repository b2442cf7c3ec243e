"""moonml's way into an AzureML workspace: the connection, SDK calls under a deadline, whether
this is a shipped job. The features built on it live with their stage: the dataset in
moonml.data.azureml, the tracking URI and model download in moonml.tracking.azureml(_model).

The workspace, credential and deadline logic is the launcher's, through its public API
(`azureml_launcher.api`; moonml may import the launcher, never the other way round); this
package turns its LauncherError into moonml's MoonmlError, which the entry points print as one
line. Nothing from azure is imported until a function here is called, so the base install
(without the azure extra) never needs it.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from azureml_launcher import api as launcher

from moonml.errors import MoonmlError

if TYPE_CHECKING:
    from azureml.core import Workspace

T = TypeVar("T")
# MLflow's artifact root for experiments a database store creates (set by `mlflow server`;
# private, checked against mlflow 3.15).
SERVER_ARTIFACT_ROOT_VAR = "_MLFLOW_SERVER_ARTIFACT_ROOT"
INSTALL_HINT = 'pip install -e ".[azure]"'


@contextmanager
def user_errors() -> Iterator[None]:
    """LauncherError (already worded for the user) becomes MoonmlError at moonml's boundary."""
    try:
        yield
    except launcher.LauncherError as err:
        raise MoonmlError(str(err)) from err


def require_module(module: str, needs: str, install: str = "install it with") -> None:
    """Import `module` or raise one MoonmlError: "<needs> (<import error>); <install>: <hint>"."""
    try:
        importlib.import_module(module)
    except ImportError as err:
        raise MoonmlError(f"{needs} ({err}); {install}: {INSTALL_HINT}") from None


def connect(azureml_settings: Mapping[str, Any]) -> Workspace:
    """The workspace of `cfg.azureml`, within its deadline."""
    require_module("azureml.core", "AzureML features need the azure extra")
    with user_errors():
        return launcher.connect(azureml_settings)


def sdk_call(
    fn: Callable[[], T],
    azureml_settings: Mapping[str, Any],
    what: str,
    not_found: str = launcher.WORKSPACE_NOT_FOUND,
) -> T:
    """fn() under the azureml.timeout_s deadline; any SDK failure becomes one MoonmlError line."""
    with user_errors():
        return launcher.explained_call(fn, launcher.deadline_of(azureml_settings), what, not_found)


def check_launcher_mode(launcher_choice: str | None, multirun: bool) -> None:
    """hydra/launcher=azureml in a single run would train here: Hydra runs launchers in multirun only."""
    if launcher_choice == "azureml" and not multirun:
        raise MoonmlError(
            "hydra/launcher=azureml ships runs in multirun mode only, and this is a single run "
            "(it would train here): choose a cluster compute (compute=cpu-cluster or "
            "compute=gpu-cluster select the launcher and multirun mode themselves), or add -m"
        )


def running_in_azureml_job() -> bool:
    return launcher.running_in_azureml_job()


def running_as_shipped_job() -> bool:
    """On an AzureML node, or replayed here by the azureml launcher's local backend."""
    return launcher.running_as_shipped_job()


def parse_version(version: str | int | None, what: str) -> int | None:
    """A registered asset's version: a positive whole number; None or "latest" mean the newest."""
    with user_errors():
        return launcher.parse_version(version, what)


def use_callers_tracking_store(env: MutableMapping[str, str] | None = None) -> None:
    """In a job the launcher's local backend replays, track where the caller would.

    The job runs in a temporary copy of the project: a relative sqlite store, or MLflow's
    default (sqlite:///mlflow.db and ./mlruns of the working directory), would land there and
    vanish. They are anchored in the folder the launcher was started from.
    """
    env = os.environ if env is None else env
    caller = launcher.caller_cwd(env)
    if not caller:
        return
    uri = env.get("MLFLOW_TRACKING_URI") or "sqlite:///mlflow.db"
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        uri = f"sqlite:///{Path(caller, uri[len('sqlite:///') :]).absolute()}"
    elif not uri.startswith("file:") and "://" not in uri:
        uri = str(Path(caller, uri).absolute())  # a plain local path: MLflow's file store
    env["MLFLOW_TRACKING_URI"] = uri
    if uri.startswith("sqlite:"):
        env.setdefault(SERVER_ARTIFACT_ROOT_VAR, str(Path(caller, "mlruns")))
