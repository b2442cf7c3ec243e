"""Does a file look like a credential? By the folders it sits in, its name, then its first bytes.

The snapshot is uploaded into a workspace others can read: whatever looks like a secret is left
out even when git tracks it, and the reason is reported. A false positive costs one
`hydra.launcher.include` entry; a miss puts a key in the cloud.
"""

import fnmatch
import os
import re
import stat
from pathlib import Path
from typing import Optional

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
# Headers and key names of secrets, searched in the first bytes of small regular files.
CONTENT_RULES: tuple[tuple[re.Pattern[bytes], str], ...] = (
    (re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"), "contains a private key"),
    (re.compile(rb"PuTTY-User-Key-File-\d+:"), "contains a PuTTY private key"),
    (re.compile(rb"(?im)^\s*aws_secret_access_key\s*="), "contains an AWS secret key"),
    (re.compile(rb"\bAKIA[0-9A-Z]{16}\b"), "contains an AWS access key id"),
    (re.compile(rb"\b(?:ghp|gho|ghu|ghs|github_pat)_[A-Za-z0-9_]{30,}"), "contains a GitHub token"),
    (re.compile(rb"AccountKey=[A-Za-z0-9+/]{20,}"), "contains a storage account key"),
    (
        re.compile(rb'"(?:refresh_token|RefreshToken|access_token|AccessToken|client_secret)"\s*:'),
        "contains OAuth tokens (a token cache)",
    ),
)
CONTENT_BYTES = 8192  # headers sit at the top; token caches name their keys early
CONTENT_MAX_FILE = 1024 * 1024  # bigger files are data or code, not credential files


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


def content_reason(path: Path) -> Optional[str]:
    """Why the first bytes of path look like a credential, or None (big and special files: None)."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > CONTENT_MAX_FILE:
            return None
        with open(path, "rb") as handle:
            head = handle.read(CONTENT_BYTES)
    except OSError:
        return None
    return next((reason for pattern, reason in CONTENT_RULES if pattern.search(head)), None)
