"""Connect to an AzureML workspace without ever waiting on a person or a silent network.

- Workspace ids come from explicit settings, else a config.json found like
  `Workspace.from_config` finds it; inside an AzureML job, from the job itself.
- Credentials are picked from the environment by `choose_auth`, a pure function; interactive
  kinds only with a terminal attached and when asked for.
- Every call that leaves the machine goes through `call_with_deadline`: the SDK has no overall
  deadline and hangs for many minutes on a network that drops traffic.

Apps reach a workspace the way the launcher does through `azureml_launcher.api`. The SDK is
imported only when a workspace is actually needed. Failures are LauncherError, which Hydra prints as one line.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from azureml_launcher.contract import running_in_azureml_job
from azureml_launcher.errors import DeadlineExceeded, LauncherError

if TYPE_CHECKING:
    from azureml.core import Workspace

AUTH_MODES = ("auto", "service_principal", "managed_identity", "cli", "interactive", "device_code")
SERVICE_PRINCIPAL_VARS = ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")
# Set where a managed identity can hand out tokens (App Service, AzureML compute instances).
IDENTITY_ENDPOINT_VARS = ("IDENTITY_ENDPOINT", "MSI_ENDPOINT")
# The order Workspace.from_config searches in: each location all the way up before the next one.
CONFIG_LOCATIONS = (".azureml/config.json", "aml_config/config.json", "config.json")
WORKSPACE_KEYS = ("subscription_id", "resource_group", "workspace_name")
# Deadline of each call to Azure when the settings name none (timeout_s null or absent).
DEFAULT_TIMEOUT_S = 60.0
MAX_TIMEOUT_S = 3600.0

T = TypeVar("T")


# --- who may log in ---------------------------------------------------------------------


def has_terminal() -> bool:
    """A person can answer a login prompt only if stdin is a terminal."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):  # closed or replaced stdin
        return False


# --- which workspace -------------------------------------------------------------------------


def find_config(start: Path) -> Path | None:
    """The config.json Workspace.from_config would pick, searching from start upwards."""
    folders = [start, *start.parents]
    for location in CONFIG_LOCATIONS:
        for folder in folders:
            candidate = folder / location
            if candidate.is_file():
                return candidate
    return None


