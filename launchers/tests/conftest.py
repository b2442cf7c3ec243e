"""The launcher's own tests: they need the launcher distribution (with its azure and test extras),
never the app it happens to be developed with."""

from launcher_helpers import deadlines, own_cache, tinyapp  # noqa: F401  (fixtures, shared)
