"""backend=azureml with sdk=v2: submit command jobs through MLClient; wait as v1 does.

Only the submit layer differs from v1: the jobs, snapshot, environment specs and the waiting
loop (`_wait.wait_all`, fed with `JobHandle`s that answer like v1 runs) are shared. Every
call that leaves the machine runs under the workspace deadline.

Metrics: azure-ai-ml has no metrics API; what a v2 job logs lives in the workspace's MLflow
service, so the handle reads it with an MLflow client (the job's name is its MLflow run id).
"""

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

from hydra.core.utils import JobReturn, JobStatus

from azureml_launcher import workspace as _workspace
from azureml_launcher.environment import EnvSpec
from azureml_launcher.errors import LauncherError, run_may_exist
from azureml_launcher.job import JobSpec
from azureml_launcher.sdk_logs import sdk_prints_hidden
from azureml_launcher.snapshot import contents as _snapshot
from azureml_launcher.v2 import client as _client_v2
from azureml_launcher.v2 import command_job as _v2
from azureml_launcher.wait import say, wait_all


class JobHandle:
    """A submitted v2 job seen through the v1 run methods `wait_all` polls (under its deadline).

    Metrics come from MLflow: a v2 job's name is the id of its MLflow run in the workspace.
    """

    def __init__(self, connection: _client_v2.Connection, job: Any) -> None:
        self.connection = connection
        self.id = str(job.name)
        self._tracking_uri: Optional[str] = None

    def get_status(self) -> str:
        status = self.connection.client.jobs.get(self.id).status
        # A str Enum of the REST models: str() would give "JobStatus.COMPLETED", not "Completed".
        return str(getattr(status, "value", status))

    def get_metrics(self) -> dict[str, Any]:
        if self._tracking_uri is None:  # first: it says which package is missing, if any
            self._tracking_uri = _client_v2.mlflow_tracking_uri(self.connection)
        from mlflow.tracking import MlflowClient

        return dict(MlflowClient(tracking_uri=self._tracking_uri).get_run(self.id).data.metrics)

    def get_details(self) -> dict[str, Any]:
        return {"error": {"message": _client_v2.job_error(self.connection.client, self.id)}}

    def cancel(self) -> None:
        # The service accepts the request at once; the job then goes through CancelRequested.
        self.connection.client.jobs.begin_cancel(self.id)


def ensure_environment(connection: _client_v2.Connection, spec: EnvSpec, asset: Optional[Any]) -> None:
    """Create the pip/docker environment `asset` unless the workspace has it already.

    Its version is a hash of what it builds, so an existing one is the same environment and
    AzureML reuses its image; a registered environment is only checked for existence.
    """
    from azure.core.exceptions import ResourceNotFoundError

    environments = connection.client.environments
    name, version = (spec.name, spec.version) if asset is None else (asset.name, asset.version)
    label = f"environment {name}:{version or 'latest'} in {connection.label}"

    def get() -> Any:
        if version is None:
            return environments.get(name, label="latest")
        return environments.get(name, version=version)

    missing = (
        f"no environment {name}:{version or 'latest'} is registered there; check environment.name "
        "and environment.version (the workspace's Environments page)"
    )
    try:
        connection.call(get, f"looking up {label}", not_found=missing)
        return
    except LauncherError as err:
        if asset is None or not isinstance(err.__cause__, ResourceNotFoundError):
            raise
    connection.call(lambda: environments.create_or_update(asset), f"creating {label}")


def submit_all(
    specs: Sequence[JobSpec], snapshot: _snapshot.Snapshot, settings: Mapping[str, Any]
) -> list[JobReturn]:
    for spec in specs:  # offline, before anything is sent: an environment v2 cannot use stops them all
        assert spec.environment is not None
        _v2.environment_reference(spec.environment)
    connection = _client_v2.connect(dict(settings.get("workspace") or {}))
    # create_or_update uploads the snapshot: its deadline grows with the snapshot's size.
    upload_timeout = _workspace.upload_deadline(
        connection.timeout_s, snapshot.total_bytes, float(settings["upload_mb_per_s"])
    )
    handles = _submit(connection, specs, snapshot, upload_timeout)
    if not settings.get("wait"):
        return [
            spec.job_return(JobStatus.COMPLETED, {"run_id": handle.id, "url": url})
            for spec, handle, url in handles
        ]
    return wait_all(
        handles,
        connection.call,
        poll_interval_s=float(settings["poll_interval_s"]),
        timeout_s=settings.get("wait_timeout_s"),
        cancel_on_interrupt=bool(settings.get("cancel_on_interrupt", True)),
    )


def _submit(
    connection: _client_v2.Connection,
    specs: Sequence[JobSpec],
    snapshot: _snapshot.Snapshot,
    upload_timeout: float,
) -> list[tuple[JobSpec, JobHandle, str]]:
    jobs = connection.client.jobs
    handles = []
    ensured: set[str] = set()
    # The SDK uploads `code` during create_or_update: the copy only has to outlive it.
    with (
        tempfile.TemporaryDirectory(prefix="azureml-snapshot-") as folder,
        sdk_prints_hidden(not connection.sdk_output_shown),  # the uploads' colour resets and blank lines
    ):
        snapshot_dir = _snapshot.materialise(snapshot, Path(folder) / "snapshot")
        for spec in specs:
            assert spec.environment is not None
            job = _v2.command_job(spec, snapshot_dir)
            if job.environment not in ensured:
                ensure_environment(connection, spec.environment, _v2.environment_asset(spec.environment))
                ensured.add(job.environment)
            # Named here, so that a job the service created before a deadline fired can still be
            # found: submitting again would duplicate it.
            job.name = _v2.new_job_name(spec.experiment_name)
            # Under the deadline: with ARM_CLOUD_METADATA_URL set the SDK fetches the cloud's URLs.
            url = connection.call(
                lambda n=job.name: _v2.job_url(connection.client, n), f"studio URL of job {job.name}"
            )
            with run_may_exist(f"Job {job.name} of job #{spec.idx}", url):
                created = connection.call(
                    lambda j=job: jobs.create_or_update(j),
                    f"submitting job #{spec.idx} ({snapshot.total_bytes / _snapshot.MB:.1f} MB "
                    f"snapshot) to experiment {spec.experiment_name!r} in {connection.label}",
                    not_found=(
                        f"compute target {spec.compute_target!r} or a data input was not found in "
                        "the workspace; check compute.target (Compute > Compute clusters) and "
                        "hydra.launcher.inputs"
                    ),
                    timeout_s=upload_timeout,
                )
            url = str(created.studio_url or url)
            say(f"job #{spec.idx} submitted as {created.name} on {spec.compute_target}: {url}")
            handles.append((spec, JobHandle(connection, created), url))
    return handles
