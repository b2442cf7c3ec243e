"""Credentials by name, left out; secrets by content, refused.

The snapshot is uploaded into a workspace others can read. A file whose folder or name says it
is a credential store (config.json, .env, keys...) is left out even when git tracks it, and the
reason is reported; a false positive costs one `hydra.launcher.include` entry. Every file that
would ship is then read whole by Yelp's detect-secrets (the ecosystem's scanner, plus the two
detectors of _detectors.py): a finding refuses the submission rather than dropping a file the
job may need, unless the project's `.secrets.baseline` accepts it, as detect-secrets' own hook
does.
"""

import fnmatch
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from ._errors import LauncherError

# Folders of credential stores, CLI logins and token caches, at any depth.
CREDENTIAL_DIRS = frozenset(
    {".ssh", ".gnupg", ".aws", ".azure", ".kube", "gcloud", ".docker", ".password-store"}
)
# Generic words name a secret only in a data/config file: `credentials.py` is code, not a key.
_SECRET_WORDS = ("*secret*", "*credential*", "*passw*", "*token_cache*", "msal*cache*")
_CONFIG_SUFFIXES = ("json", "yaml", "yml", "toml", "ini", "cfg", "conf", "txt", "xml", "properties", "bin")
# (lower-case name globs, reason); the first group that matches gives the reason.
NAME_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        (
            ".git-credentials",
            ".netrc",
            "_netrc",
            ".npmrc",
            ".yarnrc",
            ".pypirc",
            ".pgpass",
            ".my.cnf",
            ".htpasswd",
            ".dockercfg",
            ".s3cfg",
            ".boto",
            ".vault-token",
            "credentials",
            "secret",
            "secrets",
            "kubeconfig*",
            "*.tfstate",
            "*.tfvars",
            *(f"{word}.{suffix}" for word in _SECRET_WORDS for suffix in _CONFIG_SUFFIXES),
        ),
        "credential or token file",
    ),
    ((".env", ".env.*", "*.env", ".envrc"), "environment file (.env*, *.env, .envrc)"),
    (
        (
            "*.pem",
            "*.key",
            "*.pfx",
            "*.p12",
            "*.p8",
            "*.ppk",
            "*.jks",
            "*.keystore",
            "*.kdbx",
            "*.crt",
            "*.cer",
            "id_rsa*",
            "id_dsa*",
            "id_ecdsa*",
            "id_ed25519*",
        ),
        "key, certificate or key store",
    ),
    (("config.json",), "workspace configuration (config.json)"),
    (("*.db", "*.db-*", "*.sqlite", "*.sqlite3", "*.sqlite-*"), "local database or store"),
    (("*_history", ".history"), "shell history"),
)
# Backup and editor copies of a sensitive file are as sensitive: `config.json.bak`, `.env~`.
BACKUP_SUFFIXES = (".bak", ".backup", ".old", ".orig", ".save", ".swp", ".tmp", "~")


def folder_reason(name: str) -> Optional[str]:
    """Why a folder of this name holds credentials, or None."""
    return f"credential folder ({name}/)" if name.lower() in CREDENTIAL_DIRS else None


def name_reason(rel: str) -> Optional[str]:
    """Why the posix path rel (relative to the source folder) names a credential, or None."""
    *folders, name = rel.split("/")
    reason = next(filter(None, map(folder_reason, folders)), None)
    if reason:
        return reason
    name = name.lower()
    stripped = name
    while stripped.endswith(BACKUP_SUFFIXES):
        stripped = next(stripped[: -len(s)] for s in BACKUP_SUFFIXES if stripped.endswith(s))
    for candidate, note in ((name, ""), (stripped, " (backup copy)")):
        for patterns, reason in NAME_RULES:
            if any(fnmatch.fnmatchcase(candidate, p) for p in patterns):
                return reason + note
    return None


BASELINE = ".secrets.baseline"
# detect-secrets loads custom plugins and filters by path, as modules of its own.
_DETECTORS = f"file://{Path(__file__).with_name('_detectors.py')}"


