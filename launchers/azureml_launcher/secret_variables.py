"""Job variables that read the submitting machine's environment: refused before anything ships.

AzureML shows a job's variables, and its environment's, to every reader of the workspace, so a
variable written `${oc.env:NAME}` (usually a token) must not travel that way. Checked on the
config as written: resolved, the value cannot be told from any other string.
"""

import re
from typing import Any

from omegaconf import DictConfig, OmegaConf

from azureml_launcher.errors import LauncherError

# Where a job's variables come from: the launcher's own, and the environment's (the app's
# `environment` node unless hydra.launcher.environment names another).
SOURCES = ("hydra.launcher.env_vars", "hydra.launcher.environment.env_vars")
_ENV_READ = re.compile(r"\$\{oc\.env:[^}]*\}")
# ${path} and ${oc.select:path,...}: values another config node holds.
_REFERENCE = re.compile(r"\$\{(?:oc\.select:)?([A-Za-z_][\w.]*)[,}]")


def refuse_variables_read_from_the_environment(config: DictConfig) -> None:
    """One line naming every job variable whose value comes from ${oc.env:...}, and the way on."""
    found = [f"{name} reads the environment ({read})" for name, read in variables_read_from_env(config)]
    if found:
        raise LauncherError(
            f"job variable {'; '.join(found)}: AzureML shows a job's variables to every reader of "
            "the workspace. Keep a secret in the workspace's Key Vault (az keyvault secret set "
            "--vault-name VAULT --name NAME --value ...) and read it in the job (SDK v1: "
            "Run.get_context().get_secret(NAME); SDK v2: azure-keyvault-secrets with the compute's "
            "managed identity), or give the compute an identity that needs no secret"
        )


def variables_read_from_env(config: DictConfig) -> list[tuple[str, str]]:
    """(variable, the ${oc.env:...} it reads) for each job variable of `config`."""
    found = []
    for source in SOURCES:
        variables = _raw(config, source)
        if isinstance(variables, dict):
            for name in variables:
                read = _env_read(config, f"${{{source}.{name}}}", set())
                if read:
                    found.append((str(name), read))
    return found


def _env_read(config: DictConfig, value: Any, seen: set[str]) -> str | None:
    """The first ${oc.env:...} `value` reads, directly or through the nodes it interpolates."""
    if not isinstance(value, str):
        return None
    direct = _ENV_READ.search(value)
    if direct:
        return direct.group()
    for path in _REFERENCE.findall(value):
        if path not in seen:
            read = _env_read(config, _raw(config, path), seen | {path})
            if read:
                return read
    return None


def _raw(config: DictConfig, path: str) -> Any:
    """The value at `path` as written (its interpolations unresolved); None where there is none."""
    parent_path, _, key = path.rpartition(".")
    parent = (
        OmegaConf.select(config, parent_path, default=None, throw_on_resolution_failure=False)
        if parent_path
        else config
    )
    if not isinstance(parent, DictConfig) or key not in parent:
        return None
    return OmegaConf.to_container(parent, resolve=False)[key]
