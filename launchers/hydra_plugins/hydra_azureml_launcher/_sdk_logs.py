"""Which SDK log lines reach the console: the app's and the launcher's only, unless hydra.verbose.

The SDKs log through their own loggers, and azureml-core also through the root logger (a failed
run's get_details logs `user_name does not exist.` with logging.warning): a filter on the root
logger drops what code in the SDK's package folders logs there.
"""

import importlib.util
import logging
from collections.abc import Sequence

# Above CRITICAL: the SDK's own loggers then let nothing through.
SILENT = logging.CRITICAL + 1


class FromPackages(logging.Filter):
    """Drops the records logged by code under any of `folders`."""

    def __init__(self, folders: Sequence[str]) -> None:
        super().__init__()
        self.folders = tuple(folders)

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.pathname.startswith(self.folders)


def show_sdk_logs(packages: Sequence[str], show: bool) -> None:
    """Let the log records of `packages` (importable top-level names) reach the console, or not.

    Set both ways: a process may launch again (Hydra's API, tests) with another hydra.verbose.
    """
    folders: list[str] = []
    for package in packages:
        logging.getLogger(package).setLevel(logging.NOTSET if show else SILENT)
        try:
            spec = importlib.util.find_spec(package)
        except ImportError:  # not installed (or an import hook refusing it): nothing to silence
            continue
        if spec is not None:
            folders += list(spec.submodule_search_locations or [])
    root = logging.getLogger()
    for old in [f for f in root.filters if isinstance(f, FromPackages)]:
        root.removeFilter(old)
    if not show:
        root.addFilter(FromPackages(folders))
