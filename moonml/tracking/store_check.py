"""Prove the tracking store usable before training, so its faults never wait for the search.

Cheap checks made in the main process (no MLflow import): the URI names a kind of store MLflow
has; a sqlite store must be a sound, writable SQLite file holding MLflow's complete schema (or
not exist yet, in a folder where it can be created); a server must answer and so must its API.
"""

import importlib.util
import logging
import os
import re
import sqlite3
import time
from importlib.metadata import entry_points
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlparse
from urllib.request import Request, urlopen

from moonml.credentials import without_credentials
from moonml.errors import MoonmlError
from moonml.tracking.store_lock import file_lock, sqlite_path

log = logging.getLogger(__name__)

_SQLITE_HEADER = b"SQLite format 3\x00"
_OTHER_STORE = "point tracking.uri at another store, or use tracking=none"
# The schemes of MLflow's own tracking stores (mlflow.tracking._tracking_service.utils); plugins
# such as azureml-mlflow add theirs as entry points.
_MLFLOW_SCHEMES = {"", "file", "http", "https", "databricks", "databricks-uc", "uc"}
_DATABASES = ("sqlite", "postgresql", "mysql", "mssql")


def bound_http_requests(timeout_s: int) -> None:
    """Make an unreachable tracking server fail in ~15 s instead of MLflow's multi-minute retries.

    Three attempts of at most `timeout_s` each, about two seconds of back-off. Variables the
    user set win over these.
    """
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", "0.2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", str(timeout_s))


def check_store(uri: str, timeout_s: int) -> None:
    """Raise a MoonmlError saying what is wrong with the store or server `uri`, if anything."""
    check_scheme(uri)
    check_reachable(uri, timeout_s)
    if (path := sqlite_path(uri)) is not None:
        with file_lock(path):  # another process may be creating the store right now
            _check_sqlite(path.resolve(), uri)


def check_scheme(uri: str) -> None:
    """The URI names a kind of store MLflow can track to (else MLflow says so after the search)."""
    scheme = urlparse(uri).scheme.lower()
    if scheme in _MLFLOW_SCHEMES or scheme.split("+", 1)[0] in _DATABASES or len(scheme) == 1:
        return  # one letter: a Windows drive, a local folder
    plugins = sorted(point.name for point in entry_points(group="mlflow.tracking_store"))
    if scheme in plugins:
        return
    kinds = ", ".join(["sqlite:///FILE", "http(s)://SERVER", "file:FOLDER", "postgresql://...", *plugins])
    raise MoonmlError(
        f"the tracking URI ({scheme}://...) is no kind of store MLflow tracks to ({kinds}): "
        "fix tracking.uri / MLFLOW_TRACKING_URI, or use tracking=none"
    )


def check_reachable(uri: str, timeout_s: int) -> None:
    """A tracking server (http/https `uri`) answers, and so does its API; other stores pass."""
    if not uri.startswith(("http://", "https://")):
        return
    uri = uri.rstrip("/")
    # urllib would take user:password@host for a host name; requests (MLflow's) sends this header.
    bare, auth = without_credentials(uri)
    deadline = time.monotonic() + 3 * timeout_s
    while True:
        try:
            with urlopen(Request(bare, headers=auth), timeout=timeout_s):
                break
        except HTTPError:
            break  # it answered; whether this path exists does not matter
        except (URLError, OSError) as err:
            if time.monotonic() + timeout_s > deadline:
                reason = getattr(err, "reason", err)
                raise MoonmlError(
                    f"tracking server {uri} is unreachable ({reason}). Start it, point "
                    "tracking.uri / MLFLOW_TRACKING_URI at a reachable one, or use tracking=none."
                ) from None
            time.sleep(1)
    # A front page can answer while the tracking API behind it is wedged (a locked backend
    # store, a stuck worker): ask the API itself, once, with the whole retry budget.
    api_timeout_s = 3 * timeout_s
    probe = f"{bare}/api/2.0/mlflow/experiments/get-by-name?experiment_name={quote('moonml-probe')}"
    try:
        with urlopen(Request(probe, headers=auth), timeout=api_timeout_s):
            return
    except HTTPError:
        return  # "no such experiment", "unauthorised": the API is there and answers
    except (URLError, OSError):
        raise MoonmlError(
            f"the server at {uri} answers but its API does not respond within {api_timeout_s} s. "
            f"Check the server (its log, its backend store), {_OTHER_STORE}."
        ) from None


