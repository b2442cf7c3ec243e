"""A Hydra callback that refuses a run before Hydra creates its output directory.

Hydra makes the run (or sweep) directory, its `.hydra/` and the log file before the task
starts; a run that cannot start because its data files are missing should leave none of that.
"""

import sys
from typing import Any

from azureml_launcher import api as launcher_api
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from moonml.credentials import redact
from moonml.errors import MoonmlError, full_error_requested
from moonml.paths import missing_file_problem


class CheckDataFiles(Callback):
    """Missing CSV files stop the run with one line, before anything is written."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        _refuse_missing_files(config)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        # A sweep may set the data per job, and the azureml launcher's jobs read it relative to
        # the shipped snapshot: then each job checks its own files when it loads them.
        sweeps_data = any(o.lstrip("+~").startswith("data") for o in config.hydra.overrides.task)
        shipped = launcher_api.is_launcher(config.hydra.launcher)
        if not (sweeps_data or shipped):
            _refuse_missing_files(config)


def _refuse_missing_files(config: DictConfig) -> None:
    if config.data.get("source") != "csv":
        return
    for path in (config.data.train_path, config.data.test_path):
        problem = missing_file_problem(path)
        if problem is None:
            continue
        if full_error_requested():
            raise MoonmlError(problem)
        # Hydra has not configured logging yet: write the line the task's handler would write.
        print(f"error: {redact(problem)}", file=sys.stderr)
        sys.exit(1)
