"""Waiting for submitted runs (any SDK layer): one loop over all runs, each status change printed.

A run is anything with `id`, `get_status()`, `get_metrics()`, `get_details()` and `cancel()`;
`call(fn, what, not_found=...)` runs each of those service calls under a deadline and words any
failure as one LauncherError (the SDK's exception as its __cause__).

A poll that fails for a passing reason (no answer in time, the network, HTTP 408/429/5xx) is
tried again at the next round, until `wait_timeout_s`; a run that cannot be read for good (gone,
refused) is a failed job saying why. Either way the other runs are still awaited. Ctrl-C cancels
the runs that have not finished (or, with cancel_on_interrupt=false, leaves them running and
names them) and exits 130.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, Optional

from hydra.core.utils import JobReturn, JobStatus

from azureml_launcher.errors import DeadlineExceeded, LauncherError
from azureml_launcher.job import JobSpec
from azureml_launcher.metric import job_result

TERMINAL = {"Completed": JobStatus.COMPLETED, "Failed": JobStatus.FAILED, "Canceled": JobStatus.FAILED}
# azure-core's exceptions for a request that got no (complete) answer.
AZURE_CORE_NETWORK_ERRORS = ("ServiceRequestError", "ServiceResponseError")
# The shell's exit code for a process ended by Ctrl-C (128 + SIGINT).
INTERRUPTED_EXIT_CODE = 130


def say(message: str) -> None:
    # print, not log: the URLs are the product of the command and must show at any log level.
    print(f"[azureml] {message}", flush=True)


@dataclass
class Watched:
    """One submitted run while it is awaited."""

    spec: JobSpec
    run: Any
    url: str
    status: Optional[str] = None  # the last status read
    problem: Optional[str] = None  # why the last poll failed, while polls fail
    result: Optional[JobReturn] = None

    @property
    def name(self) -> str:
        return f"job #{self.spec.idx} {self.run.id}"


def wait_all(
    runs: Sequence[tuple[JobSpec, Any, str]],
    call: Callable[..., Any],
    poll_interval_s: float,
    timeout_s: Optional[float] = None,
    cancel_on_interrupt: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> list[JobReturn]:
    """Poll every unfinished run in turn until all are done; print each status change.

    One loop over all runs rather than run.wait_for_completion() one after the other: a run
    that fails early is reported at once, and no run's end waits on another's.
    """
    watched = [Watched(spec, run, url) for spec, run, url in runs]
    try:
        _poll_until_done(watched, call, poll_interval_s, timeout_s, sleep)
    except KeyboardInterrupt:
        interrupted([w for w in watched if w.result is None], call, cancel_on_interrupt)
    return [w.result for w in watched if w.result is not None]


def _poll_until_done(
    watched: list[Watched],
    call: Callable[..., Any],
    poll_interval_s: float,
    timeout_s: Optional[float],
    sleep: Callable[[float], None],
) -> None:
    started = time.monotonic()
    while True:
        for w in watched:
            if w.result is None:
                _poll(w, call, poll_interval_s, timeout_s)
        pending = [w for w in watched if w.result is None]
        if not pending:
            return
        if timeout_s is not None and time.monotonic() - started > float(timeout_s):
            for w in pending:
                still = f"could still not be read ({w.problem})" if w.problem else f"still {w.status}"
                w.result = w.spec.job_return(
                    JobStatus.FAILED,
                    LauncherError(
                        f"run {w.run.id} (job #{w.spec.idx}) {still} after hydra.launcher."
                        f"wait_timeout_s={float(timeout_s):g}; it keeps running: {w.url}"
                    ),
                )
            return
        sleep(poll_interval_s)


def _poll(w: Watched, call: Callable[..., Any], poll_interval_s: float, timeout_s: Optional[float]) -> None:
    """One poll of one run: its status, and its result once it has ended."""
    gone = f"run {w.run.id} was not found in the workspace (deleted?); look at {w.url}"
    try:
        status = str(call(w.run.get_status, f"status of run {w.run.id}", not_found=gone))
        if status in TERMINAL:
            w.result = _finish(w, status, call, gone)
    except LauncherError as err:
        if not transient(err):
            say(f"{w.name}: cannot be read: {err}")
            w.result = w.spec.job_return(
                JobStatus.FAILED,
                LauncherError(f"run {w.run.id} (job #{w.spec.idx}) cannot be read: {err}"),
            )
        elif str(err) != w.problem:
            until = (
                "it answers" if timeout_s is None else f"hydra.launcher.wait_timeout_s={float(timeout_s):g}"
            )
            say(f"{w.name}: {err}; trying again every {poll_interval_s:g} s until {until}")
        w.problem = str(err)
        return
    if w.problem is not None:
        say(f"{w.name}: read again")
        w.problem = None
    if status != w.status:
        say(f"{w.name}: {status}")
        w.status = status


def _finish(w: Watched, status: str, call: Callable[..., Any], gone: str) -> JobReturn:
    run, spec = w.run, w.spec
    if TERMINAL[status] == JobStatus.COMPLETED:
        metrics = dict(call(run.get_metrics, f"metrics of run {run.id}", not_found=gone) or {})
        where = f"run {run.id} (job #{spec.idx}, {w.url})"
        return spec.job_return(*job_result(metrics, spec.settings.get("return_metric"), where))
    details = call(run.get_details, f"details of run {run.id}", not_found=gone) or {}
    error = details.get("error") or {}
    message = (error.get("error") or {}).get("message") or error.get("message") or "no error message"
    return spec.job_return(
        JobStatus.FAILED,
        LauncherError(f"run {run.id} (job #{spec.idx}) {status}: {message}; logs: {w.url}"),
    )


def transient(err: LauncherError) -> bool:
    """Whether a failed call may well succeed if tried again: no answer in time, the network,
    or the service saying so (HTTP 408, 429, 5xx)."""
    if isinstance(err, DeadlineExceeded):
        return True
    cause = err.__cause__
    if cause is None:
        return False
    status = getattr(cause, "status_code", None)
    if isinstance(status, int):
        return status in (408, 429) or status >= 500
    # requests' and urllib3's connection errors are OSErrors; azure-core wraps them in its own.
    return isinstance(cause, OSError) or type(cause).__name__ in AZURE_CORE_NETWORK_ERRORS


def interrupted(pending: Sequence[Watched], call: Callable[..., Any], cancel: bool) -> NoReturn:
    """Ctrl-C while waiting: cancel the runs that have not finished (each under the deadline),
    or name them when they are to keep running; then exit as an interrupted process does."""
    if not pending:
        say("interrupted: every run had already ended")
    elif not cancel:
        say(
            f"interrupted: {len(pending)} run(s) keep running on AzureML, costing money until they end "
            "(hydra.launcher.cancel_on_interrupt=false); cancel them from their pages if need be:"
        )
        for w in pending:
            say(f"  {w.name}: {w.url}")
    else:
        say(f"interrupted: cancelling the {len(pending)} run(s) that have not finished")
        left = list(pending)
        try:
            while left:
                w = left[0]
                try:
                    call(w.run.cancel, f"cancelling run {w.run.id}")
                    say(f"  cancelled {w.name}")
                except LauncherError as err:
                    say(f"  NOT cancelled {w.name} ({err}): it keeps running, and costing money: {w.url}")
                left.pop(0)
        except KeyboardInterrupt:  # a second Ctrl-C: stop cancelling, say what still runs
            say("interrupted again: these runs were not cancelled and keep running, and costing money:")
            for w in left:
                say(f"  {w.name}: {w.url}")
    raise SystemExit(INTERRUPTED_EXIT_CODE)
