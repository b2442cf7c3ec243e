"""Logging pieces referenced from conf/hydra/job_logging/moonml.yaml."""

import logging


class BelowWarning(logging.Filter):
    """Keeps warnings and errors off stdout: they go to stderr, where pipes and CI look for them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.WARNING
