"""The launcher's user-facing error."""

from hydra.errors import CompactHydraException


class LauncherError(CompactHydraException):
    """A setting or project state the user must fix; Hydra prints only this message."""


class DeadlineExceeded(LauncherError):
    """A call to Azure did not answer in time (it may still take effect on the service)."""
