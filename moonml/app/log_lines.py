"""Logging pieces referenced from conf/hydra/job_logging/moonml.yaml."""

import logging

from moonml.credentials import redact


class BelowWarning(logging.Filter):
    """Keeps warnings and errors off stdout: they go to stderr, where pipes and CI look for them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.WARNING


class RedactCredentials(logging.Filter):
    """Hides the passwords of URIs in every line a handler writes (a tracking URI may hold one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if (redacted := redact(message)) != message:
            record.msg, record.args = redacted, None
        return True


def prefix_console_lines(prefix: str) -> None:
    """Start every console line with `prefix`, so the lines of parallel jobs can be told apart.

    Only the console handlers change: the job's log file is its own already.
    """
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            fmt = handler.formatter._fmt if handler.formatter else "%(message)s"
            handler.setFormatter(logging.Formatter(prefix + (fmt or "%(message)s")))
