"""Credentials by name: a file whose folder or name says it is a credential store is left out.

The snapshot is uploaded into a workspace others can read: config.json, .env, keys and the like
are left out even when git tracks them, and the reason is reported; a false positive costs one
`hydra.launcher.include` entry. Secrets in files whose names say nothing are found by content
(secret_scan.py) and refuse the submission instead.
"""

import fnmatch
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
