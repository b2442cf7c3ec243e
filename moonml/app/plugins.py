"""Hydra plugins that fail to load: moonml runs without them, saying which and why.

Hydra imports every module under `hydra_plugins` before it composes a config, and lets any error
but ImportError through. On Python 3.11 hydra-nevergrad-sweeper (every version on the index)
raises a ValueError there, and every `python -m moonml` command ended in that traceback.
"""

import os
import sys
from types import TracebackType

_SCANNER = os.path.join("hydra", "core", "plugins.py")
# The plugins skipped, for a sweep's job processes (joblib, submitit): Hydra scans again there.
SKIPPED_VARIABLE = "MOONML_SKIPPED_HYDRA_PLUGINS"


def failed_plugin(error: BaseException) -> str | None:
    """The plugin package (`hydra_plugins.NAME`) whose module raised `error` in Hydra's scan."""
    trace: TracebackType | None = error.__traceback__
    while trace is not None:
        code = trace.tb_frame.f_code
        if code.co_name == "_scan_all_plugins" and code.co_filename.endswith(_SCANNER):
            parts = str(trace.tb_frame.f_locals.get("modname", "")).split(".")
            return ".".join(parts[:2]) if parts[0] == "hydra_plugins" and len(parts) > 1 else None
        trace = trace.tb_next
    return None


def skip_plugin(package: str, error: BaseException) -> None:
    """Hide `package` from Hydra's next scans, in this process and in the jobs it starts."""
    _hide(package)
    skipped = os.environ.get(SKIPPED_VARIABLE, "").split(",")
    os.environ[SKIPPED_VARIABLE] = ",".join(filter(None, [*skipped, package]))
    why = str(error).splitlines()[0] if str(error) else ""
    print(
        f"warning: the Hydra plugin {package} fails to load ({type(error).__name__}: {why}); moonml runs "
        "without it (uninstall it; docs/sweeps.md lists the plugins that work on each Python)",
        file=sys.stderr,
    )


def skip_the_launchers_plugins() -> None:
    """In a sweep's job process: skip what the launching moonml skipped, before Hydra scans.

    Hydra rescans its plugins as it sets up each job (Singleton.set_state); a job's process has
    imported this module by then, unpickling the task function that moonml.app.main holds.
    """
    for package in filter(None, os.environ.get(SKIPPED_VARIABLE, "").split(",")):
        _hide(package)


def _hide(package: str) -> None:
    # None in sys.modules: an import of the package stops there, and Hydra's scan passes it by.
    for name in [name for name in sys.modules if name.startswith(package + ".")]:
        del sys.modules[name]
    sys.modules[package] = None  # type: ignore[assignment]
