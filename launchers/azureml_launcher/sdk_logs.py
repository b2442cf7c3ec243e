"""Which SDK log lines reach the console: the app's and the launcher's only, unless asked for.

One mechanism for both SDKs. Each has a quiet level: azureml-core (v1) logs noise at every level,
azure-core (v2's transport) one INFO line per HTTP request but useful warnings. azureml-core also
logs through the root logger (a failed run's get_details logs `user_name does not exist.` with
logging.warning): a filter on the root logger holds what code in an SDK's package folders logs
there to the same quiet level.
"""

import contextlib
import importlib.util
import logging
import re
import sys
from collections.abc import Iterator, Sequence
from typing import Optional, TextIO

# Above CRITICAL: the logger then lets nothing through.
SILENT = logging.CRITICAL + 1
# Importable top-level name of each SDK -> the lowest level it may log when its logs are not shown.
QUIET_LEVELS = {"azureml": SILENT, "azure": logging.WARNING}


class FromPackages(logging.Filter):
    """Drops the records logged by code under a quiet package's folders, below its quiet level."""

    def __init__(self) -> None:
        super().__init__()
        self.quiet: dict[str, tuple[tuple[str, ...], int]] = {}  # package -> (folders, level)

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(
            record.levelno < level and record.pathname.startswith(folders)
            for folders, level in self.quiet.values()
        )


_ROOT_FILTER = FromPackages()


def _folders(package: str) -> tuple[str, ...]:
    try:
        spec = importlib.util.find_spec(package)
    except ImportError:  # not installed (or an import hook refusing it): nothing logs from there
        return ()
    return tuple(spec.submodule_search_locations or []) if spec is not None else ()


def _asked_for(package: str) -> bool:
    """Whether the logging configuration asks for DEBUG from `package` (hydra.verbose=true sets
    the root logger's level, hydra.verbose=<package> the package's), our own quiet level aside."""
    logger = logging.getLogger(package)
    if package in _ROOT_FILTER.quiet and logger.level == QUIET_LEVELS[package]:  # set here before
        return logging.getLogger().isEnabledFor(logging.DEBUG)
    return logger.isEnabledFor(logging.DEBUG)


def show_sdk_logs(packages: Sequence[str] = tuple(QUIET_LEVELS), show: Optional[bool] = None) -> bool:
    """Let the log records of `packages` (keys of QUIET_LEVELS) reach the console, or not.

    show=None follows the logging configuration (see _asked_for). Set both ways: a process may
    launch again (Hydra's API, tests) with another hydra.verbose. Returns whether all are shown.
    """
    shown_all = True
    for package in packages:
        logger = logging.getLogger(package)
        shown = _asked_for(package) if show is None else show
        if not shown:
            logger.setLevel(QUIET_LEVELS[package])
        elif not logger.isEnabledFor(logging.DEBUG):
            logger.setLevel(logging.NOTSET)  # a level set here before; the configuration's otherwise
        if shown:
            _ROOT_FILTER.quiet.pop(package, None)
        else:
            _ROOT_FILTER.quiet[package] = (_folders(package), QUIET_LEVELS[package])
        shown_all = shown_all and shown
    root = logging.getLogger()
    if _ROOT_FILTER not in root.filters:
        root.addFilter(_ROOT_FILTER)
    return shown_all


# Writes made of terminal colour codes and line ends only, such as azure-ai-ml's
# `print(Fore.RESET + "\n", file=sys.stderr)` after each upload.
_BARE_COLOUR = re.compile(r"(\x1b\[[0-9;]*m)+\s*")


class _WithoutBareColour:
    """A stream that passes every write on but bare colour codes and the line end printed with them."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._dropped = False  # print() writes its end ("\n") separately, right after

    def write(self, text: str) -> int:
        dropped, self._dropped = self._dropped, bool(_BARE_COLOUR.fullmatch(text))
        if not self._dropped and not (dropped and text == "\n"):
            self._stream.write(text)
        return len(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


@contextlib.contextmanager
def sdk_prints_hidden(hidden: bool) -> Iterator[None]:
    """Within: what the SDK prints to stderr besides its logs (colour resets, blank lines) is
    dropped when `hidden`; anything else printed there still shows."""
    if not hidden:
        yield
        return
    with contextlib.redirect_stderr(_WithoutBareColour(sys.stderr)):  # type: ignore[arg-type]
        yield