@dataclass(frozen=True, order=True)
class Finding:
    path: str  # posix, relative to the source folder
    line: int
    kind: str  # detect-secrets' secret type

    def __str__(self) -> str:
        return f"{self.path}:{self.line} ({self.kind})"


def _read_baseline(root: Path) -> Optional[dict[str, Any]]:
    path = root / BASELINE
    if not path.is_file():
        return None
    from detect_secrets.core.baseline import upgrade

    try:
        return upgrade(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, ValueError, KeyError) as err:
        raise LauncherError(
            f"{path} cannot be read as a detect-secrets baseline ({err}): write it again with "
            f"`detect-secrets scan > {BASELINE}` in {root}"
        ) from None


@contextmanager
def _settings(baseline: Optional[dict[str, Any]]) -> Iterator[None]:
    """detect-secrets configured as the baseline says (else with every plugin), plus ours."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.settings import get_filters, get_plugins, get_settings, transient_settings

    from . import _detectors

    builtin = [{"name": cls.__name__} for cls in get_mapping_from_secret_type_to_class().values()]
    config = {
        "plugins_used": builtin if baseline is None else baseline.get("plugins_used", []),
        **({} if baseline is None else {"filters_used": baseline.get("filters_used", [])}),
    }
    with transient_settings(config):
        settings = get_settings()
        settings.configure_plugins([{"name": cls.__name__, "path": _DETECTORS} for cls in _detectors.PLUGINS])
        settings.filters.update({f"{_DETECTORS}::{fn.__name__}": {} for fn in _detectors.FILTERS})
        # The plugin classes are cached once found: let them find ours (and forget them after).
        get_mapping_from_secret_type_to_class.cache_clear()
        get_filters.cache_clear()
        try:
            try:
                get_plugins()
            except (TypeError, OSError) as err:
                raise LauncherError(
                    f"the plugins that {BASELINE} names cannot be loaded ({err}): write it again "
                    f"with `detect-secrets scan > {BASELINE}`"
                ) from None
            yield
        finally:
            get_mapping_from_secret_type_to_class.cache_clear()


def scan(root: Path, paths: Iterable[str]) -> list[Finding]:
    """What detect-secrets finds in the files paths (relative to root), minus what the baseline accepts.

    An entry of the baseline accepts the same secret (by hash) of the same kind in the same file,
    wherever its line moved, unless an audit marked it a real secret (`is_secret: true`).
    """
    from detect_secrets.core.secrets_collection import SecretsCollection

    baseline = _read_baseline(root)
    found = SecretsCollection(root=str(root))
    with _settings(baseline):
        for rel in paths:
            if rel != BASELINE:  # hashes of accepted secrets, not secrets
                found.scan_file(rel)
    accepted = SecretsCollection.load_from_baseline(baseline) if baseline is not None else None
    findings = []
    for name, secret in found:
        # Found secrets carry the scanned (absolute) path: compare within the file's entries.
        if accepted is None or not any(
            (old.secret_hash, old.type) == (secret.secret_hash, secret.type) and old.is_secret is not True
            for old in accepted.data.get(name, ())
        ):
            findings.append(Finding(name, secret.line_number, secret.type))
    return sorted(findings)


def refuse(root: Path, findings: list[Finding]) -> None:
    """One line naming every finding and the two ways on."""
    if not findings:
        return
    from . import _detectors

    own = sorted({f.kind for f in findings} & {cls.secret_type for cls in _detectors.PLUGINS})
    pragma = (
        f"; that command does not look for {' or '.join(own)} (the launcher does): accept those with "
        "a `# pragma: allowlist secret` comment on their line"
        if own
        else ""
    )
    raise LauncherError(
        f"possible secrets in files that would ship from {root}: {', '.join(map(str, findings))}. "
        "Remove each secret from its file (read it at run time from a variable or a key vault), or, "
        f"if it is none, accept it in {BASELINE} as detect-secrets does: `detect-secrets scan > "
        f"{BASELINE}` in {root} (it reads the files git tracks; outside git add --all-files)"
        f"{pragma}"
    )
