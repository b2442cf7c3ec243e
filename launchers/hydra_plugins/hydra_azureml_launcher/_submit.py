"""backend=azureml: submit every job, print its portal URL, optionally wait for all of them.

Every call that leaves the machine runs under _workspace.call_with_deadline. The test double
replaces `Experiment` (and the workspace) here, at the SDK boundary.
"""

import logging
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

from azureml.core import Experiment
from hydra.core.utils import JobReturn, JobStatus

from . import _environment, _snapshot, _v1, _workspace
from ._job import JobSpec

log = logging.getLogger(__name__)
REFUSED_HINT = (
    "Fix what the service names and submit again; hydra.launcher.dry_run=true writes what would be sent"
)
TERMINAL = {"Completed": JobStatus.COMPLETED, "Failed": JobStatus.FAILED, "Canceled": JobStatus.FAILED}


class AzureMLRunFailed(RuntimeError):
    """An AzureML run ended Failed or Canceled; the message has its error and log URL."""


def _say(message: str) -> None:
    # print, not log: the URLs are the product of the command and must show at any log level.
    print(f"[azureml] {message}", flush=True)


def submit_all(
    specs: Sequence[JobSpec], snapshot: _snapshot.Snapshot, settings: Mapping[str, Any]
) -> list[JobReturn]:
    ws_settings = dict(settings.get("workspace") or {})
    timeout = _workspace.deadline_of(ws_settings)
    ws = _workspace.connect(ws_settings)

    def call(fn: Callable[[], Any], what: str, not_found: str = _workspace.WORKSPACE_NOT_FOUND) -> Any:
        # Any SDK failure becomes one line saying what failed and what to do.
        return _workspace.explained_call(fn, timeout, what, not_found, otherwise=REFUSED_HINT)

    runs: list[tuple[JobSpec, Any, str]] = []
    experiments: dict[str, Any] = {}
    # The SDK uploads the source directory during submit(): the copy only has to outlive it.
    with tempfile.TemporaryDirectory(prefix="azureml-snapshot-") as folder:
        snapshot_dir = _snapshot.materialise(snapshot, Path(folder) / "snapshot")
        for spec in specs:
            environment = _job_environment(spec, ws, call)
            src = _v1.script_run_config(spec, snapshot_dir, environment)
            if spec.experiment_name not in experiments:
                # Experiment() gets or creates the experiment in the workspace: a network call.
                experiments[spec.experiment_name] = call(
                    lambda n=spec.experiment_name: Experiment(workspace=ws, name=n),
                    f"opening experiment {spec.experiment_name!r}",
                )
            experiment = experiments[spec.experiment_name]
            run = call(
                lambda e=experiment, s=src, t=spec.tags: e.submit(s, tags=t),
                f"submitting job #{spec.idx} to experiment {spec.experiment_name!r}",
                not_found=(
                    f"compute target {spec.compute_target!r} or a registered input was not found "
                    "in the workspace; check compute.target (Compute > Compute clusters) and "
                    "hydra.launcher.inputs"
                ),
            )
            call(lambda r=run, n=spec.display_name: setattr(r, "display_name", n), f"naming run {run.id}")
            url = call(run.get_portal_url, f"portal URL of run {run.id}")
            _say(f"job #{spec.idx} submitted as {run.id} on {spec.compute_target}: {url}")
            runs.append((spec, run, url))
    if not settings.get("wait"):
        return [
            spec.job_return(JobStatus.COMPLETED, {"run_id": run.id, "url": url}) for spec, run, url in runs
        ]
    return wait_all(
        runs,
        call,
        poll_interval_s=float(settings.get("poll_interval_s") or 15.0),
        timeout_s=settings.get("wait_timeout_s"),
    )


def _job_environment(spec: JobSpec, ws: Any, call: Callable[..., Any]) -> Any:
    assert spec.environment is not None
    if spec.environment.kind == "registered":
        env_spec = spec.environment
        label = f"{env_spec.name}:{env_spec.version or 'latest'}"
        return call(
            lambda: _environment.fetch(env_spec, ws),
            f"loading registered environment {label}",
            not_found=(
                f"no environment {label} is registered in the workspace; check environment.name "
                "and environment.version (the workspace's Environments page)"
            ),
        )
    return _v1.offline_environment(spec)


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
                _say(f"job #{spec.idx} {run.id}: {status}")
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
                        AzureMLRunFailed(
                            f"run {run.id} still {last.get(i)} after hydra.launcher."
                            f"wait_timeout_s={timeout_s}; it keeps running: {url}"
                        ),
                    )
                break
            sleep(poll_interval_s)
    return [results[i] for i in range(len(runs))]


def _finish(spec: JobSpec, run: Any, url: str, status: str, call: Callable[..., Any]) -> JobReturn:
    if TERMINAL[status] == JobStatus.COMPLETED:
        metrics = call(run.get_metrics, f"metrics of run {run.id}")
        return spec.job_return(JobStatus.COMPLETED, dict(metrics or {}))
    details = call(run.get_details, f"details of run {run.id}") or {}
    error = details.get("error") or {}
    message = (error.get("error") or {}).get("message") or error.get("message") or "no error message"
    return spec.job_return(
        JobStatus.FAILED,
        AzureMLRunFailed(f"run {run.id} (job #{spec.idx}) {status}: {message}; logs: {url}"),
    )