def read_config(path: Path) -> tuple[str, str, str]:
    """subscription_id, resource_group, workspace_name from a portal-downloaded config.json."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise LauncherError(f"{path}: cannot read the workspace config ({err})") from None
    except json.JSONDecodeError as err:
        raise LauncherError(
            f"{path}: not valid JSON ({err}); download config.json again from the Azure portal "
            "(your workspace > Overview > Download config.json)"
        ) from None
    if not isinstance(data, dict):
        raise LauncherError(f"{path}: expected a JSON object with {', '.join(WORKSPACE_KEYS)}")
    missing = [key for key in WORKSPACE_KEYS if not data.get(key)]
    if missing:
        raise LauncherError(
            f"{path}: missing {', '.join(missing)}; download config.json again from the Azure "
            "portal (your workspace > Overview > Download config.json)"
        )
    return data["subscription_id"], data["resource_group"], data["workspace_name"]


def resolve_workspace_ids(settings: Mapping[str, Any], cwd: Path | None = None) -> tuple[str, str, str, str]:
    """(subscription_id, resource_group, workspace_name, where they came from)."""
    explicit = {key: settings.get(key) for key in WORKSPACE_KEYS}
    given = [key for key, value in explicit.items() if value]
    if given:
        missing = [key for key in WORKSPACE_KEYS if key not in given]
        if missing:
            raise LauncherError(
                f"azureml.{given[0]} is set but azureml.{', azureml.'.join(missing)} is not: "
                "set all three (or AZUREML_SUBSCRIPTION_ID, AZUREML_RESOURCE_GROUP, "
                "AZUREML_WORKSPACE_NAME), or none of them to use config.json"
            )
        sub, group, name = (str(explicit[key]) for key in WORKSPACE_KEYS)
        return sub, group, name, "azureml settings"
    cwd = Path.cwd() if cwd is None else cwd
    config_path = settings.get("config_path")
    if config_path:
        path = (cwd / Path(config_path).expanduser()).resolve()
        if path.is_dir():
            found = find_config(path)
            if found is None:
                raise LauncherError(
                    f"azureml.config_path={config_path}: no config.json in {path} or its parents"
                )
            path = found
        elif not path.is_file():
            raise LauncherError(
                f"azureml.config_path={config_path}: no such file; download config.json from the "
                "Azure portal (your workspace > Overview > Download config.json)"
            )
        return (*read_config(path), str(path))
    found = find_config(cwd.resolve())
    if found is None:
        raise LauncherError(
            f"no AzureML workspace configured: no config.json in {cwd} or its parents. Download "
            "config.json from the Azure portal (your workspace > Overview > Download config.json) "
            "into this folder, or set azureml.config_path, or set AZUREML_SUBSCRIPTION_ID, "
            "AZUREML_RESOURCE_GROUP and AZUREML_WORKSPACE_NAME"
        )
    return (*read_config(found), str(found))


# --- which credentials -----------------------------------------------------------------------


def choose_auth(mode: str, env: Mapping[str, str], terminal: bool) -> str:
    """The kind of credentials to use: one of AUTH_MODES except auto. Pure: tests pin each case.

    auto never prompts: a service principal from AZURE_TENANT_ID/AZURE_CLIENT_ID/
    AZURE_CLIENT_SECRET, else a managed identity when an identity endpoint is present, else the
    Azure CLI login.
    """
    if mode not in AUTH_MODES:
        raise LauncherError(f"azureml.auth={mode!r} is not one of {', '.join(AUTH_MODES)}")
    principal = {name: env.get(name) for name in SERVICE_PRINCIPAL_VARS}
    if mode == "service_principal" or (
        # AZURE_CLIENT_ID alone names a user-assigned managed identity, not a service principal.
        mode == "auto" and (principal["AZURE_TENANT_ID"] or principal["AZURE_CLIENT_SECRET"])
    ):
        missing = [name for name, value in principal.items() if not value]
        if missing:
            raise LauncherError(
                f"service principal credentials incomplete: {', '.join(missing)} not set (set "
                f"all of {', '.join(SERVICE_PRINCIPAL_VARS)}, or unset them to use a managed "
                "identity or `az login`)"
            )
        return "service_principal"
    if mode in ("interactive", "device_code"):
        if not terminal:
            raise LauncherError(
                f"azureml.auth={mode} needs a terminal to log in, and none is attached; use "
                "azureml.auth=auto with a service principal (AZURE_TENANT_ID, AZURE_CLIENT_ID, "
                "AZURE_CLIENT_SECRET), a managed identity or `az login`"
            )
        return mode
    if mode == "auto":
        has_endpoint = any(env.get(name) for name in IDENTITY_ENDPOINT_VARS)
        return "managed_identity" if has_endpoint else "cli"
    return mode


def build_auth(choice: str, env: Mapping[str, str]) -> Any:
    """An azureml-core authentication object for a `choose_auth` choice (imports the SDK)."""
    from azureml.core.authentication import MsiAuthentication, ServicePrincipalAuthentication

    # Naming the cloud spares a fetch of cloud metadata from management.azure.com (up to 30 s).
    cloud = env.get("AZUREML_CURRENT_CLOUD") or "AzureCloud"
    if choice == "service_principal":
        return ServicePrincipalAuthentication(
            tenant_id=env["AZURE_TENANT_ID"],
            service_principal_id=env["AZURE_CLIENT_ID"],
            service_principal_password=env["AZURE_CLIENT_SECRET"],
            cloud=cloud,
        )
    if choice == "managed_identity":
        client_id = env.get("AZURE_CLIENT_ID")
        # A user-assigned identity is named by its client id; none means system-assigned.
        identity = {"client_id": client_id} if client_id else None
        return MsiAuthentication(cloud=cloud, identity_config=identity)
    # azureml-core's own CLI auth needs the azure-cli package in this interpreter; azure-identity
    # calls the `az` command instead, and covers browser and device-code logins the same way.
    from azure.identity import (
        AzureCliCredential,
        DeviceCodeCredential,
        InteractiveBrowserCredential,
    )

    # One cache per kind for the whole process: every workspace connection shares its tokens.
    if choice not in _CACHED_CREDENTIALS:
        kind = {
            "cli": AzureCliCredential,
            "interactive": InteractiveBrowserCredential,
            "device_code": DeviceCodeCredential,
        }[choice]
        _CACHED_CREDENTIALS[choice] = CachedTokens(kind())
    return credential_auth(_CACHED_CREDENTIALS[choice], cloud)


_CACHED_CREDENTIALS: dict[str, CachedTokens] = {}


class CachedTokens:
    """An azure-identity credential whose tokens are reused until shortly before they expire.

    AzureCliCredential keeps no token: every SDK request would start an `az` process (13 for
    one submitted job). One token per scope set, renewed EXPIRY_MARGIN_S before it expires.
    """

    EXPIRY_MARGIN_S = 300.0

    def __init__(self, credential: Any, clock: Callable[[], float] = time.time) -> None:
        self.credential = credential
        self.clock = clock
        self.tokens: dict[tuple[Any, ...], Any] = {}
        self.lock = threading.Lock()

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        key = (*scopes, *sorted(kwargs.items()))
        with self.lock:  # SDK calls run in deadline threads: one `az` per scope, not one each
            token = self.tokens.get(key)
            if token is None or token.expires_on - self.EXPIRY_MARGIN_S <= self.clock():
                token = self.tokens[key] = self.credential.get_token(*scopes, **kwargs)
            return token


def credential_auth(credential: Any, cloud: str = "AzureCloud") -> Any:
    """Wrap an azure-identity credential as an azureml-core authentication object."""
    from azureml._vendor.azure_cli_core.auth.util import resource_to_scopes
    from azureml.core.authentication import Audience, TokenAuthentication

    class CredentialAuthentication(TokenAuthentication):
        # TokenAuthentication leaves these abstract; the AzureML data plane needs the first.
        def _get_azureml_client_token(self) -> str:
            return self._get_aad_token(resource=Audience.AZUREML)

        def _get_workspace(self, subscription_id: str, resource_group: str, name: str) -> None:
            return None  # look the workspace up through ARM

    def token_for(resource: str) -> str:
        return credential.get_token(*resource_to_scopes(resource)).token

    return CredentialAuthentication(token_for, cloud=cloud)


# --- deadlines -------------------------------------------------------------------------------


def deadline_of(settings: Mapping[str, Any]) -> float:
    raw = settings.get("timeout_s")
    try:
        timeout = float(raw if raw is not None else DEFAULT_TIMEOUT_S)
    except (TypeError, ValueError):
        raise LauncherError(f"azureml.timeout_s={raw!r} is not a number of seconds") from None
    if not 0 < timeout <= MAX_TIMEOUT_S:
        raise LauncherError(f"azureml.timeout_s={raw!r} must be > 0 and <= {MAX_TIMEOUT_S:g}")
    return timeout


def upload_deadline(timeout_s: float, size_bytes: int, mb_per_s: float) -> float:
    """The deadline of a call that uploads `size_bytes`: the usual one plus the transfer time at
    `mb_per_s` (the slowest upload rate still deemed working)."""
    if mb_per_s <= 0:
        raise LauncherError(f"hydra.launcher.upload_mb_per_s={mb_per_s:g} must be > 0")
    return timeout_s + size_bytes / (1024 * 1024) / mb_per_s


def call_with_deadline(fn: Callable[[], T], timeout_s: float, what: str) -> T:
    """fn() in a daemon thread; LauncherError naming `what` if it has not returned in time.

    A daemon thread because a hung SDK call cannot be cancelled: it is abandoned and dies with
    the process. Exceptions from fn are re-raised here unchanged.
    """
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as err:  # handed to the caller's thread
            outcome["error"] = err
        finally:
            done.set()

    threading.Thread(target=run, name=f"azureml: {what}", daemon=True).start()
    if not done.wait(timeout_s):
        raise DeadlineExceeded(
            f"{what}: no answer within {timeout_s:g} s (azureml.timeout_s). Check the network "
            "connection and proxy settings (HTTPS_PROXY), that Azure is reachable from here, "
            "and the workspace settings; raise azureml.timeout_s if the network is just slow"
        )
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


# --- connecting ------------------------------------------------------------------------------


def import_sdk() -> Any:
    """azureml.core, or a message saying it is missing."""
    try:
        import azureml.core as core
    except ImportError as err:
        raise LauncherError(
            f"AzureML features need the azureml-core package, not importable here ({err})"
        ) from None
    return core


def connect(settings: Mapping[str, Any]) -> Workspace:
    """The workspace `settings` describe (see the module docstring), within the deadline."""
    timeout = deadline_of(settings)
    if running_in_azureml_job():
        core = import_sdk()
        what = "loading the workspace of this AzureML job"
        return explained_call(
            lambda: core.Run.get_context(allow_offline=False).experiment.workspace, timeout, what
        )
    subscription, group, name, origin = resolve_workspace_ids(settings)
    choice = choose_auth(str(settings.get("auth") or "auto"), os.environ, has_terminal())
    core = import_sdk()
    what = (
        f"connecting to AzureML workspace {name!r} (resource group {group!r}, subscription "
        f"{subscription}, from {origin}) with {choice.replace('_', ' ')} credentials"
    )
    env = dict(os.environ)
    # Building the auth object may already talk to Azure, so it runs under the deadline too.
    return explained_call(
        lambda: core.Workspace(subscription, group, name, auth=build_auth(choice, env)), timeout, what
    )


WORKSPACE_NOT_FOUND = (
    "the workspace was not found. Check subscription_id, resource_group and workspace_name in "
    "config.json or the azureml settings"
)


def explained_call(
    fn: Callable[[], T],
    timeout_s: float,
    what: str,
    not_found: str = WORKSPACE_NOT_FOUND,
    otherwise: str = "",
) -> T:
    """fn() under the deadline; any SDK failure becomes one LauncherError saying what to do."""
    try:
        return call_with_deadline(fn, timeout_s, what)
    except LauncherError:
        raise
    except Exception as err:
        raise LauncherError(explain_failure(err, what, not_found, otherwise)) from err


def explain_failure(
    err: BaseException, what: str, not_found: str = WORKSPACE_NOT_FOUND, otherwise: str = ""
) -> str:
    """One line for an SDK exception: what went wrong and what to do.

    The SDK raises few distinct types (UserErrorException covers most things, a bare Exception
    with "Code: 404" some), so the text decides; `not_found` says what to do when the thing
    asked for does not exist, `otherwise` what to do about any other refusal.
    """
    text = f"{type(err).__name__}: {first_line(err)}"
    lowered = text.lower()
    # Network first: its messages name hosts such as login.microsoftonline.com. Then credentials:
    # "Azure CLI not found" is a credential problem, not a missing resource.
    if isinstance(err, (ConnectionError, TimeoutError)) or any(word in lowered for word in CONNECTION_WORDS):
        return f"{what}: cannot reach Azure ({text}). Check the network connection and proxy"
    if any(word in lowered for word in CREDENTIAL_WORDS):
        return f"{what}: the credentials were refused or missing ({text}). {CREDENTIALS_HINT}"
    if any(word in lowered for word in NOT_FOUND_WORDS):
        return f"{what}: {not_found} ({text})"
    if any(word in lowered for word in NETWORK_WORDS):
        return f"{what}: cannot reach Azure ({text}). Check the network connection and proxy"
    return f"{what} failed ({text})" + (f". {otherwise}" if otherwise else "")


CONNECTION_WORDS = (
    "connectionerror",
    "proxyerror",
    "failed to establish a new connection",
    "name resolution",
    "failed to resolve",
    "connection refused",
    "max retries exceeded",
)
CREDENTIAL_WORDS = ("authentication", "credential", "aadsts", "unauthorized", "forbidden", "login")
NOT_FOUND_WORDS = (
    "not found",
    "notfound",
    "could not be found",
    "cannot find",
    "does not exist",
    "code: 404",
    "http 404",
)
NETWORK_WORDS = ("connect", "resolve", "network", "timed out", "timeout", "unreachable")
CREDENTIALS_HINT = (
    "Set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal, "
    "use a managed identity, or run `az login`"
)


def first_line(err: BaseException) -> str:
    """The gist of an error on one line (at most 300 characters)."""
    # azureml exceptions print "UserErrorException:" first and keep the words in .message.
    message = getattr(err, "message", None)
    text = message if isinstance(message, str) and message.strip() else str(err)
    text = service_error(text) or text
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0][:300] if lines else type(err).__name__


def service_error(text: str) -> str | None:
    """ "HTTP <status>: <message>" from an SDK error that is the service's response as JSON.

    ExperimentExecutionException carries {"url", "status_code", "error_details": {"error":
    {"code", "message"}}} (azureml._base_sdk_common.common.get_http_exception_response_string).
    """
    if not text.lstrip().startswith("{"):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    details = data.get("error_details")
    error = details.get("error") if isinstance(details, dict) else None
    if isinstance(error, dict):
        said = " ".join(str(error[key]) for key in ("code", "message") if error.get(key))
    else:
        said = str(details or "")
    return f"HTTP {data.get('status_code', '?')}: {' '.join(said.split())}"
