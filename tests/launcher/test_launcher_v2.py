"""sdk=v2: the real azure-ai-ml command jobs, built offline, submitted through the real MLClient.

Submission and waiting run the real MLClient (built from the real credential choice) and
azureml-mlflow against the stand-in AzureML service (tests/stand_in_azure.py): references
resolve, the code uploads and the job is created through the SDK's own HTTP calls, and the
tests assert on the request bodies the service receives. Nothing but the login is doubled.
"""

import io
import json
import logging
import shlex
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import yaml
from azure.ai.ml import MLClient, load_environment, load_job
from azure.ai.ml.entities import Command
from azure.identity import ClientSecretCredential
from azureml_launcher import launch as _core
from azureml_launcher.errors import LauncherError
from azureml_launcher.v2 import command_job as _v2
from hydra.core.plugins import Plugins
from hydra.core.utils import JobStatus
from launcher_helpers import run

from tests.helpers import moonml_sweep
from tests.stand_in_azure import TOKEN, WORKSPACE_PATH, StandIn, stand_in_azure

ENVIRONMENTS = [
    ("pip", [], "azureml:moonml-pip:"),
    ("docker", ["environment.image=myacr.azurecr.io/moonml:1.0"], "azureml:moonml-docker:"),
    ("registered", ["environment.name=team-env", "environment.version=3"], "azureml:team-env:3"),
    # Not "azureml:team-env@latest": azure-ai-ml would look for an environment named "azureml:team-env".
    ("registered", ["environment.name=team-env"], "team-env@latest"),
]
WORKSPACE = [
    "azureml.subscription_id=00000000-0000-0000-0000-000000000001",
    "azureml.resource_group=moon-rg",
    "azureml.workspace_name=moon-ws",
    "azureml.timeout_s=5",
]


@contextmanager
def v2_dry_run(runner: Any, project: Path, sweep_dir: Path, overrides: list[str]) -> Iterator[list[Any]]:
    sweep = moonml_sweep(
        runner, project, sweep_dir, ["hydra.launcher.dry_run=true", "hydra.launcher.sdk=v2", *overrides]
    )
    with sweep:
        assert sweep.returns is not None
        yield list(sweep.returns[0])


def as_yaml(entity: Any) -> Any:
    """An azure-ai-ml job or environment as its YAML says it (what load_job/load_environment read)."""
    stream = io.StringIO()
    entity.dump(stream)
    return yaml.safe_load(stream.getvalue())


def job_fields(job: Any) -> dict[str, Any]:
    """What a job sends, by the SDK's public attributes (load_job returns a Command, not a CommandJob).

    Reading YAML strips the "azureml:" of references (submitting shows they still resolve).
    """
    fields = ("command", "code", "compute", "environment_variables", "experiment_name", "display_name")
    inputs = {name: (i.type, i.path.removeprefix("azureml:"), i.mode) for name, i in job.inputs.items()}
    return {
        **{f: getattr(job, f) for f in (*fields, "tags")},
        "environment": job.environment.removeprefix("azureml:"),
        "inputs": inputs,
    }


