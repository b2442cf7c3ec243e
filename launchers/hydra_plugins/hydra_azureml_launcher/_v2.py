"""sdk=v2: the azure-ai-ml command job of a JobSpec, built offline; and its dry run.

The job carries what a v1 ScriptRunConfig carries: the materialised snapshot as `code`, the
replayed command, the compute, the environment, experiment, display name, tags and variables.
Its environment is referenced by name and version: pip and docker definitions become
Environment assets named by the EnvSpec's content hash (created once, then reused), registered
ones are used as they are. Each of the job's inputs (`hydra.launcher.inputs`) becomes a
uri_folder `Input` of the registered data asset, mounted read-only or downloaded.
"""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

from hydra.core.utils import JobReturn, JobStatus

from . import _listing, _snapshot
from ._client_v2 import import_sdk
from ._environment import EnvSpec
from ._inputs import InputSpec
from ._job import JobSpec

# AzureML's curated base image for conda environments (Ubuntu 22.04, OpenMPI, conda).
BASE_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"
# hydra.launcher.inputs' modes as v2 input modes.
INPUT_MODES = {"mount": "ro_mount", "download": "download"}


def environment_asset(spec: EnvSpec) -> Optional[Any]:
    """The Environment asset of a pip or docker spec (None for a registered one)."""
    from azure.ai.ml.entities import Environment

    if spec.kind == "registered":
        return None
    if spec.kind == "docker":
        # An image without a conda file: its own Python and packages, like v1's user-managed ones.
        return Environment(name=spec.name, version=spec.version, image=spec.definition["image"])
    conda = {
        "name": spec.name,
        "channels": ["conda-forge"],
        "dependencies": [
            f"python={spec.definition['python_version']}",
            "pip",
            {"pip": list(spec.definition["requirements"])},
        ],
    }
    return Environment(name=spec.name, version=spec.version, image=BASE_IMAGE, conda_file=conda)


def environment_reference(spec: EnvSpec) -> str:
    """How the job names its environment: azureml:NAME:VERSION, or azureml:NAME@latest."""
    if spec.version is None:
        return f"azureml:{spec.name}@latest"
    return f"azureml:{spec.name}:{spec.version}"


def data_input(spec: InputSpec) -> Any:
    """The job Input of a registered data asset: azureml:NAME:VERSION, or azureml:NAME@latest."""
    from azure.ai.ml import Input

    path = (
        f"azureml:{spec.dataset}@latest" if spec.version is None else f"azureml:{spec.dataset}:{spec.version}"
    )
    return Input(type="uri_folder", path=path, mode=INPUT_MODES[spec.mode])


def new_job_name() -> str:
    """A job name as the SDK makes one when the job has none (adjective_noun_suffix)."""
    from azure.ai.ml.entities._job.job_name_generator import generate_job_name

    return generate_job_name()


def job_url(client: Any, name: str) -> str:
    """The studio URL of job `name` of the MLClient's workspace, as the SDK builds it from the id."""
    from azure.ai.ml.entities._job._studio_url_from_job_id import studio_url_from_job_id

    job_id = (
        f"/subscriptions/{client.subscription_id}/resourceGroups/{client.resource_group_name}"
        f"/providers/Microsoft.MachineLearningServices/workspaces/{client.workspace_name}/jobs/{name}"
    )
    return str(studio_url_from_job_id(job_id))


def command_job(spec: JobSpec, code_dir: Path) -> Any:
    """The real azure-ai-ml command job (a `Command`, what `command(...)` returns) of one job."""
    ml = import_sdk()
    assert spec.environment is not None
    # The reference makes AzureML mount (or download) each input; the variable says where.
    prefix = "".join(f"AZURE_ML_INPUT_{item.name}=${{{{inputs.{item.name}}}}} " for item in spec.inputs)
    return ml.command(
        code=str(code_dir),
        command=prefix + spec.command,
        environment=environment_reference(spec.environment),
        compute=spec.compute_target,
        inputs={item.name: data_input(item) for item in spec.inputs},
        # The environment's variables and the launcher's: v2 assets carry none themselves.
        environment_variables={**spec.environment.env_vars, **spec.env_vars, **spec.run_vars},
        experiment_name=spec.experiment_name,
        display_name=spec.display_name,
        tags=dict(spec.tags),
    )


def job_dict(job: Any) -> dict[str, Any]:
    """The job as its YAML says it (what `az ml job create --file` and load_job read)."""
    return dict(job._to_job()._to_dict())


def write_job(
    spec: JobSpec, snapshot: _snapshot.Snapshot, snapshot_dir: Path
) -> tuple[Path, Any, Optional[Any]]:
    """Under <job dir>/azureml/: job.yml, environment.yml (pip/docker), command.txt, the lists."""
    assert spec.environment is not None
    out = spec.job_dir / "azureml"
    out.mkdir(parents=True, exist_ok=True)
    job = command_job(spec, snapshot_dir)
    job._to_job().dump(out / "job.yml")
    asset = environment_asset(spec.environment)
    if asset is not None:
        asset.dump(out / "environment.yml")
    else:
        (out / "environment.json").write_text(
            json.dumps({"registered": True, **spec.environment.describe()}, indent=2), encoding="utf-8"
        )
    (out / "command.txt").write_text(spec.command + "\n", encoding="utf-8")
    _listing.write(snapshot, out)
    return out, job, asset


def write_all(specs: Sequence[JobSpec], snapshot: _snapshot.Snapshot, sweep_dir: Path) -> list[JobReturn]:
    snapshot_dir = _snapshot.materialise(snapshot, sweep_dir / "azureml_snapshot")
    results = []
    for spec in specs:
        out, job, asset = write_job(spec, snapshot, snapshot_dir)
        if spec is specs[0]:
            _listing.print_summary(snapshot, out / "snapshot_left_out.tsv")
        print(f"[azureml dry run, sdk v2] job #{spec.idx}: {spec.command}\n  written to {out}", flush=True)
        # The SDK objects too, for callers of Hydra's API (and the tests).
        value = {"dry_run_dir": str(out), "command_job": job, "environment": asset}
        results.append(spec.job_return(JobStatus.COMPLETED, value))
    return results
