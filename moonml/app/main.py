"""What the `@hydra.main` task (moonml/__main__.py) does: read Hydra's runtime, hand the config
to `moonml.train.train`, and turn errors and interrupts into one line and an exit code.

Only this shell knows about Hydra's runtime; the pipeline is a plain function.
"""

import atexit
import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from moonml.app.help import register_help_resolver
from moonml.app.interrupt import INTERRUPTED, signals_end_at_once, terminate_as_interrupt
from moonml.app.log_lines import prefix_console_lines
from moonml.app.plugins import failed_plugin, skip_plugin, skip_the_launchers_plugins
from moonml.app.runtime import shares_the_terminal, sweep_id
from moonml.azure import check_launcher_mode, use_callers_tracking_store
from moonml.config.objective import check_sweeper_direction, objective_value
from moonml.config.schema import register_schemas
from moonml.credentials import typed_overrides
from moonml.errors import MoonmlError, full_error_requested
from moonml.search.workers import start_early as start_search_workers

log = logging.getLogger("moonml")
register_schemas()
register_help_resolver()
skip_the_launchers_plugins()


def run_job(cfg: DictConfig) -> float:
    """Train; return the objective (`objective.metric`), the float Hydra's sweepers optimise."""
    hydra_cfg = HydraConfig.get()
    # Again here: a job in a joblib worker process runs this function but not main().
    signal.signal(signal.SIGTERM, terminate_as_interrupt)
    if hydra_cfg.mode == RunMode.MULTIRUN:
        prefix_console_lines(f"[job {hydra_cfg.job.num}] ")
    try:
        with signals_end_at_once():
            if cfg.model.n_jobs not in (None, 1):
                start_search_workers()  # first: it imports scikit-learn while this process does too
            # Here, not at the top: the pipeline imports pandas and scikit-learn, which --help and
            # --cfg job do without.
            from moonml.train import train

        check_launcher_mode(
            hydra_cfg.runtime.choices.get("hydra/launcher"), hydra_cfg.mode == RunMode.MULTIRUN
        )
        use_callers_tracking_store()
        check_sweeper_direction(cfg.objective, hydra_cfg.sweeper)
        metrics = train(
            cfg,
            output_dir=hydra_cfg.runtime.output_dir,
            overrides=typed_overrides(hydra_cfg.overrides.task),
            sweep=sweep_id(hydra_cfg),
            shares_terminal=shares_the_terminal(hydra_cfg),
        )
        return objective_value(cfg.objective, metrics)
    except MoonmlError as err:
        if full_error_requested():
            raise
        log.error("error: %s", err)
        if hydra_cfg.mode == RunMode.MULTIRUN:
            raise  # the launcher records this job as failed and goes on with the others
        sys.exit(1)
    except KeyboardInterrupt:
        if full_error_requested() or hydra_cfg.mode == RunMode.MULTIRUN:
            raise
        log.error(INTERRUPTED)
        sys.exit(130)
    if hydra_cfg.mode != RunMode.MULTIRUN:
        # The run is recorded FINISHED: an interrupt while the process exits must not contradict
        # it with exit code 130 (in a sweep, the next job still answers Ctrl-C).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    return metrics


def start(app: Callable[[], Any]) -> None:
    """Run the Hydra app `app`, with one line for an interrupt before the run starts, and
    without the Hydra plugins that fail to load."""
    signal.signal(signal.SIGTERM, terminate_as_interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    skipped = set()
    while True:
        try:
            app()
            return
        except KeyboardInterrupt:
            # Hydra was still composing the config, or a multirun's job passed it on: nothing of a
            # run is left half-done here (each job ended its own MLflow run).
            if full_error_requested():
                raise
            print(INTERRUPTED, file=sys.stderr)
            sys.exit(130)
        except Exception as err:
            # Hydra's plugin scan comes before anything else: the app can start again without it.
            plugin = failed_plugin(err)
            if plugin is None or plugin in skipped:
                raise
            skipped.add(plugin)
            skip_plugin(plugin, err)


def exit_now() -> None:
    """End the process once its work is written, skipping the interpreter's teardown.

    That teardown joins joblib's idle worker processes and frees every module: 0.8 s on a quiet
    machine, several seconds on a busy one, for nothing. The workers are killed instead: they
    would outlive a process that ends this way.
    """
    # Only a search that ran in parallel made an executor (--help does not even import joblib).
    reusable = sys.modules.get("joblib.externals.loky.reusable_executor")
    if reusable is not None and reusable._executor is not None:
        reusable._executor.shutdown(wait=True, kill_workers=True)
    # The exit handlers still run: joblib's removes its memory-mapping folders (else loky's
    # resource tracker warns of leaked folders), logging flushes its files.
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