def requirement_lines(path: Path) -> list[str]:
    lines = [line.strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


@pytest.mark.parametrize("environment, env_overrides, reference", ENVIRONMENTS)
def test_dry_run_builds_the_command_job_and_its_yaml_loads_back_equal(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    environment: str,
    env_overrides: list[str],
    reference: str,
) -> None:
    with v2_dry_run(
        hydra_sweep_runner,
        moonml_copy,
        tmp_path / "sweep",
        [
            "compute=cpu-cluster,gpu-cluster",
            f"environment={environment}",
            *env_overrides,
            "model.grid.max_depth=[2,null]",
            "+hydra.launcher.env_vars.EXTRA=1",
        ],
    ) as returns:
        assert len(returns) == 2
        for ret, target in zip(returns, ["cpu-cluster", "gpu-cluster"], strict=True):
            assert ret.status == JobStatus.COMPLETED
            job = ret.return_value["command_job"]
            assert isinstance(job, Command)  # what azure.ai.ml.command(...) returns
            out = Path(ret.return_value["dry_run_dir"])
            argv = shlex.split(job.command)
            assert argv[:4] == ["python", "-m", "moonml", "--config-name=config"]
            assert argv[4:-3] == ret.overrides
            assert "model.grid.max_depth=[2,null]" in argv
            assert argv[-3:] == ["hydra.mode=RUN", "hydra/launcher=basic", "hydra.run.dir=outputs"]
            assert job.command == (out / "command.txt").read_text().strip()
            assert job.compute == target
            assert job.environment == reference or (
                reference.endswith(":") and job.environment.startswith(reference)
            )
            assert job.environment_variables == {
                "PYTHONPATH": "launchers",
                "EXTRA": "1",
                # Which sweep this plain single run is part of (the caller's sweep dir).
                "HYDRA_AZUREML_LAUNCHER_SWEEP_DIR": str(tmp_path / "sweep"),
            }
            assert job.experiment_name == "moonml"
            assert job.display_name.startswith("moonml #") and f"compute={target}" in job.display_name
            assert job.tags["app"] == "moonml" and f"compute={target}" in job.tags["hydra_overrides"]
            assert job.inputs == {}  # data=moons: nothing to mount
            # The code is the materialised snapshot: secrets and local state are not in it.
            code = Path(job.code)
            assert (code / "moonml" / "train.py").is_file()
            assert not (code / ".env").exists() and not (code / "mlflow.db").exists()
            assert not (code / "conf" / "nested" / "config.json").exists()

            # The SDK's own loader reads the written YAML back to an equal job.
            assert job_fields(load_job(out / "job.yml")) == job_fields(job)

            if environment == "registered":
                assert not (out / "environment.yml").exists()
                continue
            env = load_environment(out / "environment.yml")
            assert as_yaml(env) == as_yaml(ret.return_value["environment"])
            name, version = job.environment.removeprefix("azureml:").split(":")
            assert (env.name, env.version) == (name, version)
            if environment == "pip":
                assert env.image == _v2.BASE_IMAGE
                python, _, packages = env.conda_file["dependencies"]
                assert python == f"python={sys.version_info.major}.{sys.version_info.minor}"
                assert packages == {"pip": requirement_lines(moonml_copy / "requirements.txt")}
            else:
                assert env.image == "myacr.azurecr.io/moonml:1.0" and env.conda_file is None


def test_same_definition_same_environment_version(
    hydra_sweep_runner: Any, moonml_copy: Path, tmp_path: Path
) -> None:
    with v2_dry_run(
        hydra_sweep_runner, moonml_copy, tmp_path / "a", ["compute=cpu-cluster", "seed=1,2"]
    ) as returns:
        first = {r.return_value["command_job"].environment for r in returns}
    with v2_dry_run(
        hydra_sweep_runner,
        moonml_copy,
        tmp_path / "b",
        ["compute=cpu-cluster", "environment.python_version=3.12"],
    ) as returns:
        other = {r.return_value["command_job"].environment for r in returns}
    assert len(first) == 1 and len(other) == 1 and first != other


@pytest.mark.parametrize(
    "registered_with, version, mode, path, v2_type, v2_mode",
    [
        ("v2", "2", "mount", "azureml:moon_dataset:2", "uri_folder", "ro_mount"),
        # Not "azureml:moon_dataset@latest": azure-ai-ml would look for data named "azureml:moon_dataset".
        ("v2", "null", "download", "moon_dataset@latest", "uri_folder", "download"),
        # A v1 file dataset (moonml.data register's default) in a v2 job, as Microsoft documents it.
        ("v1", "2", "mount", "azureml:moon_dataset:2", "mltable", "eval_mount"),
        ("v1", "null", "download", "moon_dataset@latest", "mltable", "eval_download"),
    ],
)
def test_registered_data_is_an_input_the_command_names(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    registered_with: str,
    version: str,
    mode: str,
    path: str,
    v2_type: str,
    v2_mode: str,
) -> None:
    with v2_dry_run(
        hydra_sweep_runner,
        moonml_copy,
        tmp_path / "sweep",
        [
            "compute=cpu-cluster",
            "data=azureml",
            f"data.registered_with={registered_with}",
            f"data.version={version}",
            f"data.mode={mode}",
        ],
    ) as returns:
        (ret,) = returns
        job = ret.return_value["command_job"]
        (name,) = job.inputs
        assert name == "moon_dataset"
        data = job.inputs["moon_dataset"]
        assert (data.type, data.path, data.mode) == (v2_type, path, v2_mode)
        # AzureML replaces ${{inputs.NAME}} by the mount point; moonml reads AZURE_ML_INPUT_NAME.
        prefix, rest = job.command.split(" ", 1)
        assert prefix == "AZURE_ML_INPUT_moon_dataset=${{inputs.moon_dataset}}"
        assert rest.startswith("python -m moonml ") and "data=azureml" in rest.split()
        assert job_fields(load_job(Path(ret.return_value["dry_run_dir"]) / "job.yml")) == job_fields(job)


def test_the_input_is_named_by_the_app_not_by_the_data_asset(
    hydra_sweep_runner: Any, moonml_copy: Path, tmp_path: Path
) -> None:
    """A data asset named moon-data (no variable name) arrives as input moon_dataset, where moonml looks."""
    from moonml.data.azureml import input_name, mounted_input

    with v2_dry_run(
        hydra_sweep_runner,
        moonml_copy,
        tmp_path / "sweep",
        ["compute=cpu-cluster", "data=azureml", "data.name=moon-data"],
    ) as returns:
        (ret,) = returns
        job = ret.return_value["command_job"]
        assert job_fields(job)["inputs"] == {"moon_dataset": ("mltable", "moon-data@latest", "eval_mount")}
        assert job.command.startswith("AZURE_ML_INPUT_moon_dataset=${{inputs.moon_dataset}} python ")
        data_cfg = ret.cfg.data
        assert input_name(data_cfg) == "moon_dataset"
        assert mounted_input(input_name(data_cfg), {"AZURE_ML_INPUT_moon_dataset": "/mnt/in"}) == "/mnt/in"


def test_azureml_sdk_setting_selects_v2_and_a_bad_value_is_refused(
    hydra_sweep_runner: Any, moonml_copy: Path, tmp_path: Path
) -> None:
    sweep = moonml_sweep(
        hydra_sweep_runner,
        moonml_copy,
        tmp_path / "a",
        ["hydra.launcher.dry_run=true", "azureml.sdk=v2", "compute=cpu-cluster"],
    )
    with sweep:
        assert sweep.returns is not None
        assert isinstance(sweep.returns[0][0].return_value["command_job"], Command)
    bad = moonml_sweep(
        hydra_sweep_runner,
        moonml_copy,
        tmp_path / "b",
        ["hydra.launcher.dry_run=true", "hydra.launcher.sdk=v3", "compute=cpu-cluster"],
    )
    with pytest.raises(Exception, match=r"hydra.launcher.sdk='v3': choose one of v1, v2"), bad:
        pass


# --- submit and wait: the real MLClient and MLflow against a stand-in server ---------------------


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[StandIn]:
    """The stand-in AzureML service, holding what a workspace would: data asset moon_dataset
    versions 1 and 2, environment team-env versions 3 and 4. Nothing in the SDK is doubled but
    the login: references resolve, the code uploads and jobs are created through its HTTP calls."""
    Plugins.instance()  # Hydra's plugin scan re-executes the plugin modules: let it happen first
    for key in ("MSI_ENDPOINT", "IDENTITY_ENDPOINT", "AZUREML_RUN_ID"):
        monkeypatch.delenv(key, raising=False)
    with stand_in_azure(monkeypatch, tmp_path) as azure:
        for version in ("1", "2"):
            azure.register_data("moon_dataset", version)
        for version in ("3", "4"):
            azure.register_environment("team-env", version, f"myacr.azurecr.io/team:{version}")
        yield azure


def launch(runner: Any, project: Path, tmp_path: Path, overrides: list[str], monkeypatch: Any) -> list[Any]:
    returned: list[Any] = []
    real_launch = _core.launch

    def spy(*args: Any) -> Any:
        results = real_launch(*args)
        returned.extend(results)
        return results

    monkeypatch.setattr(_core, "launch", spy)
    sweep = moonml_sweep(
        runner,
        project,
        tmp_path / "sweep",
        ["hydra.launcher.sdk=v2", "hydra.launcher.poll_interval_s=0.01", *WORKSPACE, *overrides],
    )
    try:
        with sweep:
            pass
    except LauncherError:
        if not returned:  # the launcher itself failed
            raise
        # else Hydra raised the first failed job's error after the launcher returned
    return returned


def uploaded_files(azure: StandIn) -> set[str]:
    """The snapshot's files as the SDK uploaded them (blob paths below the code folder)."""
    return {blob.split("/", 1)[1] for blob in azure.blobs if blob.startswith("snapshot/")}


def arm_id(kind: str, name: str, version: str) -> str:
    return f"{WORKSPACE_PATH}/{kind}/{name}/versions/{version}"


@pytest.mark.e2e
def test_submit_and_wait_return_metrics_and_failures(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    service: StandIn,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    deadlines: dict[str, float],
) -> None:
    service.job_plans = [
        (["Queued", "Running", "Completed"], {"cv_best_score": 0.97}),
        (["Starting", "Failed"], {}),
        (["Preparing", "Running", "Finalizing", "Completed"], {"cv_best_score": 0.9, "test_accuracy": 0.88}),
    ]
    returns = launch(
        hydra_sweep_runner,
        moonml_copy,
        tmp_path,
        # A bound, so that a status the loop does not understand fails the test instead of hanging it.
        ["compute=gpu-cluster", "seed=1,2,3", "hydra.launcher.wait=true", "hydra.launcher.wait_timeout_s=60"],
        monkeypatch,
    )
    out = capsys.readouterr().out
    job_a, job_b, job_c = service.jobs
    assert f"job #0 {job_a}: Queued" in out and f"job #0 {job_a}: Completed" in out
    assert f"job #1 {job_b}: Failed" in out
    assert [r.status for r in returns] == [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.COMPLETED]
    # The app's objective (hydra.launcher.return_metric), as a float for sweepers.
    assert returns[0].return_value == 0.97
    assert returns[2].return_value == 0.9
    failure = str(returns[1]._return_value)
    assert failure.startswith(f"run {job_b} (job #1) Failed: ")
    assert failure.endswith(f"logs: https://ml.azure.com/runs/{job_b}")  # where the logs are
    # Status through the jobs API, metrics through azureml-mlflow's REST store (job name = run id),
    # everything with the token of the credential choose_auth picked.
    paths = [path for _, path, _ in service.requests]
    assert any(p.startswith(f"{WORKSPACE_PATH}/jobs/{job_a}?") for p in paths)
    assert any("/api/2.0/mlflow/runs/get?" in p and f"run_id={job_c}" in p for p in paths)
    assert {auth for _, p, auth in service.requests if p.startswith("/subscriptions/")} == {f"Bearer {TOKEN}"}
    # One environment, created once (its version is a content hash) for all three jobs.
    (version,) = service.environments["moonml-pip"]
    created = service.environments["moonml-pip"][version]
    assert created["image"] == _v2.BASE_IMAGE and "condaFile" in created
    for idx, (name, body) in enumerate(service.jobs.items()):
        job = body["properties"]
        assert job["environmentId"] == arm_id("environments", "moonml-pip", version)
        assert job["computeId"].endswith("/computes/gpu-cluster")
        assert f"seed={idx + 1}" in job["command"].split() and job["experimentName"] == "moonml"
        assert job["codeId"].startswith(f"{WORKSPACE_PATH}/codes/")
        assert f"job #{idx} submitted as {name} on gpu-cluster: https://ml.azure.com/runs/{name}" in out
    files = uploaded_files(service)
    assert "moonml/train.py" in files and ".env" not in files and "mlflow.db" not in files
    assert {"looking up environment moonml-pip", "creating environment moonml-pip"} <= {
        what.split(":")[0] for what in deadlines
    }
    assert len({job_a, job_b, job_c}) == 3


def test_submit_without_waiting_then_again_reuses_the_environment(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    service: StandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (first,) = launch(hydra_sweep_runner, moonml_copy, tmp_path / "1", ["compute=cpu-cluster"], monkeypatch)
    (second,) = launch(hydra_sweep_runner, moonml_copy, tmp_path / "2", ["compute=cpu-cluster"], monkeypatch)
    assert first.status == second.status == JobStatus.COMPLETED
    job_a, job_b = service.jobs
    assert first.return_value == {"run_id": job_a, "url": f"https://ml.azure.com/runs/{job_a}"}
    assert second.return_value == {"run_id": job_b, "url": f"https://ml.azure.com/runs/{job_b}"}
    assert not [p for m, p, _ in service.requests if "/jobs/" in p and m == "GET"]  # wait=false: no polling
    # The unchanged definition keeps its name and version: created once, then found.
    created = [p for m, p, _ in service.sent if m == "PUT" and "/environments/" in p]
    (version,) = service.environments["moonml-pip"]
    assert created == [arm_id("environments", "moonml-pip", version)]
    assert {body["properties"]["environmentId"] for body in service.jobs.values()} == {
        arm_id("environments", "moonml-pip", version)
    }


REFERENCES = [
    # (overrides, data version the job receives, environment version the job runs in)
    (["data.version=null", "environment.version=null"], "2", "4"),
    (["data.version=null", "environment.version=3"], "2", "3"),
    (["data.version=1", "environment.version=null"], "1", "4"),
    (["data.version=1", "environment.version=3"], "1", "3"),
]


@pytest.mark.parametrize("overrides, data_version, env_version", REFERENCES)
def test_registered_data_and_environment_resolve_with_and_without_a_version(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    service: StandIn,
    monkeypatch: pytest.MonkeyPatch,
    overrides: list[str],
    data_version: str,
    env_version: str,
) -> None:
    """What the real MLClient sends: no reference is left for the service to misread."""
    settings = ["compute=cpu-cluster", "data=azureml", "data.registered_with=v2"]
    settings += ["environment=registered", "environment.name=team-env", *overrides]
    (ret,) = launch(hydra_sweep_runner, moonml_copy, tmp_path, settings, monkeypatch)
    assert ret.status == JobStatus.COMPLETED, ret._return_value
    ((name, body),) = service.jobs.items()
    job = body["properties"]
    assert job["inputs"] == {
        "moon_dataset": {
            "uri": arm_id("data", "moon_dataset", data_version),
            "mode": "ReadOnlyMount",
            "jobInputType": "uri_folder",
        }
    }
    assert job["environmentId"] == arm_id("environments", "team-env", env_version)
    assert job["command"].startswith("AZURE_ML_INPUT_moon_dataset=${{inputs.moon_dataset}} python -m moonml")
    assert ret.return_value["run_id"] == name

    # The dry run's job, as built and as its job.yml reads back, is accepted the same way.
    client = MLClient(
        ClientSecretCredential("00000000-0000-0000-0000-00000000000a", "b", "c"),
        WORKSPACE[0].split("=")[1],
        "moon-rg",
        "moon-ws",
        enable_telemetry=False,
    )
    with v2_dry_run(hydra_sweep_runner, moonml_copy, tmp_path / "dry", settings) as returns:
        (dry,) = returns
        written = load_job(Path(dry.return_value["dry_run_dir"]) / "job.yml")
        for job_object in (dry.return_value["command_job"], written):
            created = client.jobs.create_or_update(job_object)
            sent = service.jobs[created.name]["properties"]
            assert sent["inputs"] == job["inputs"] and sent["environmentId"] == job["environmentId"]


def test_an_sdk_refusal_is_one_line_with_the_sdks_words(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    service: StandIn,
) -> None:
    """No latest version of a data asset that was never registered: the SDK says so (MlException)."""
    sweep = moonml_sweep(
        hydra_sweep_runner,
        moonml_copy,
        tmp_path / "sweep",
        [*WORKSPACE, "hydra.launcher.sdk=v2", "compute=cpu-cluster", "data=azureml", "data.name=no_such"],
    )
    with pytest.raises(LauncherError) as caught, sweep:
        pass
    message = str(caught.value)
    assert "\n" not in message and "\x1b" not in message
    assert message.startswith("submitting job #0")
    assert "MlException: " in message and "no_such does not exist in workspace moon-ws" in message
    assert not service.jobs


REGISTERED = ["environment=registered"]


def test_a_registered_environment_that_is_not_there_is_named(
    hydra_sweep_runner: Any, moonml_copy: Path, tmp_path: Path, service: StandIn
) -> None:
    sweep = moonml_sweep(
        hydra_sweep_runner,
        moonml_copy,
        tmp_path / "sweep",
        [*WORKSPACE, "hydra.launcher.sdk=v2", "compute=cpu-cluster", *REGISTERED, "environment.name=no-env"],
    )
    with pytest.raises(LauncherError) as caught, sweep:
        pass
    message = str(caught.value)
    assert "\n" not in message and message.startswith("looking up environment no-env:latest in AzureML")
    assert "no environment no-env:latest is registered there; check environment.name" in message
    assert not service.jobs


@pytest.mark.e2e
def test_a_stalled_submission_names_the_job_that_may_exist(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    service: StandIn,
    deadlines: dict[str, float],
) -> None:
    """The job request gets no answer: the deadline grows with the snapshot, and the message names
    the job (named before sending) and its studio page."""
    service.hold_jobs = threading.Event()
    sweep = moonml_sweep(
        hydra_sweep_runner,
        moonml_copy,
        tmp_path / "sweep",
        [
            "hydra.launcher.sdk=v2",
            *WORKSPACE,
            "azureml.timeout_s=2",
            "hydra.launcher.upload_mb_per_s=2",
            "compute=cpu-cluster",
        ],
    )
    try:
        with pytest.raises(LauncherError) as caught, sweep:
            pass
    finally:
        service.hold_jobs.set()
    size = sum(len(content) for blob, content in service.blobs.items() if blob.startswith("snapshot/"))
    assert deadlines["submitting job #0"] == pytest.approx(2 + size / (1024 * 1024) / 2)
    message = str(caught.value)
    assert "\n" not in message and "no answer within" in message
    sent = [path for method, path, _ in service.requests if method == "PUT" and "/jobs/" in path]
    (name,) = (path.rsplit("/", 1)[1].split("?")[0] for path in sent)
    url = f"https://ml.azure.com/runs/{name}?wsid=/subscriptions/{WORKSPACE[0].split('=')[1]}"
    assert f"Job {name} of job #0 may exist anyway: look at {url}" in message
    assert "/resourcegroups/moon-rg/workspaces/moon-ws before submitting again" in message


@pytest.mark.parametrize(
    "environment, overrides",
    [("pip", []), ("docker", ["environment.image=myacr.azurecr.io/moonml:1.0"])],
)
def test_v1_and_v2_never_register_different_images_under_one_version(
    hydra_sweep_runner: Any, moonml_copy: Path, tmp_path: Path, environment: str, overrides: list[str]
) -> None:
    """From the same settings v1 and v2 build different images: each gets its own version."""
    settings = [
        "hydra.launcher.dry_run=true",
        "compute=cpu-cluster",
        f"environment={environment}",
        *overrides,
    ]
    with moonml_sweep(
        hydra_sweep_runner, moonml_copy, tmp_path / "v1", ["hydra.launcher.sdk=v1", *settings]
    ) as v1:
        assert v1.returns is not None
        written = Path(v1.returns[0][0].return_value["dry_run_dir"]) / "environment.json"
        v1_env = json.loads(written.read_text())
    with v2_dry_run(hydra_sweep_runner, moonml_copy, tmp_path / "v2", settings[1:]) as returns:
        name, version = returns[0].return_value["command_job"].environment.removeprefix("azureml:").split(":")
    assert name == v1_env["name"] == f"moonml-{environment}"
    assert version != v1_env["version"]


def test_a_private_registry_is_refused_by_v2_before_anything_is_sent(
    hydra_sweep_runner: Any, moonml_copy: Path, tmp_path: Path, service: StandIn
) -> None:
    """azure-ai-ml environments carry no pull credentials: environment.registry is not dropped silently."""
    registry = [
        "environment=docker",
        "environment.image=myacr.azurecr.io/moonml:1.0",
        "environment.registry.address=myacr.azurecr.io",
        "environment.registry.identity_client_id=00000000-0000-0000-0000-0000000000cc",
    ]
    for mode in (["hydra.launcher.dry_run=true"], WORKSPACE):
        sweep = moonml_sweep(
            hydra_sweep_runner,
            moonml_copy,
            tmp_path / str(len(mode)),
            ["hydra.launcher.sdk=v2", "compute=cpu-cluster", *registry, *mode],
        )
        with pytest.raises(LauncherError) as caught, sweep:
            pass
        message = str(caught.value)
        assert "\n" not in message
        assert message.startswith("environment.registry is not supported with sdk=v2")
        assert "environment.registry.address=null" in message
    assert service.requests == []


@pytest.fixture
def azure_logger() -> Iterator[None]:
    """The azure loggers as a fresh v2 process has them, restored after (azureml-core, once a v1
    test imported it, sets levels of its own, e.g. azure-core's HTTP logger to CRITICAL)."""
    names = ["azure", *(name for name in logging.root.manager.loggerDict if name.startswith("azure."))]
    levels = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.NOTSET)
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.parametrize("verbose", [[], ["hydra.verbose=azure"]])
def test_the_sdks_request_log_shows_only_with_hydra_verbose(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    service: StandIn,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    azure_logger: None,
    verbose: list[str],
) -> None:
    (ret,) = launch(hydra_sweep_runner, moonml_copy, tmp_path, ["compute=cpu-cluster", *verbose], monkeypatch)
    assert ret.status == JobStatus.COMPLETED
    out, err = capsys.readouterr()
    name = ret.return_value["run_id"]
    assert f"job #0 submitted as {name} on cpu-cluster" in out
    # azure-core's http_logging_policy: one "Request URL: ..." block per request.
    assert ("Request URL: " in out + err) == bool(verbose)
    assert ("Uploading snapshot" in out + err) == bool(verbose)  # the SDK's upload progress bar
    if not verbose:
        # azure-ai-ml prints a colour reset and a blank line to stderr after each upload.
        assert "\x1b" not in out + err
        assert "\n\n" not in err, err


def test_a_missing_private_sdk_function_is_one_line_naming_the_version(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    service: StandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The studio URL has no public builder in azure-ai-ml: a release without it says so."""
    import azure.ai.ml.entities._job._studio_url_from_job_id as private_module

    monkeypatch.delattr(private_module, "studio_url_from_job_id")
    sweep = moonml_sweep(
        hydra_sweep_runner,
        moonml_copy,
        tmp_path / "sweep",
        [*WORKSPACE, "hydra.launcher.sdk=v2", "compute=cpu-cluster"],
    )
    with pytest.raises(LauncherError) as caught, sweep:
        pass
    assert str(caught.value) == (
        f"azure-ai-ml {version('azure-ai-ml')} has no azure.ai.ml.entities._job._studio_url_from_job_id"
        ".studio_url_from_job_id, which the azureml launcher needs; install azure-ai-ml>=1.35,<1.36 "
        "(the versions it was tested with)"
    )
    assert not service.jobs


def test_no_workspace_is_one_line(
    hydra_sweep_runner: Any, moonml_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for key in ("AZUREML_SUBSCRIPTION_ID", "AZUREML_RESOURCE_GROUP", "AZUREML_WORKSPACE_NAME"):
        monkeypatch.delenv(key, raising=False)
    sweep = moonml_sweep(
        hydra_sweep_runner,
        moonml_copy,
        tmp_path / "sweep",
        ["hydra.launcher.sdk=v2", "compute=cpu-cluster", f"azureml.config_path={tmp_path / 'nope.json'}"],
    )
    with pytest.raises(Exception, match=r"azureml.config_path=.*nope.json: no such file") as caught, sweep:
        pass
    assert "\n" not in str(caught.value)


@pytest.mark.e2e
def test_local_backend_runs_the_same_command_with_sdk_v2(tinyapp: Path, tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    done = run(
        [
            "-m",
            "tinyapp",
            "-m",
            "hydra/launcher=azureml",
            "hydra.launcher.backend=local",
            "hydra.launcher.sdk=v2",
            "x=1,2",
            f"hydra.sweep.dir={sweep}",
        ],
        cwd=tinyapp,
        env={"MLFLOW_TRACKING_URI": "sqlite:///store/mlflow.db"},
    )
    assert done.returncode == 0, done.stderr
    for i in range(2):
        report = json.loads((sweep / str(i) / "report.json").read_text())
        assert report["backend_var"] == "local" and report["mode"] == "RunMode.RUN"
        assert json.loads((sweep / str(i) / "metrics.json").read_text()) == {"score": 10.0 * (i + 1)}
