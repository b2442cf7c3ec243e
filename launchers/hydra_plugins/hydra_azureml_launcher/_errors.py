"""The launcher's user-facing error."""

from hydra.errors import CompactHydraException


class LauncherError(CompactHydraException):
    """A setting or project state the user must fix; Hydra prints only this message."""
