"""One process at a time opens a local sqlite store for the first time.

Opening a sqlite store creates or migrates its schema. Processes that do it at once (two
`python -m moonml` in a fresh folder, or the jobs of a parallel sweep) race on the migration
and can leave the store broken for good, so every process takes a lock file beside the store
first. Servers initialise their own store and need no lock.
"""

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


def sqlite_path(uri: str) -> Path | None:
    """The database file of a `sqlite:///...` URI; None for servers and in-memory stores."""
    scheme, _, rest = uri.partition(":///")
    if not scheme.startswith("sqlite") or not rest:
        return None
    path = rest.split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


@contextmanager
def store_lock(uri: str) -> Iterator[None]:
    """Hold `<db>.lock` (an exclusive OS file lock) while the block opens the store."""
    path = sqlite_path(uri)
    if path is None:
        yield
        return
    try:
        # MLflow creates a missing folder for the store: the lock must not skip that first open.
        path.parent.mkdir(parents=True, exist_ok=True)
        lock_file = open(path.with_name(path.name + ".lock"), "a+b")  # noqa: SIM115 - closed below
    except OSError:
        # A folder we cannot write to holds no store we could migrate: its own error says why.
        yield
        return
    with lock_file:
        _lock(lock_file)
        try:
            yield
        finally:
            _unlock(lock_file)


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
