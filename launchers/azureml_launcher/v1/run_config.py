"""The SDK v1 (azureml-core) objects of a job, built offline: ScriptRunConfig, Environment, inputs.

Dry run and submission build them here, so a dry run writes what a submission sends. Only the
registered environment needs the workspace (it is fetched, by the caller, under a deadline).
"""

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any, Optional

from azureml_launcher import environment as _environment
from azureml_launcher.errors import LauncherError
from azureml_launcher.inputs import InputSpec
from azureml_launcher.job import JobSpec

# azureml-core names inputs that follow the latest version in this variable (it skips the
# validation of a version that may change): see _update_args_and_io in script_run_config.py.
SKIP_VALIDATE_VAR = "SkipValidateDatasets"
STUDIO = "https://ml.azure.com"


def offline_environment(spec: JobSpec, reveal: bool = True) -> Optional[Any]:
    """pip/docker: the Environment object; registered: None (fetched from the workspace).

    reveal=False (dry run): registry credentials are placeholders naming their variables.
    """
    assert spec.environment is not None
    if spec.environment.kind == "registered":
        return None
    return _environment.build(spec.environment, os.environ, reveal)


def dataset_input(spec: InputSpec) -> Any:
    """The run configuration's `data` entry for a registered dataset, referenced by name.

    The SDK's own DatasetConsumptionConfig needs the Dataset object, i.e. a workspace lookup;
    the run configuration also accepts a reference by name and version (runconfig.Dataset),
    which is what it sends for "latest" itself.
    """
    from azureml.core.runconfig import Data, DataLocation
    from azureml.core.runconfig import Dataset as DatasetReference

    reference = DatasetReference(
        dataset_name=spec.dataset, dataset_version="latest" if spec.version is None else str(spec.version)
    )
    return Data(
        data_location=DataLocation(dataset=reference),
        create_output_directories=False,
        mechanism=spec.mode,
        environment_variable_name=spec.name,
        overwrite=False,
    )


def script_run_config(spec: JobSpec, source_directory: Path, environment: Any) -> Any:
    """The real azureml.core ScriptRunConfig of a job."""
    from azureml.core import ScriptRunConfig

    src = ScriptRunConfig(
        source_directory=str(source_directory),
        command=spec.command,
        compute_target=spec.compute_target,
        environment=environment,
    )
    variables = src.run_config.environment_variables
    if spec.environment is not None and spec.environment.kind == "registered":
        # A registered environment is used as it is; the job's variables go on the run instead.
        variables.update(spec.environment.env_vars)
    variables.update(spec.run_vars)
    for item in spec.inputs:
        src.run_config.data[item.name] = dataset_input(item)
    latest = [item.name for item in spec.inputs if item.version is None]
    if latest:
        variables[SKIP_VALIDATE_VAR] = ",".join(latest)
    return src


def run_configuration(src: Any) -> Any:
    """The RunConfiguration the SDK derives from a ScriptRunConfig and submits."""
    from azureml.core.script_run_config import get_run_config_from_script_run

    return get_run_config_from_script_run(src)


def run_configuration_dict(run_config: Any) -> dict[str, Any]:
    """The RunConfiguration as submit() serialises it into its request.

    Its public form is repr(), the JSON of that very serialisation (RunConfiguration.__repr__);
    anything else means an azureml-core this launcher does not know.
    """
    text = repr(run_config)
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        from importlib.metadata import version

        raise LauncherError(
            f"azureml-core {version('azureml-core')} no longer shows a RunConfiguration as JSON, "
            "which the dry run writes: install the azureml-core version pyproject.toml names"
        )
    return document


def new_run_id(experiment_name: str) -> str:
    """A run id as Experiment.submit makes one: <experiment>_<unix time>_<8 hex digits>.

    Made here, not by the SDK's private helper, and passed to submit(run_id=...), its
    documented parameter.
    """
    return f"{experiment_name}_{int(time.time())}_{uuid.uuid4().hex[:8]}"


def run_url(workspace: Any, run_id: str) -> str:
    """The run's studio URL, as Run.get_portal_url gives it, known before the run exists."""
    return (
        f"{STUDIO}/runs/{run_id}?wsid=/subscriptions/{workspace.subscription_id}"
        f"/resourcegroups/{workspace.resource_group}/workspaces/{workspace.name}"
    )
