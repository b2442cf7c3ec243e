"""The launcher's user-facing error."""

from collections.abc import Iterator
from contextlib import contextmanager

from hydra.errors import CompactHydraException


class LauncherError(CompactHydraException):
    """A setting or project state the user must fix; Hydra prints only this message."""


class DeadlineExceeded(LauncherError):
    """A call to Azure did not answer in time (it may still take effect on the service)."""


@contextmanager
def run_may_exist(run: str, url: str) -> Iterator[None]:
    """A deadline that fires once a submission may have reached the service names the run.

    `run` names it in the message ("Run <id> of job #<n>"), `url` is where to look for it.
    """
    try:
        yield
    except DeadlineExceeded as err:
        raise LauncherError(
            f"{err}. {run} may exist anyway: look at {url} before submitting again (a new "
            "submission would duplicate it)"
        ) from err
