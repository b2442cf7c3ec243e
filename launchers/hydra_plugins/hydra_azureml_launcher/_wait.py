"""Waiting for submitted runs (any SDK layer): one loop over all runs, each status change printed.

A run is anything with `id`, `get_status()`, `get_metrics()` and `get_details()`; `call` runs
each of those service calls under a deadline and words any failure as one line.
"""

import time
from collections.abc import Callable, Sequence
from typing import Any, Optional

from hydra.core.utils import JobReturn, JobStatus

from ._errors import LauncherError
from ._job import JobSpec
from ._metric import job_result

TERMINAL = {"Completed": JobStatus.COMPLETED, "Failed": JobStatus.FAILED, "Canceled": JobStatus.FAILED}


def say(message: str) -> None:
    # print, not log: the URLs are the product of the command and must show at any log level.
    print(f"[azureml] {message}", flush=True)


def wait_all(
    runs: Sequence[tuple[JobSpec, Any, str]],
    call: Callable[..., Any],
    poll_interval_s: float,
    timeout_s: Optional[float] = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[JobReturn]:
    """Poll every unfinished run in turn until all are done; print each status change.

    One loop over all runs rather than run.wait_for_completion() one after the other: a run
    that fails early is reported at once, and no run's end waits on another's.
    """
    results: dict[int, JobReturn] = {}
    last: dict[int, str] = {}
    pending = list(range(len(runs)))
    started = time.monotonic()
    while pending:
        for i in list(pending):
            spec, run, url = runs[i]
            status = str(call(run.get_status, f"status of run {run.id}"))
            if status != last.get(i):
                say(f"job #{spec.idx} {run.id}: {status}")
                last[i] = status
            if status in TERMINAL:
                pending.remove(i)
                results[i] = _finish(spec, run, url, status, call)
        if pending:
            if timeout_s is not None and time.monotonic() - started > float(timeout_s):
                for i in pending:
                    spec, run, url = runs[i]
                    results[i] = spec.job_return(
                        JobStatus.FAILED,
                        LauncherError(
                            f"run {run.id} still {last.get(i)} after hydra.launcher."
                            f"wait_timeout_s={timeout_s}; it keeps running: {url}"
                        ),
                    )
                break
            sleep(poll_interval_s)
    return [results[i] for i in range(len(runs))]


def _finish(spec: JobSpec, run: Any, url: str, status: str, call: Callable[..., Any]) -> JobReturn:
    if TERMINAL[status] == JobStatus.COMPLETED:
        metrics = dict(call(run.get_metrics, f"metrics of run {run.id}") or {})
        where = f"run {run.id} (job #{spec.idx}, {url})"
        return spec.job_return(*job_result(metrics, spec.settings.get("return_metric"), where))
    details = call(run.get_details, f"details of run {run.id}") or {}
    error = details.get("error") or {}
    message = (error.get("error") or {}).get("message") or error.get("message") or "no error message"
    return spec.job_return(
        JobStatus.FAILED,
        LauncherError(f"run {run.id} (job #{spec.idx}) {status}: {message}; logs: {url}"),
    )
