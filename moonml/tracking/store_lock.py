"""One process at a time creates or opens a local sqlite store, and a new store appears whole.

Opening a sqlite store creates or migrates its schema. Processes that do it at once (two
`python -m moonml` in a fresh folder, or the jobs of a parallel sweep) race on the migration
and can leave the store broken for good, so every process takes a lock file beside the store
first. A process killed while it migrated a new store left it half-migrated, which every later
run failed on after its search: a new store is migrated under another name and renamed into
place once complete. Servers initialise their own store and need no lock.
"""

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from moonml.errors import MoonmlError


def sqlite_path(uri: str) -> Path | None:
    """The database file of a `sqlite:///...` URI; None for servers and in-memory stores."""
    scheme, _, rest = uri.partition(":///")
    if not scheme.startswith("sqlite") or not rest:
        return None
    path = rest.split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


@contextmanager
def store_lock(uri: str) -> Iterator[None]:
    """Hold the store's lock while the block opens it; a missing store is created first, whole."""
    path = sqlite_path(uri)
    if path is None:
        yield
        return
    with file_lock(path):
        if not path.exists() or path.stat().st_size == 0:
            _create_whole(path)
        yield


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold `<db>.lock` (an exclusive OS file lock) beside the store file `path`."""
    try:
        # MLflow creates a missing folder for the store: the lock must not skip that first open.
        path.parent.mkdir(parents=True, exist_ok=True)
        lock_file = open(path.with_name(path.name + ".lock"), "a+b")  # noqa: SIM115 - closed below
    except OSError as err:
        # sqlite needs to write beside its file (its journal) for every change: no store can live here.
        raise MoonmlError(
            f"cannot use the MLflow store {path}: cannot create files in {path.parent} "
            f"({err.strerror}); point tracking.uri at a writable folder, or use tracking=none"
        ) from None
    with lock_file:
        _lock(lock_file)
        try:
            yield
        finally:
            _unlock(lock_file)


def _create_whole(path: Path) -> None:
    """Create the store at `path` as MLflow would, under a draft name renamed when complete.

    The caller holds the lock: a draft left by a killed creator is no one else's, and is replaced.
    """
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    from mlflow.tracking._tracking_service.utils import _get_sqlalchemy_store

    draft = path.with_name(path.name + ".creating")
    for leftover in (draft, draft.with_name(draft.name + "-journal")):
        leftover.unlink(missing_ok=True)
    draft_uri = f"sqlite:///{draft.absolute()}"
    # MLflow's own builder, so that the default experiment gets the artifact root it would get.
    _get_sqlalchemy_store(draft_uri, None)
    engine = SqlAlchemyStore._engine_map.pop(draft_uri, None)
    if engine is not None:
        engine.dispose()  # no connection may follow the file to its new name
    os.replace(draft, path)


if sys.platform == "win32":
    import msvcrt

    def _lock(lock_file: IO[bytes]) -> None:
        # msvcrt has no blocking lock without a 10 s give-up: poll the non-blocking one instead.
        lock_file.seek(0)
        while True:
            try:
                msvcrt.locking(lock_file.fileno(), msvcrt.LK_NBLCK, 1)
                return
            except OSError:
                time.sleep(0.1)

    def _unlock(lock_file: IO[bytes]) -> None:
        lock_file.seek(0)
        msvcrt.locking(lock_file.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(lock_file: IO[bytes]) -> None:
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)

    def _unlock(lock_file: IO[bytes]) -> None:
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)
