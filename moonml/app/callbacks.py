"""moonml's Hydra callbacks, in the order conf/config.yaml runs them.

Each is a thin hook: what it does lives with the stage it belongs to.
"""

import sys
from typing import Any

from azureml_launcher import api as launcher_api
from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig

from moonml.app.run_folders import own_folder
from moonml.app.sweep_kill import end_jobs_with_the_sweep, watch_the_sweep
from moonml.credentials import hide_env_reads, redact, typed_overrides
from moonml.data.files import data_files, missing_file_problem
from moonml.errors import MoonmlError, full_error_requested
from moonml.tracking.mlflow_console import quiet_unless_verbose
from moonml.tracking.sweep_best import register_at_sweep_end


class HideEnvReads(Callback):
    """Before anything is checked or printed: values the overrides read from the environment are
    never shown (moonml.credentials), in the launching process and in each job's."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        hide_env_reads(typed_overrides(config.hydra.overrides.task))

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        hide_env_reads(typed_overrides(config.hydra.overrides.task))

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        hide_env_reads(typed_overrides(config.hydra.overrides.task))


class QuietMlflow(Callback):
    """Before anything imports mlflow: its notices only with `hydra.verbose`."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        quiet_unless_verbose(config.hydra.verbose)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        quiet_unless_verbose(config.hydra.verbose)


class CheckDataFiles(Callback):
    """Missing CSV files stop the run with one line, before Hydra creates its output directory
    (the run or sweep directory, its `.hydra/`, the log file): a run that cannot start leaves none."""

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
    for path in data_files(config.data):
        problem = missing_file_problem(path)
        if problem is None:
            continue
        if full_error_requested():
            raise MoonmlError(problem)
        # Hydra has not configured logging yet: write the line the task's handler would write.
        print(f"error: {redact(problem)}", file=sys.stderr)
        sys.exit(1)


class OwnOutputFolder(Callback):
    """A new folder for each run and each sweep: outputs/DATE/TIME, with _2, _3... if it is taken."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        own_folder(config, "run")

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        own_folder(config, "sweep")


class RegisterSweepBest(Callback):
    """Jobs of a sweep do not register their models: at the sweep's end, its best run's is."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        register_at_sweep_end(config)


class JobsEndWithTheirSweep(Callback):
    """A killed sweep leaves no job running: its jobs in other processes end KILLED and exit."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        end_jobs_with_the_sweep(config)

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        watch_the_sweep(HydraConfig.get().mode == RunMode.MULTIRUN)
