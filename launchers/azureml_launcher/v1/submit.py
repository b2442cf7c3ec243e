"""backend=azureml: submit every job, print its portal URL, optionally wait for all of them.

Every call that leaves the machine runs under _workspace.call_with_deadline. The test double
replaces `Experiment` (and the workspace) here, at the SDK boundary.
"""

import functools
import logging
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from azureml.core import Experiment
from hydra.core.utils import JobReturn, JobStatus

from azureml_launcher import environment as _environment
from azureml_launcher import workspace as _workspace
from azureml_launcher.errors import run_may_exist
from azureml_launcher.job import JobSpec
from azureml_launcher.snapshot import contents as _snapshot
from azureml_launcher.v1 import run_config as _v1
from azureml_launcher.wait import say, wait_all

log = logging.getLogger(__name__)
REFUSED_HINT = (
    "Fix what the service names and submit again; hydra.launcher.dry_run=true writes what would be sent"
)


def submit_all(
    specs: Sequence[JobSpec], snapshot: _snapshot.Snapshot, settings: Mapping[str, Any]
) -> list[JobReturn]:
    ws_settings = dict(settings.get("workspace") or {})
    timeout = _workspace.deadline_of(ws_settings)
    ws = _workspace.connect(ws_settings)
    # submit() uploads the snapshot: its deadline grows with the snapshot's size.
    upload_timeout = _workspace.upload_deadline(
        timeout, snapshot.total_bytes, float(settings["upload_mb_per_s"])
    )

    def call(
        fn: Callable[[], Any],
        what: str,
        not_found: str = _workspace.WORKSPACE_NOT_FOUND,
        timeout_s: float = timeout,
        otherwise: str = REFUSED_HINT,
    ) -> Any:
        # Any SDK failure becomes one line saying what failed and what to do.
        return _workspace.explained_call(fn, timeout_s, what, not_found, otherwise=otherwise)

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
            # The run id is chosen here, as the SDK would, so that a run the service created before
            # a deadline fired can still be named: re-submitting would duplicate it.
            run_id = _v1.new_run_id(spec.experiment_name)
            url = _v1.run_url(ws, run_id)
            with run_may_exist(f"Run {run_id} of job #{spec.idx}", url):
                run = call(
                    lambda e=experiment, s=src, t=spec.tags, i=run_id: e.submit(s, tags=t, run_id=i),
                    f"submitting job #{spec.idx} ({snapshot.total_bytes / _snapshot.MB:.1f} MB "
                    f"snapshot) to experiment {spec.experiment_name!r}",
                    not_found=(
                        f"compute target {spec.compute_target!r} or a registered input was not "
                        "found in the workspace; check compute.target (Compute > Compute "
                        "clusters) and hydra.launcher.inputs"
                    ),
                    timeout_s=upload_timeout,
                )
                call(
                    lambda r=run, n=spec.display_name: setattr(r, "display_name", n),
                    f"naming run {run_id}",
                    not_found=f"run {run_id} was not found in the workspace (deleted?)",
                )
            say(f"job #{spec.idx} submitted as {run_id} on {spec.compute_target}: {url}")
            runs.append((spec, run, url))
    if not settings.get("wait"):
        return [
            spec.job_return(JobStatus.COMPLETED, {"run_id": run.id, "url": url}) for spec, run, url in runs
        ]
    return wait_all(
        runs,
        # Reading or cancelling a run: "submit again" is no advice there.
        functools.partial(call, otherwise=""),
        poll_interval_s=float(settings["poll_interval_s"]),
        timeout_s=settings.get("wait_timeout_s"),
        cancel_on_interrupt=bool(settings.get("cancel_on_interrupt", True)),
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
