"""How a run stopped by Ctrl-C or SIGTERM ends: one line, exit code 130."""

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

INTERRUPTED = "interrupted: outputs written so far are kept; a tracked run ends KILLED"


def end_before_start(signum: int, frame: Any) -> None:
    """SIGTERM while still importing: nothing is written yet, so end at once, with the line and
    exit code of a later SIGTERM (a KeyboardInterrupt raised inside an import would print a
    traceback)."""
    sys.stderr.write(INTERRUPTED + "\n")
    os._exit(130)


def end_at_once_on_signals() -> dict[int, Any]:
    """Ctrl-C and SIGTERM end the process at once (end_before_start); return their handlers before."""
    return {signum: signal.signal(signum, end_before_start) for signum in (signal.SIGINT, signal.SIGTERM)}


@contextmanager
def signals_end_at_once() -> Iterator[None]:
    """While the pipeline's libraries are imported, Ctrl-C and SIGTERM end the process at once.

    An exception raised inside a C extension's init breaks more than the import: a pybind11
    module (matplotlib.ft2font) left the interpreter to abort as it exited, a Cython one
    (scikit-learn's trees) printed the KeyboardInterrupt's traceback. No run has started yet, so
    there is nothing to end KILLED.
    """
    handlers = end_at_once_on_signals()
    try:
        yield
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


def terminate_as_interrupt(signum: int, frame: Any) -> None:
    """A scheduler's SIGTERM then ends the MLflow run KILLED, like Ctrl-C, instead of leaving it RUNNING."""
    raise KeyboardInterrupt(f"terminated by signal {signum}")
