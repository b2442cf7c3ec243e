"""A moonml run recorded in MLflow: the tutorial's names, plus everything needed to redo it.

MLflow costs seconds of CPU (importing it and skops, opening the store, writing the model). All
MLflow calls run, in the order they were made, in one helper process started with the run: it
imports and connects while the search runs, sharing the cores with it, so the cost overlaps the
pipeline instead of following it (a thread would not: imports hold the GIL). On large data it
then rests during the search (moonml.tracking.helper), and a new one takes the run over after it.

Every call names the run moonml opened by its id (MlflowClient): nothing can create a run of its
own. If opening the run fails, the search is stopped and no later call is made. The model is
registered last, after everything else was logged, and the run's end is recorded with signals
held back: an exit code of 0 means FINISHED (and registered), 130 means KILLED (not registered).
"""

import _thread
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from azureml_launcher.api import first_line
from omegaconf import DictConfig

from moonml.data.split import Split
from moonml.errors import MoonmlError
from moonml.search.lifeline import exit_with_parent, share_parent_pages
from moonml.tracking.datasets import split_tables
from moonml.tracking.helper import Helper
from moonml.tracking.lost_helper import end_run_here
from moonml.tracking.mlflow_calls import (
    end_run,
    log_call,
    quiet_helper_logs,
    register_logged_model,
    start_run,
    take_over_run,
    withdraw_version,
)
from moonml.tracking.mlflow_console import run_link, silence_mlflow_notices
from moonml.tracking.names import registers_always
from moonml.tracking.store_check import bound_http_requests, check_store
from moonml.tracking.tracker import Tracker

log = logging.getLogger(__name__)

# fork where it is safe (Linux); macOS and Windows spawn.
START_METHOD = "fork" if sys.platform == "linux" else "spawn"
# How long closing the run may wait for logging still under way.
CLOSE_DEADLINE_S = 300


