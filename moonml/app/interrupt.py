"""How a run stopped by Ctrl-C or SIGTERM ends: one line, exit code 130."""

import os
import sys
from typing import Any

INTERRUPTED = "interrupted: outputs written so far are kept; a tracked run ends KILLED"


def end_before_start(signum: int, frame: Any) -> None:
    """SIGTERM while still importing: nothing is written yet, so end at once, with the line and
    exit code of a later SIGTERM (a KeyboardInterrupt raised inside an import would print a
    traceback)."""
    sys.stderr.write(INTERRUPTED + "\n")
    os._exit(130)


def terminate_as_interrupt(signum: int, frame: Any) -> None:
    """A scheduler's SIGTERM then ends the MLflow run KILLED, like Ctrl-C, instead of leaving it RUNNING."""
    raise KeyboardInterrupt(f"terminated by signal {signum}")
