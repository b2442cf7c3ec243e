"""The one exception type moonml reports as a clean message instead of a traceback."""

import os
import sys
from collections.abc import Callable

from hydra.errors import CompactHydraException

from moonml.credentials import redact


class MoonmlError(CompactHydraException):
    """A problem the user can fix: bad data, a bad config, an unreachable service.

    The message names the thing at fault and what to do; the entry points print it on one line
    and exit non-zero (a traceback only with HYDRA_FULL_ERROR=1). Being a CompactHydraException,
    Hydra too prints it without a traceback when it ends a multirun. Passwords in URIs are
    hidden from the message (moonml.credentials).
    """

    def __init__(self, message: str = "") -> None:
        super().__init__(redact(message))


def full_error_requested() -> bool:
    # Hydra's own switch for full tracebacks; moonml's plain CLIs honour it too.
    return os.environ.get("HYDRA_FULL_ERROR") == "1"


def cli_exit_code(action: Callable[[], object]) -> int:
    """Run a command-line action: 0 when it succeeds, one `error:` line on stderr and 1 when not."""
    try:
        action()
    except MoonmlError as err:
        if full_error_requested():
            raise
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0
