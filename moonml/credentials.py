"""Secrets moonml is handed: used, never shown or recorded.

Credentials inside URIs (a user and password before the host's `@`), and values the user's
overrides read from environment variables (`'+environment.env_vars.TOKEN=${oc.env:TOKEN}'`): runs
record such an override as typed, and everything moonml prints or logs passes through `redact`:
its log handlers filter each record (moonml.app.log_lines.RedactCredentials), and every
MoonmlError's message is redacted when made.
"""

import base64
import os
import re
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from omegaconf import DictConfig, ListConfig, OmegaConf

# scheme://userinfo@ : the userinfo runs up to the last '@' before the host's end.
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^\s/?#@]+(?:@[^\s/?#@]+)*)@")
HIDDEN = "***"
_ENV_READ = re.compile(r"\$\{oc\.env:([A-Za-z_][A-Za-z0-9_]*)")
# Values of the environment variables the overrides read -> how the user wrote them.
_env_values: dict[str, str] = {}
_MIN_HIDDEN = 4


def redact(text: str) -> str:
    """`text` with the password of every URI in it hidden (`user:***@`), or the whole userinfo
    when it has no password (a token as the user name)."""

    def hide(match: re.Match) -> str:
        user, has_password, _ = match["userinfo"].partition(":")
        shown = f"{user}:{HIDDEN}" if has_password else HIDDEN
        return f"{match['scheme']}{shown}@"

    text = _USERINFO.sub(hide, text)
    for value, written in _env_values.items():
        text = text.replace(value, written)
    return text


def hide_env_reads(overrides: list[str]) -> None:
    """From now on, `redact` shows the values the overrides read with ${oc.env:NAME} as written."""
    for override in overrides:
        for name in _ENV_READ.findall(override):
            # Shorter values ("1", "yes") would hide unrelated text, and say too little to matter.
            if len(os.environ.get(name, "")) >= _MIN_HIDDEN:
                _env_values[os.environ[name]] = f"${{oc.env:{name}}}"


def typed_overrides(task_overrides: ListConfig) -> list[str]:
    """Hydra's task overrides as the user typed them: iterating the ListConfig would resolve
    their `${oc.env:...}`."""
    return [str(item) for item in OmegaConf.to_container(task_overrides, resolve=False)]


def recorded_config(cfg: DictConfig) -> Any:
    """The config as a run records it: resolved, except values read from environment variables,
    kept as written (`${oc.env:NAME}`): those may be secrets."""
    return _keep_env_reads(
        OmegaConf.to_container(cfg, resolve=False), OmegaConf.to_container(cfg, resolve=True)
    )


def _keep_env_reads(raw: Any, resolved: Any) -> Any:
    if isinstance(raw, dict):
        return {key: _keep_env_reads(value, resolved[key]) for key, value in raw.items()}
    if isinstance(raw, list):
        return [_keep_env_reads(value, done) for value, done in zip(raw, resolved, strict=True)]
    return raw if isinstance(raw, str) and "oc.env:" in raw else resolved


def without_credentials(uri: str) -> tuple[str, dict[str, str]]:
    """`uri` without its user and password, and the Basic authorisation header they make (if any).

    urllib resolves `user:password@host` as a host name; requests (MLflow's client) turns it
    into this header.
    """
    parts = urlsplit(uri)
    if parts.username is None and parts.password is None:
        return uri, {}
    host = parts.netloc.rpartition("@")[2]
    token = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}".encode()
    header = {"Authorization": "Basic " + base64.b64encode(token).decode()}
    return urlunsplit(parts._replace(netloc=host)), header
