"""sdk=v2: the real azure-ai-ml command jobs, built offline, round-tripped through load_job.

Submission uses the real MLClient (built from the real credential choice); the test double sits
only at the MLClient operations that would leave the machine (jobs.create_or_update / get,
environments.get / create_or_update, workspaces.get). Metrics come back through a real MLflow
client reading a local sqlite store that stands in for the workspace's MLflow.
"""

import json
import shlex
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from azure.ai.ml import load_environment, load_job
from azure.ai.ml.entities import Command, Environment
from azure.ai.ml.operations import EnvironmentOperations, JobOperations
from azure.core.exceptions import ResourceNotFoundError
from hydra.core.plugins import Plugins
from hydra.core.utils import JobStatus
from hydra_plugins.hydra_azureml_launcher import _core, _v2
from hydra_plugins.hydra_azureml_launcher._errors import LauncherError

from tests.launcher.conftest import moonml_sweep, run
from tests.stand_in_azure import TOKEN, WORKSPACE_PATH, StandIn, stand_in_azure

ENVIRONMENTS = [
    ("pip", [], "azureml:moonml-pip:"),
    ("docker", ["environment.image=myacr.azurecr.io/moonml:1.0"], "azureml:moonml-docker:"),
    ("registered", ["environment.name=team-env", "environment.version=3"], "azureml:team-env:3"),
    ("registered", ["environment.name=team-env"], "azureml:team-env@latest"),
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
            loaded = load_job(out / "job.yml")
            assert isinstance(loaded, Command)
            assert _v2.job_dict(loaded) == _v2.job_dict(job)
            assert loaded.command == job.command and loaded.code == job.code

            if environment == "registered":
                assert not (out / "environment.yml").exists()
                continue
            env = load_environment(out / "environment.yml")
            assert env._to_dict() == ret.return_value["environment"]._to_dict()
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
    "version, mode, path, v2_mode",
    [
        ("2", "mount", "azureml:moon_dataset:2", "ro_mount"),
        ("null", "download", "azureml:moon_dataset@latest", "download"),
    ],
)
def test_registered_data_is_an_input_the_command_names(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    version: str,
    mode: str,
    path: str,
    v2_mode: str,
) -> None:
    with v2_dry_run(
        hydra_sweep_runner,
        moonml_copy,
        tmp_path / "sweep",
        ["compute=cpu-cluster", "data=azureml", f"data.version={version}", f"data.mode={mode}"],
    ) as returns:
        (ret,) = returns
        job = ret.return_value["command_job"]
        (name,) = job.inputs
        assert name == "moon_dataset"
        data = job._to_job()._to_dict()["inputs"]["moon_dataset"]
        assert dict(data) == {"type": "uri_folder", "path": path, "mode": v2_mode}
        # AzureML replaces ${{inputs.NAME}} by the mount point; moonml reads AZURE_ML_INPUT_NAME.
        prefix, rest = job.command.split(" ", 1)
        assert prefix == "AZURE_ML_INPUT_moon_dataset=${{inputs.moon_dataset}}"
        assert rest.startswith("python -m moonml ") and "data=azureml" in rest.split()
        loaded = load_job(Path(ret.return_value["dry_run_dir"]) / "job.yml")
        assert _v2.job_dict(loaded) == _v2.job_dict(job)


def test_the_input_is_named_by_the_app_not_by_the_data_asset(
    hydra_sweep_runner: Any, moonml_copy: Path, tmp_path: Path
) -> None:
    """A data asset named moon-data (no variable name) arrives as input moon_dataset, where moonml looks."""
    from moonml.azure.dataset import input_name, mounted_input

    with v2_dry_run(
        hydra_sweep_runner,
        moonml_copy,
        tmp_path / "sweep",
        ["compute=cpu-cluster", "data=azureml", "data.name=moon-data"],
    ) as returns:
        (ret,) = returns
        job = ret.return_value["command_job"]
        assert job._to_job()._to_dict()["inputs"] == {
            "moon_dataset": {"type": "uri_folder", "path": "azureml:moon-data@latest", "mode": "ro_mount"}
        }
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


