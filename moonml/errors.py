"""The one exception type moonml reports as a clean message instead of a traceback."""


class MoonmlError(Exception):
    """A problem the user can fix: bad data, a bad config, an unreachable service.

    The message names the thing at fault and what to do; the entry points print it on one line
    and exit non-zero (a traceback only with HYDRA_FULL_ERROR=1).
    """
