"""Prove the tracking store usable before training, so its faults never wait for the search.

Cheap checks made in the main process (no MLflow import): a sqlite store must be a writable
SQLite file with MLflow's tables (or not exist yet); a server must answer and so must its API.
"""

import os
import sqlite3
import time
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import quote
from urllib.request import Request, urlopen

from moonml.credentials import without_credentials
from moonml.errors import MoonmlError
from moonml.tracking.store_lock import sqlite_path, store_lock

_SQLITE_HEADER = b"SQLite format 3\x00"
_OTHER_STORE = "point tracking.uri at another store, or use tracking=none"


def check_store(uri: str, timeout_s: int) -> None:
    """Raise a MoonmlError saying what is wrong with the store or server `uri`, if anything."""
    check_reachable(uri, timeout_s)
    if (path := sqlite_path(uri)) is not None:
        with store_lock(uri):  # another process may be creating its tables right now
            _check_sqlite(path.resolve())


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


def _check_sqlite(path: Path) -> None:
    if not path.exists():
        return  # a new store: MLflow creates it
    if path.is_dir():
        raise MoonmlError(f"{path} is a folder, not an MLflow store: {_OTHER_STORE}")
    try:
        with path.open("rb") as store:
            header = store.read(len(_SQLITE_HEADER))
    except OSError as err:
        raise MoonmlError(f"cannot read the MLflow store {path} ({err.strerror}): {_OTHER_STORE}") from None
    if not header:
        return  # an empty file: MLflow initialises it like a new store
    if header != _SQLITE_HEADER:
        raise MoonmlError(f"{path} is not an MLflow store (not an SQLite database): {_OTHER_STORE}")
    connection = sqlite3.connect(path, timeout=30)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as err:
        raise MoonmlError(
            f"{path} is not an MLflow store (a damaged SQLite file: {err}): {_OTHER_STORE}"
        ) from None
    finally:
        connection.close()
    if tables and not {"alembic_version", "experiments", "runs"} <= tables:
        raise MoonmlError(
            f"{path} is not an MLflow store (an SQLite database without MLflow's tables): " + _OTHER_STORE
        )
    # sqlite opens a file it may not write read-only and fails only at the first write (after
    # the search); the journal it writes beside the file needs the folder writable too.
    for needed in (path, path.parent):
        if not os.access(needed, os.W_OK):
            raise MoonmlError(
                f"the MLflow store {path} is a read-only database ({needed} is not writable): make "
                f"it writable, {_OTHER_STORE}"
            )