class Service:
    """What the doubled operations recorded; `azure` is the stand-in server's state."""

    def __init__(self, azure: StandIn) -> None:
        self.azure = azure
        self.environments: dict[tuple[str, str], Any] = {}
        self.created_environments: list[Environment] = []
        self.submitted: list[dict[str, Any]] = []
        self.plans: list[dict[str, Any]] = []
        self.clients: list[Any] = []


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Service]:
    """Job status, workspace and MLflow metrics go through the real SDKs to the stand-in server.

    Doubled: environment lookup/creation and job creation (which uploads the code to blob
    storage, a host the stand-in cannot be).
    """
    Plugins.instance()  # Hydra's plugin scan re-executes the plugin modules: let it happen first
    for key in ("MSI_ENDPOINT", "IDENTITY_ENDPOINT", "AZUREML_RUN_ID"):
        monkeypatch.delenv(key, raising=False)

    def under_deadline(what: str) -> None:
        assert threading.current_thread().name.startswith(f"azureml: {what}")

    with stand_in_azure(monkeypatch, tmp_path) as azure:
        state = Service(azure)

        def environments_get(self: Any, name: str, version: Any = None, label: Any = None) -> Any:
            under_deadline("looking up environment")
            key = (name, version or label)
            if key not in state.environments:
                raise ResourceNotFoundError(f"Environment {name}:{version} not found")
            return state.environments[key]

        def environments_create(self: Any, environment: Environment) -> Environment:
            under_deadline("creating environment")
            state.created_environments.append(environment)
            state.environments[(environment.name, environment.version)] = environment
            return environment

        def jobs_create(self: Any, job: Any, **kwargs: Any) -> Any:
            under_deadline("submitting job #")
            state.clients.append(self)
            plan = state.plans[len(state.submitted)]
            assert job.name, "the launcher names the job before sending it"
            code = Path(job.code)
            state.submitted.append(
                {
                    "job": job,
                    # The SDK uploads `code` during create_or_update: record what it would upload.
                    "files": {p.relative_to(code).as_posix() for p in code.rglob("*") if p.is_file()},
                }
            )
            # The service keeps the name the job was sent with.
            azure.statuses[job.name] = list(plan["statuses"])
            azure.metrics[job.name] = plan.get("metrics", {})
            return SimpleNamespace(name=job.name, studio_url=f"https://ml.azure.com/runs/{job.name}")

        monkeypatch.setattr(EnvironmentOperations, "get", environments_get)
        monkeypatch.setattr(EnvironmentOperations, "create_or_update", environments_create)
        monkeypatch.setattr(JobOperations, "create_or_update", jobs_create)
        yield state


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
        pass  # Hydra raises the first failed job's error after the launcher returned
    return returned