def _check_sqlite(path: Path, uri: str) -> None:
    if not path.exists():
        return  # a new store: it is created whole when the run opens it (store_lock)
    if path.is_dir():
        raise MoonmlError(f"{path} is a folder, not an MLflow store: {_OTHER_STORE}")
    try:
        with path.open("rb") as store:
            header = store.read(len(_SQLITE_HEADER))
    except OSError as err:
        raise MoonmlError(f"cannot read the MLflow store {path} ({err.strerror}): {_OTHER_STORE}") from None
    if not header:
        return  # an empty file: initialised like a new store
    if header != _SQLITE_HEADER:
        raise MoonmlError(f"{path} is not an MLflow store (not an SQLite database): {_OTHER_STORE}")
    connection = sqlite3.connect(path, timeout=30)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        # A damaged page fails only the query that reads it (after the search): read them all.
        damage = [row[0] for row in connection.execute("PRAGMA quick_check") if row[0] != "ok"]
        if damage:
            raise sqlite3.DatabaseError(damage[0])
        if tables and not tables & {"alembic_version", "experiments", "runs"}:
            raise MoonmlError(
                f"{path} is not an MLflow store (an SQLite database without MLflow's tables): " + _OTHER_STORE
            )
        if tables and _remade(connection, tables, path, uri):
            return
    except sqlite3.DatabaseError as err:
        raise MoonmlError(
            f"{path} is a damaged SQLite file ({err}): restore it from a backup, {_OTHER_STORE}"
        ) from None
    finally:
        connection.close()
    # sqlite opens a file it may not write read-only and fails only at the first write (after
    # the search); the journal it writes beside the file needs the folder writable too.
    for needed in (path, path.parent):
        if not os.access(needed, os.W_OK):
            raise MoonmlError(
                f"the MLflow store {path} is a read-only database ({needed} is not writable): make "
                f"it writable, {_OTHER_STORE}"
            )


def _remade(connection: sqlite3.Connection, tables: set[str], path: Path, uri: str) -> bool:
    """Check that MLflow's schema is complete, at the revision the installed MLflow expects.

    A store that is not (a creation or upgrade interrupted, another MLflow's) fails only when the
    run opens it: one that holds nothing yet is removed (True), to be created again whole when
    the run opens it; any other is refused.
    """
    known, latest = _schema_revisions()
    version = None
    if "alembic_version" in tables:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        version = row[0] if row else None
    # A temporary table left at the latest revision is harmless: MLflow migrates nothing more.
    interrupted = (
        version is None
        or not {"experiments", "runs"} <= tables
        or (version not in latest and any(name.startswith("_alembic_tmp_") for name in tables))
    )
    if not known or (version in latest and not interrupted):
        return False
    if not interrupted and version not in known:
        raise MoonmlError(
            f"the MLflow store {path} was made by a newer MLflow (schema {version}) than the "
            f"installed one: upgrade mlflow, or {_OTHER_STORE}"
        )
    if _holds_nothing(connection, tables):
        connection.close()
        path.unlink()
        log.warning("the MLflow store %s was left unfinished by an interrupted run: created anew", path)
        return True
    if interrupted:
        raise MoonmlError(
            f"the MLflow store {path} is half-migrated (its creation or upgrade was interrupted): "
            "restore it from a backup, or move it aside and a new store is created"
        )
    raise MoonmlError(
        f"the MLflow store {path} has an older schema ({version}): back it up, then run "
        f"`mlflow db upgrade {uri}`, or {_OTHER_STORE}"
    )


def _holds_nothing(connection: sqlite3.Connection, tables: set[str]) -> bool:
    """No run, no registered model, no experiment but MLflow's Default."""
    limits = {"runs": 0, "registered_models": 0, "experiments": 1}
    return all(
        connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] <= most
        for table, most in limits.items()
        if table in tables
    )


def _schema_revisions() -> tuple[set[str], set[str]]:
    """Every schema revision of the installed MLflow, and the latest ones, read from its
    migration scripts (importing MLflow costs seconds). Empty when they cannot be found."""
    spec = importlib.util.find_spec("mlflow")
    if spec is None or spec.origin is None:
        return set(), set()
    revisions, parents = set(), set()
    for script in (Path(spec.origin).parent / "store" / "db_migrations" / "versions").glob("*.py"):
        text = script.read_text(encoding="utf-8")
        revisions.update(re.findall(r"^revision = [\"'](\w+)", text, re.MULTILINE))
        parents.update(re.findall(r"^down_revision = [\"'](\w+)", text, re.MULTILINE))
    return revisions, revisions - parents
