"""Secrets by content: every file that would ship, read whole by Yelp's detect-secrets.

The ecosystem's scanner, plus the two detectors and the filter of detectors.py. A finding
refuses the submission rather than dropping a file the job may need, unless the project's
`.secrets.baseline` accepts it, as detect-secrets' own hook does (or a `pragma: allowlist
secret` comment marks its line). detect-secrets reads some 2,000 lines a second, so what it
found in a file is remembered by the file's content (see _cache_path): a second launch reads
only what changed.
"""

import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from azureml_launcher.errors import LauncherError

log = logging.getLogger(__name__)
BASELINE = ".secrets.baseline"
# detect-secrets loads custom plugins and filters by path, as modules of its own.
_DETECTORS_FILE = Path(__file__).with_name("detectors.py")
_DETECTORS = f"file://{_DETECTORS_FILE}"
CACHE_DAYS = 30
CACHE_VAR = "HYDRA_AZUREML_LAUNCHER_CACHE"  # another folder for what the scans found
ANNOUNCE_BYTES = 256 * 1024  # a few seconds of scanning: say why the launch pauses


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
def _settings(baseline: Optional[dict[str, Any]]) -> Iterator[str]:
    """detect-secrets configured as the baseline says (else with every plugin), plus ours; yields
    a fingerprint of the whole configuration."""
    from detect_secrets.__version__ import VERSION
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.settings import get_filters, get_plugins, get_settings, transient_settings

    from azureml_launcher.snapshot import detectors as _detectors

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
            described = json.dumps([VERSION, settings.json()], sort_keys=True).encode()
            yield hashlib.sha256(described + _DETECTORS_FILE.read_bytes()).hexdigest()
        finally:
            get_mapping_from_secret_type_to_class.cache_clear()


def _cache_path(root: Path) -> Path:
    """One small file per project in the user's cache: {path: [content hash, findings]}."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hydra_azureml_launcher"
    project = hashlib.sha256(bytes(root)).hexdigest()[:16]
    return Path(os.environ.get(CACHE_VAR) or base) / f"secret-scan-{project}.json"


def _load_cache(path: Path, scanner: str) -> dict[str, Any]:
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return cached["files"] if isinstance(cached, dict) and cached.get("scanner") == scanner else {}


def _save_cache(path: Path, scanner: str, files: dict[str, Any]) -> None:
    """Replace the project's entry whole (so it holds the files of this snapshot only), and
    forget projects not launched for CACHE_DAYS (temporary clones come and go)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as handle:
            json.dump({"scanner": scanner, "files": files}, handle)
        os.replace(handle.name, path)
        stale = time.time() - CACHE_DAYS * 86400
        for old in path.parent.glob("secret-scan-*"):
            if old.stat().st_mtime < stale:
                old.unlink(missing_ok=True)
    except OSError as err:  # a read-only home: the next launch reads every file again
        log.debug("secret scan cache %s not written: %s", path, err)


@contextmanager
def _inside(root: Path) -> Iterator[None]:
    """Work from root, as `detect-secrets scan` does: a baseline's --exclude-files patterns match
    paths relative to it."""
    before = os.getcwd()
    os.chdir(root)
    try:
        yield
    finally:
        os.chdir(before)


def _scan_file(rel: str) -> list[list[Any]]:
    from detect_secrets.core.scan import scan_file

    return sorted([secret.line_number, secret.type, secret.secret_hash] for secret in scan_file(rel))


def scan(root: Path, paths: Iterable[str]) -> list[Finding]:
    """What detect-secrets finds in the files paths (relative to root), minus what the baseline accepts.

    An entry of the baseline accepts the same secret (by hash) of the same kind in the same file,
    wherever its line moved, unless an audit marked it a real secret (`is_secret: true`).
    """
    baseline = _read_baseline(root)
    cache_file = _cache_path(root)
    scanned: dict[str, Any] = {}
    with _settings(baseline) as scanner, _inside(root):
        cached = _load_cache(cache_file, scanner)
        digests = {
            rel: hashlib.sha256((root / rel).read_bytes()).hexdigest()
            for rel in paths
            if rel != BASELINE  # hashes of accepted secrets, not secrets
        }
        unread = [rel for rel, digest in digests.items() if cached.get(rel, [None])[0] != digest]
        size = sum((root / rel).stat().st_size for rel in unread)
        if size > ANNOUNCE_BYTES:
            log.info("reading %d files (%.1f MB) for secrets (detect-secrets)", len(unread), size / 2**20)
        for rel, digest in digests.items():
            scanned[rel] = [digest, _scan_file(rel) if rel in unread else cached[rel][1]]
    _save_cache(cache_file, scanner, scanned)
    accepted = {
        (name, entry["type"], entry["hashed_secret"])
        for name, entries in (baseline or {}).get("results", {}).items()
        for entry in entries
        if entry.get("is_secret") is not True  # audited as a real secret: never accepted
    }
    return sorted(
        Finding(rel, line, kind)
        for rel, (_, found) in scanned.items()
        for line, kind, secret_hash in found
        if (rel, kind, secret_hash) not in accepted
    )


def refuse(root: Path, findings: list[Finding]) -> None:
    """One line naming every finding and the two ways on."""
    if not findings:
        return
    from azureml_launcher.snapshot import detectors as _detectors

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
