"""sdk=v2: the azure-ai-ml command job of a JobSpec, built offline; and its dry run.

The job carries what a v1 ScriptRunConfig carries: the materialised snapshot as `code`, the
replayed command, the compute, the environment, experiment, display name, tags and variables.
Its environment is referenced by name and version: pip and docker definitions become
Environment assets named by a hash of what v2 builds from them (created once, then reused),
registered ones are used as they are. Each of the job's inputs (`hydra.launcher.inputs`) becomes
an `Input` of the registered dataset, mounted read-only or downloaded: a v2 data asset as
uri_folder, a v1 file dataset as mltable with an eval_ mode, as Microsoft documents them.
"""

import json
import re
import secrets
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

from hydra.core.utils import JobReturn, JobStatus

from azureml_launcher.environment import EnvSpec, content_version
from azureml_launcher.errors import LauncherError
from azureml_launcher.inputs import InputSpec
from azureml_launcher.job import JobSpec
from azureml_launcher.sdk import private
from azureml_launcher.snapshot import contents as _snapshot
from azureml_launcher.snapshot import listing as _listing
from azureml_launcher.v2.client import import_sdk

# AzureML's curated base image for conda environments (Ubuntu 22.04, OpenMPI, conda).
BASE_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"
# hydra.launcher.inputs' modes as v2 input modes, for v2 data assets and for v1 file datasets.
INPUT_MODES = {"mount": "ro_mount", "download": "download"}
V1_DATASET_MODES = {"mount": "eval_mount", "download": "eval_download"}


def asset_reference(name: str, version: Optional[object]) -> str:
    """How a job names a registered asset: azureml:NAME:VERSION, or NAME@latest.

    Not azureml:NAME@latest: azure-ai-ml 1.35 resolves a label on the text as given and looks
    up an asset literally named "azureml:NAME" (its YAML loader strips the prefix first, so a
    job.yml may carry it: dumping the job writes it back).
    """
    if version is None:
        return f"{name}@latest"
    return f"azureml:{name}:{version}"


def _definition(spec: EnvSpec) -> dict[str, Any]:
    """What v2 builds from a pip or docker spec: the image, and the conda file on top of it."""
    if spec.kind == "docker":
        if spec.definition["registry"] is not None:
            raise LauncherError(
                "environment.registry is not supported with sdk=v2: an azure-ai-ml environment "
                "carries no image-pull credentials or identity. Give the workspace's identity "
                "(or the compute cluster's) AcrPull on the registry and set "
                "environment.registry.address=null, or submit with azureml.sdk=v1"
            )
        # An image without a conda file: its own Python and packages, like v1's user-managed ones.
        return {"image": spec.definition["image"]}
    conda = {
        "name": spec.name,
        "channels": ["conda-forge"],
        "dependencies": [
            f"python={spec.definition['python_version']}",
            "pip",
            {"pip": list(spec.definition["requirements"])},
        ],
    }
    return {"image": BASE_IMAGE, "conda_file": conda}


def environment_asset(spec: EnvSpec) -> Optional[Any]:
    """The Environment asset of a pip or docker spec (None for a registered one).

    Its version hashes what v2 builds, not the settings: v1 builds another image from the same
    settings, so the two SDKs never register different images under one NAME:VERSION (and the
    variables, which v2 passes with the job, do not make a new image).
    """
    from azure.ai.ml.entities import Environment

    if spec.kind == "registered":
        return None
    built = _definition(spec)
    return Environment(name=spec.name, version=content_version({"sdk": "v2", **built}), **built)


def environment_reference(spec: EnvSpec) -> str:
    asset = environment_asset(spec)
    if asset is None:
        return asset_reference(spec.name, spec.version)
    return asset_reference(asset.name, asset.version)


def data_input(spec: InputSpec) -> Any:
    """The job Input of a registered dataset, as the SDK that registered it made it."""
    from azure.ai.ml import Input

    path = asset_reference(spec.dataset, spec.version)
    if spec.registered_with == "v1":
        return Input(type="mltable", path=path, mode=V1_DATASET_MODES[spec.mode])
    return Input(type="uri_folder", path=path, mode=INPUT_MODES[spec.mode])


def new_job_name(experiment_name: str) -> str:
    """A fresh job name (which is also the job's MLflow run id): experiment, time, random part.

    Chosen here so that a job the service created before a deadline fired can be named.
    """
    prefix = re.sub(r"[^a-z0-9]+", "_", experiment_name.lower()).strip("_")[:200] or "job"
    return f"{prefix}_{int(time.time())}_{secrets.token_hex(4)}"


def job_url(client: Any, name: str) -> str:
    """The studio URL of job `name` of the MLClient's workspace, as the SDK builds it from the id
    (for the cloud the SDK is configured for; azure-ai-ml has no public function for it)."""
    studio_url_from_job_id = private(
        "azure-ai-ml", "azure.ai.ml.entities._job._studio_url_from_job_id", "studio_url_from_job_id"
    )
    job_id = (
        f"/subscriptions/{client.subscription_id}/resourceGroups/{client.resource_group_name}"
        f"/providers/Microsoft.MachineLearningServices/workspaces/{client.workspace_name}/jobs/{name}"
    )
    return str(studio_url_from_job_id(job_id))


def _job_arguments(spec: JobSpec, code_dir: Path) -> dict[str, Any]:
    """What a job is made of, as both `command(...)` and `CommandJob(...)` take it."""
    assert spec.environment is not None
    # The reference makes AzureML mount (or download) each input; the variable says where.
    prefix = "".join(f"AZURE_ML_INPUT_{item.name}=${{{{inputs.{item.name}}}}} " for item in spec.inputs)
    return {
        "code": str(code_dir),
        "command": spec.shell_command(prefix),
        "environment": environment_reference(spec.environment),
        "compute": spec.compute_target,
        "inputs": {item.name: data_input(item) for item in spec.inputs},
        # The environment's variables and the launcher's: v2 assets carry none themselves.
        "environment_variables": {**spec.environment.env_vars, **spec.env_vars, **spec.run_vars},
        "experiment_name": spec.experiment_name,
        "display_name": spec.display_name,
        "tags": dict(spec.tags),
    }


def command_job(spec: JobSpec, code_dir: Path) -> Any:
    """The real azure-ai-ml command job of one job, as `command(...)` builds it (what
    MLClient.jobs.create_or_update submits)."""
    return import_sdk().command(**_job_arguments(spec, code_dir))


def dump_job(spec: JobSpec, code_dir: Path, path: Path) -> None:
    """The job as YAML, what `az ml job create --file` and load_job read.

    Written from a CommandJob: the `command(...)` node dumps as a pipeline step, without the
    experiment and display name.
    """
    import_sdk()
    from azure.ai.ml.entities import CommandJob

    CommandJob(**_job_arguments(spec, code_dir)).dump(path)


def write_job(
    spec: JobSpec, snapshot: _snapshot.Snapshot, snapshot_dir: Path
) -> tuple[Path, Any, Optional[Any]]:
    """Under <job dir>/azureml/: job.yml, environment.yml (pip/docker), command.txt, the lists."""
    assert spec.environment is not None
    out = spec.job_dir / "azureml"
    out.mkdir(parents=True, exist_ok=True)
    job = command_job(spec, snapshot_dir)
    dump_job(spec, snapshot_dir, out / "job.yml")
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