class _HeldSignals:
    """While held, Ctrl-C and SIGTERM are noted instead of raised: a run's end is recorded whole."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self._previous: dict[int, Any] = {}

    @property
    def holding(self) -> bool:
        return bool(self._previous)

    def hold(self) -> None:
        if self._previous or threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._note)

    def _note(self, signum: int, frame: Any) -> None:
        self.received.append(signum)

    def release(self) -> list[int]:
        """Restore the handlers; return the signals that arrived meanwhile."""
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}
        received, self.received = self.received, []
        return received


class MlflowSession:
    """Tracking ready for runs: the store is usable, a helper process will do the logging."""

    def __init__(self, uri: str, tracking_cfg: DictConfig, prepare: Callable[[], Any] | None = None) -> None:
        self.uri = uri
        self.tracking_cfg = tracking_cfg
        # Held from a run's last step until the session closes: once the run is recorded
        # FINISHED, a late Ctrl-C must not turn the exit code into 130.
        self.held_signals = _HeldSignals()
        # fork where it is safe (Linux): the helper starts with what this process imported.
        # The process starts with the first call, the run's start: after this process has
        # imported scikit-learn and pandas, which the helper then shares instead of importing.
        self.helper = Helper(
            START_METHOD,
            _serve_parent,
            # A spawned helper inherits nothing (e.g. the workspace credentials azureml-mlflow
            # keeps in-process): `prepare` sets it up as this process was.
            (os.getpid(), prepare if START_METHOD == "spawn" else None),
        )

    @contextmanager
    def run(self, run_name: str | None, started_s: float) -> Iterator["MlflowTracker"]:
        """An MLflow run that ends FINISHED, FAILED (an error) or KILLED (Ctrl-C, SIGTERM),
        dated from `started_s` (time.time() when moonml's run began)."""
        tracker = MlflowTracker(self, run_name, started_s)
        try:
            yield tracker
            tracker.flush()
        except KeyboardInterrupt:
            start_error = tracker.start_error()
            if start_error is not None:
                raise start_error from None  # the search was stopped because the start failed
            tracker.end("KILLED")
            raise
        except MoonmlError as err:
            problem = tracker.end("FAILED")
            if problem:
                raise MoonmlError(f"{err}; {problem}") from err
            raise
        except BaseException:
            tracker.end("FAILED")
            raise
        self.held_signals.hold()
        tracker.complete()

    def close(self) -> None:
        self.helper.shutdown()
        if self.held_signals.release():
            log.warning("interrupt received while the run's end was being recorded: ignored")


class MlflowTracker(Tracker):
    def __init__(self, session: MlflowSession, run_name: str | None, started_s: float) -> None:
        self.uri = session.uri
        self.register_model = session.tracking_cfg.register_model
        self.champion_alias = session.tracking_cfg.get("champion_alias")
        self.register_always = registers_always(session.tracking_cfg)
        self.helper_rests_from_rows = session.tracking_cfg.helper_rests_from_rows
        self._signals = session.held_signals
        self._helper = session.helper
        self._pending: list[tuple[str, Future]] = []  # (what it records, its call)
        self._run = self._submit(
            "the run", start_run, self.uri, session.tracking_cfg.experiment_name, run_name, started_s
        )

    @property
    def where(self) -> str:
        run_id, experiment_id = self._run.result()
        where = f"MLflow run {run_id} (experiment id {experiment_id}) in {self.uri}"
        link = run_link(self.uri, experiment_id, run_id)
        return f"{where}\nView run: {link}" if link else where

    def _submit(self, what: str, call: Callable, *args: Any) -> Future:
        future = self._helper.submit(call, *args)
        self._pending.append((what, future))
        return future

    def _log(self, what: str, method: str, *args: Any) -> None:
        if self._run.done() and self._run.exception() is not None:
            return  # no run to log to: the start's error is what flush() reports
        try:
            self._submit(what, log_call, method, *args)
        except BrokenProcessPool as err:
            raise self._failure(self._reason(err)) from None

    def log_params(self, params: dict[str, Any]) -> None:
        self._log("params", "log_params", params)

    def log_metrics(self, metrics: dict[str, float]) -> None:
        self._log("metrics", "log_metrics", metrics)

    def set_tags(self, tags: dict[str, str]) -> None:
        self._log("tags", "set_tags", tags)

    def log_artifact(self, path: Path) -> None:
        self._log(path.name, "log_artifact", str(path))

    def log_dict(self, content: Any, name: str) -> None:
        self._log(name, "log_dict", content, name)

    def log_tables(self, split: Split, data_name: str) -> None:
        # Described here, in a few rows each: only that crosses to the helper.
        self._log("the datasets", "log_tables", split_tables(split, data_name))

    def log_model(self, model: Any, example: pd.DataFrame, register: bool = True) -> None:
        if not register:
            # A sweep's job: the sweep's end registers its best run (moonml.tracking.sweep_best).
            self.register_model = None
        self._log("the model", "log_model", model, example)

    @contextmanager
    def during_search(self, rows: int) -> Iterator[None]:
        """Interrupt the block (the search) as soon as opening the run fails. On `rows` training
        rows from tracking.helper_rests_from_rows, the calls made so far are waited for and the
        helper process exits before the search; the first call after it starts a new one."""
        if rows >= self.helper_rests_from_rows:
            calls = [future for _, future in self._pending]
            self._helper.rest(calls, lambda: (take_over_run, self.uri, *self._run.result()))
        with self._stops_if_start_fails():
            yield

    @contextmanager
    def _stops_if_start_fails(self) -> Iterator[None]:
        armed = threading.Lock()
        state = {"armed": True}

        def stop(future: Future) -> None:
            with armed:
                if state["armed"] and future.exception() is not None:
                    _thread.interrupt_main()  # a KeyboardInterrupt, which run() turns into the error

        self._run.add_done_callback(stop)
        try:
            yield
        finally:
            with armed:
                state["armed"] = False

    def start_error(self) -> MoonmlError | None:
        """The start's error as a MoonmlError, if it failed (without waiting for it)."""
        if not self._run.done() or self._run.exception() is None:
            return None
        return self._failure(self._reason(self._run.exception()))

    def _reason(self, error: BaseException) -> str:
        if isinstance(error, BrokenProcessPool):  # the helper died: say so, not the pool's words
            return self._helper.death() or first_line(error)
        return first_line(error)

    def _failure(self, reason: str, problem: str | None = None) -> MoonmlError:
        return MoonmlError(
            f"MLflow tracking at {self.uri} failed: {reason}" + (f"; {problem}" if problem else "")
        )

    def flush(self) -> None:
        """Wait for every call made so far; raise a MoonmlError naming all that was not recorded."""
        start_error = self._run.exception(timeout=CLOSE_DEADLINE_S)
        if start_error is not None:
            raise self._failure(self._reason(start_error))
        missing: dict[str, list[str]] = {}  # reason -> what was not recorded for it
        for what, future in self._pending:
            error = future.exception(timeout=CLOSE_DEADLINE_S)
            if error is not None:
                missing.setdefault(self._reason(error), []).append(what)
        if missing:
            reasons = "; ".join(f"{', '.join(whats)} ({reason})" for reason, whats in missing.items())
            raise self._failure(f"not recorded: {reasons}")

    def complete(self) -> None:
        """Register the model (by tracking.register), the last step, then end the run FINISHED
        (FAILED if that fails).

        A version whose run could not be marked FINISHED is deleted again.
        """
        version = outcome = None
        if self.register_model:
            try:  # submitting fails too once the helper has died
                registering = self._helper.submit(
                    register_logged_model, self.register_model, self.champion_alias, self.register_always
                )
                version, outcome = registering.result(timeout=CLOSE_DEADLINE_S)
            except Exception as err:
                reason = f"registering the model as {self.register_model!r}: {self._reason(err)}"
                raise self._failure(reason, self.end("FAILED")) from None
        problem = self.end("FINISHED")
        if problem and version is not None:
            problem += self._withdraw(version)
        if problem:
            raise MoonmlError(f"MLflow tracking at {self.uri}: {problem}")
        if outcome:
            log.info(outcome)  # registered or not, and why: once the run's end is recorded

    def _withdraw(self, version: str) -> str:
        label = f"version {version} of {self.register_model}"
        try:
            self._helper.submit(withdraw_version, self.register_model, version).result(
                timeout=CLOSE_DEADLINE_S
            )
        except Exception as err:
            return f"; {label} was registered from it and could not be removed ({first_line(err)})"
        return f"; {label}, registered from it, was removed"

    def end(self, status: str) -> str | None:
        """Record the run's end (never raises); say what went wrong if it could not be."""
        held_here = not self._signals.holding
        self._signals.hold()  # a second Ctrl-C must not leave the run RUNNING
        try:
            if self._run.exception(timeout=CLOSE_DEADLINE_S) is not None:
                return None  # no run was opened
            for _, future in self._pending:
                future.cancel()  # calls not under way yet: the run ends without them
            run_id, _ = self._run.result()
            try:
                self._helper.submit(end_run, status).result(timeout=CLOSE_DEADLINE_S)
            except BrokenProcessPool:
                return self._end_here(run_id, status)
            except Exception as err:
                return f"run {run_id} could not be marked {status} ({first_line(err)})"
            return None
        finally:
            if held_here:
                self._signals.release()

    def _end_here(self, run_id: str, status: str) -> str | None:
        # The helper died, the store may be fine: this process records the end itself.
        try:
            end_run_here(self.uri, run_id, status)
        except Exception as err:
            return f"run {run_id} could not be marked {status} ({first_line(err)})"
        return None if status == "FINISHED" else f"run {run_id} was ended {status} by the main process"


@contextmanager
def mlflow_session(
    tracking_cfg: DictConfig, uri: str, prepare: Callable[[], Any] | None = None
) -> Iterator[MlflowSession]:
    bound_http_requests(tracking_cfg.request_timeout_s)
    check_store(uri, tracking_cfg.request_timeout_s)
    session = MlflowSession(uri, tracking_cfg, prepare)
    try:
        yield session
    finally:
        session.close()


def _serve_parent(parent_pid: int, prepare: Callable[[], Any] | None = None) -> None:
    # Runs first in the helper process. Ctrl-C (and a SIGTERM to the process group) reach the
    # helper too; the parent decides how the run ends (KILLED) and sends end_run here, so the
    # helper must outlive the signal.
    share_parent_pages()  # first: forked, it shares this process' heap until a collection
    one_thread_per_pool()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # No lower priority: niced, the helper got no CPU while the search ran and did all its
    # work (seconds of imports, the store, the model) after it, with a core idle; sharing the
    # cores ends the run sooner (bench/overhead.py), and other busy processes cannot starve it.
    exit_with_parent(parent_pid)
    quiet_helper_logs()
    silence_mlflow_notices()
    if prepare is not None:
        prepare()  # a spawned helper: connect as the user chose, before any MLflow call


# Kept for the helper's life: the limits last while the limiter is referenced.
_limits: list[Any] = []


def one_thread_per_pool() -> None:
    """OpenMP and BLAS on one thread in the helper. Forked after the parent ran OpenMP (a sweep's
    earlier job fitted a HistGradientBoosting model), the helper inherits a thread pool whose
    threads the fork did not copy: its first parallel call (predicting the input example) then
    waits for them forever. One thread runs inline; the helper's numerics are a few rows."""
    from threadpoolctl import threadpool_limits

    _limits.append(threadpool_limits(limits=1))