@pytest.mark.slow
def test_submit_and_wait_return_metrics_and_failures(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    service: Service,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    service.plans = [
        {"statuses": ["Queued", "Running", "Completed"], "metrics": {"cv_best_score": 0.97}},
        {"statuses": ["Starting", "Failed"]},
        {
            "statuses": ["Preparing", "Running", "Finalizing", "Completed"],
            "metrics": {"cv_best_score": 0.9, "test_accuracy": 0.88},
        },
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
    job_a, job_b, job_c = (sub["job"].name for sub in service.submitted)
    assert f"job #0 {job_a}: Queued" in out and f"job #0 {job_a}: Completed" in out
    assert f"job #1 {job_b}: Failed" in out
    assert [r.status for r in returns] == [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.COMPLETED]
    # The app's objective (hydra.launcher.return_metric), as a float for sweepers.
    assert returns[0].return_value == 0.97
    assert returns[2].return_value == 0.9
    failure = str(returns[1]._return_value)
    assert failure.startswith(f"run {job_b} (job #1) Failed: ")
    assert failure.endswith(f"logs: https://ml.azure.com/runs/{job_b}")  # where the logs are
    # The real MLClient, for the configured workspace, with the credential choose_auth picked.
    client = service.clients[0]
    assert client._operation_scope.workspace_name == "moon-ws"
    assert client._operation_scope.resource_group_name == "moon-rg"
    assert type(client._credential).__name__ == "ClientSecretCredential"
    # Status through the jobs API, metrics through azureml-mlflow's REST store (job name = run id).
    paths = [path for _, path, _ in service.azure.requests]
    assert any(p.startswith(f"{WORKSPACE_PATH}/jobs/{job_a}?") for p in paths)
    assert any("/api/2.0/mlflow/runs/get?" in p and f"run_id={job_c}" in p for p in paths)
    # Every request carries the token, but the workspace's discovery document (public, as the SDK reads it).
    signed = {auth for _, path, auth in service.azure.requests if path != "/discovery"}
    assert signed == {f"Bearer {TOKEN}"}
    # One environment, created once (its version is a content hash) for all three jobs.
    (created,) = service.created_environments
    assert created.name == "moonml-pip" and created.image == _v2.BASE_IMAGE
    for idx, sub in enumerate(service.submitted):
        job = sub["job"]
        assert isinstance(job, Command)
        assert job.environment == f"azureml:moonml-pip:{created.version}"
        assert job.compute == "gpu-cluster" and f"seed={idx + 1}" in job.command.split()
        assert "moonml/train.py" in sub["files"] and ".env" not in sub["files"]
    assert f"job #0 submitted as {job_a} on gpu-cluster: https://ml.azure.com/runs/{job_a}" in out
    assert len({job_a, job_b, job_c}) == 3


def test_submit_without_waiting_then_again_reuses_the_environment(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    service: Service,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service.plans = [{"statuses": ["Queued"]}, {"statuses": ["Queued"]}]
    (first,) = launch(hydra_sweep_runner, moonml_copy, tmp_path / "1", ["compute=cpu-cluster"], monkeypatch)
    (second,) = launch(hydra_sweep_runner, moonml_copy, tmp_path / "2", ["compute=cpu-cluster"], monkeypatch)
    assert first.status == second.status == JobStatus.COMPLETED
    job_a, job_b = (sub["job"].name for sub in service.submitted)
    assert first.return_value == {"run_id": job_a, "url": f"https://ml.azure.com/runs/{job_a}"}
    assert second.return_value == {"run_id": job_b, "url": f"https://ml.azure.com/runs/{job_b}"}
    assert not [p for _, p, _ in service.azure.requests if "/jobs/" in p]  # wait=false: no polling
    # The unchanged definition keeps its name and version: created once, then found.
    assert len(service.created_environments) == 1
    assert {s["job"].environment for s in service.submitted} == {
        f"azureml:moonml-pip:{service.created_environments[0].version}"
    }


def test_a_stalled_submission_names_the_job_that_may_exist(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    service: Service,
    monkeypatch: pytest.MonkeyPatch,
    deadlines: dict[str, float],
) -> None:
    """The upload inside create_or_update never ends: its deadline grows with the snapshot, and
    the message names the job (named before sending) and its studio page."""
    release = threading.Event()
    sent: list[tuple[str, int]] = []

    def stall(self: Any, job: Any, **kwargs: Any) -> None:
        code = Path(job.code)
        sent.append((job.name, sum(p.stat().st_size for p in code.rglob("*") if p.is_file())))
        release.wait(60)  # a transfer that does not progress

    monkeypatch.setattr(JobOperations, "create_or_update", stall)
    sweep = moonml_sweep(
        hydra_sweep_runner,
        moonml_copy,
        tmp_path / "sweep",
        [
            "hydra.launcher.sdk=v2",
            *WORKSPACE,
            "azureml.timeout_s=0.5",
            "hydra.launcher.upload_mb_per_s=2",
            "compute=cpu-cluster",
        ],
    )
    try:
        with pytest.raises(LauncherError) as caught, sweep:
            pass
    finally:
        release.set()
    [(name, size)] = sent
    assert deadlines["submitting job #0"] == pytest.approx(0.5 + size / (1024 * 1024) / 2)
    message = str(caught.value)
    assert "\n" not in message and "no answer within" in message
    url = f"https://ml.azure.com/runs/{name}?wsid=/subscriptions/{WORKSPACE[0].split('=')[1]}"
    assert f"Job {name} of job #0 may exist anyway: look at {url}" in message
    assert "/resourcegroups/moon-rg/workspaces/moon-ws before submitting again" in message


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


@pytest.mark.slow
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
