"""Submission and waiting, with a test double only at the Workspace / Experiment / Run boundary.

Everything on this side of the SDK is real: the composed jobs, the ScriptRunConfig and
Environment objects, the snapshot, call_with_deadline, the status loop.
"""

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import pytest
from azureml.core import Environment, ScriptRunConfig
from azureml_launcher import launch as _core
from azureml_launcher import workspace
from azureml_launcher.errors import LauncherError
from azureml_launcher.v1 import submit as _submit
from hydra.core.plugins import Plugins
from hydra.core.utils import JobStatus

from tests.helpers import moonml_sweep


class FakeWorkspace:
    subscription_id = "s"
    resource_group = "rg"
    name = "ws"


def url_of(run_id: str) -> str:
    return f"https://ml.azure.com/runs/{run_id}?wsid=/subscriptions/s/resourcegroups/rg/workspaces/ws"


class FakeRun:
    def __init__(self, run_id: str, statuses: list[str], log: list[tuple[str, str]], spec: dict) -> None:
        self.id = run_id
        self._statuses = list(statuses)
        self._log = log
        self._spec = spec
        self.display_name: str | None = None

    def get_status(self) -> str:
        status = self._statuses.pop(0) if len(self._statuses) > 1 else self._statuses[0]
        self._log.append((self.id, status))
        return status

    def get_metrics(self) -> dict[str, float]:
        return self._spec.get("metrics", {})

    def get_details(self) -> dict[str, Any]:
        return {"status": "Failed", "error": {"error": {"message": self._spec["error"]}}}


class FakeExperiment:
    """Experiment(workspace=, name=) -> .submit(config, tags=) -> Run, recording each call."""

    submitted: ClassVar[list[dict[str, Any]]] = []
    plans: ClassVar[list[dict[str, Any]]] = []
    status_log: ClassVar[list[tuple[str, str]]] = []

    def __init__(self, workspace: Any, name: str) -> None:
        assert isinstance(workspace, FakeWorkspace)
        # Experiment() gets or creates the experiment in the cloud: it must run under a deadline.
        assert threading.current_thread().name.startswith("azureml: opening experiment")
        self.name = name

    def submit(self, config: Any, tags: dict[str, str], run_id: str) -> FakeRun:
        index = len(FakeExperiment.submitted)
        source = Path(config.source_directory)
        FakeExperiment.submitted.append(
            {
                "experiment": self.name,
                "config": config,
                "tags": tags,
                # The SDK uploads the directory during submit(): record what it would upload.
                "files": {p.relative_to(source).as_posix() for p in source.rglob("*") if p.is_file()},
                "thread": threading.current_thread().name,
            }
        )
        plan = FakeExperiment.plans[index]
        run = FakeRun(run_id, plan["statuses"], FakeExperiment.status_log, plan)
        FakeExperiment.submitted[-1]["run"] = run
        return run


@pytest.fixture
def sdk(monkeypatch: pytest.MonkeyPatch) -> type[FakeExperiment]:
    # Hydra's plugin scan re-executes the modules under hydra_plugins: let it happen first, so
    # that it does not undo the patches below.
    Plugins.instance()
    FakeExperiment.submitted = []
    FakeExperiment.plans = []
    FakeExperiment.status_log = []
    connected: list[dict[str, Any]] = []

    def connect(settings: Any) -> FakeWorkspace:
        connected.append(dict(settings))
        return FakeWorkspace()

    monkeypatch.setattr(workspace, "connect", connect)
    monkeypatch.setattr(_submit, "Experiment", FakeExperiment)
    FakeExperiment.connected = connected  # type: ignore[attr-defined]
    return FakeExperiment


@contextmanager
def launched(
    runner: Any, project: Path, tmp_path: Path, overrides: list[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[Any]]:
    """Run a moonml sweep through the launcher; yield the JobReturns the launcher produced."""
    returned: list[Any] = []
    real_launch = _core.launch

    def spy(*args: Any) -> Any:  # records the launcher's real results (a failed job raises later)
        results = real_launch(*args)
        returned.extend(results)
        return results

    monkeypatch.setattr(_core, "launch", spy)
    sweep = moonml_sweep(
        runner, project, tmp_path / "sweep", ["hydra.launcher.poll_interval_s=0.01", *overrides]
    )
    try:
        with sweep:
            pass
    finally:
        yield returned


def test_submit_without_waiting(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    sdk: type[FakeExperiment],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sdk.plans = [{"statuses": ["Queued"]}] * 3
    with launched(
        hydra_sweep_runner,
        moonml_copy,
        tmp_path,
        ["compute=cpu-cluster", "seed=1,2,3", "azureml.timeout_s=5"],
        monkeypatch,
    ) as returns:
        pass
    assert len(sdk.submitted) == 3
    assert sdk.connected[0]["timeout_s"] == 5  # the app's azureml settings reach connect()
    for idx, (sub, ret) in enumerate(zip(sdk.submitted, returns, strict=True)):
        config = sub["config"]
        assert isinstance(config, ScriptRunConfig)
        assert config.run_config.target == "cpu-cluster"
        assert f"seed={idx + 1}" in config.command.split()
        assert isinstance(config.run_config.environment, Environment)
        assert config.run_config.environment.name == "moonml-pip"
        assert sub["experiment"] == "moonml"
        assert sub["tags"]["app"] == "moonml" and sub["tags"]["app_version"]
        assert f"seed={idx + 1}" in sub["tags"]["hydra_overrides"]
        assert sub["run"].display_name == f"moonml #{idx} {sub['tags']['hydra_overrides']}"
        assert "moonml/train.py" in sub["files"] and ".env" not in sub["files"]
        assert "conf/nested/config.json" not in sub["files"]
        assert not {".git-credentials", "passwd_link"} & sub["files"]  # same rules as the dry run
        # Each SDK call ran under call_with_deadline, in its own named thread.
        assert sub["thread"].startswith("azureml: submitting job #")
        assert ret.status == JobStatus.COMPLETED
        assert ret.return_value == {
            "run_id": sub["run"].id,
            "url": url_of(sub["run"].id),
        }
    out = capsys.readouterr().out
    for idx in range(3):
        run_id = sdk.submitted[idx]["run"].id
        # The id is chosen before submitting, as the SDK does: <experiment>_<time>_<8 hex>.
        assert re.fullmatch(r"moonml_\d+_[0-9a-f]{8}", run_id)
        assert f"job #{idx} submitted as {run_id} on cpu-cluster: {url_of(run_id)}" in out
    assert sdk.status_log == []  # wait=false: no polling


def test_wait_concurrently_map_failures_return_metrics(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    sdk: type[FakeExperiment],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sdk.plans = [
        {
            "statuses": ["Queued", "Running", "Running", "Completed"],
            "metrics": {"accuracy": 0.97, "cv_best_score": [0.9, 0.96]},
        },
        {"statuses": ["Running", "Failed"], "error": "ModuleNotFoundError: No module named 'x'"},
        # Completed, but without moonml's objective (hydra.launcher.return_metric): a failed trial.
        {"statuses": ["Queued"] * 5 + ["Running", "Completed"], "metrics": {"accuracy": 0.95}},
    ]
    with (
        pytest.raises(LauncherError, match="job #1"),
        launched(
            hydra_sweep_runner,
            moonml_copy,
            tmp_path,
            ["compute=gpu-cluster", "seed=1,2,3", "hydra.launcher.wait=true"],
            monkeypatch,
        ) as returns,
    ):
        pass
    run_0, run_1, run_2 = (sub["run"].id for sub in sdk.submitted)
    assert [r.status for r in returns] == [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.FAILED]
    assert returns[0].return_value == 0.96  # the objective's float, for sweepers
    missing = str(returns[2]._return_value)
    assert "no numeric metric 'cv_best_score' (hydra.launcher.return_metric)" in missing
    assert "metrics it logged: accuracy" in missing
    failure = str(returns[1]._return_value)
    assert "Failed" in failure and "No module named 'x'" in failure
    assert url_of(run_1) in failure  # where the logs are

    log = sdk.status_log
    # Concurrent: one loop polls every run in turn, so the failure is seen on the 2nd round,
    # long before run_2 ends, and run_2 is still polled to its end after it.
    assert log[:3] == [(run_0, "Queued"), (run_1, "Running"), (run_2, "Queued")]
    failed_at = log.index((run_1, "Failed"))
    assert failed_at < 6
    assert (run_2, "Completed") in log[failed_at:]
    assert sum(1 for run_id, _ in log if run_id == run_1) == 2  # not polled after it ended
    out = capsys.readouterr().out
    # Status changes printed once each, not every poll.
    assert out.count(f"job #2 {run_2}: Queued") == 1
    for line in [
        f"job #0 {run_0}: Running",
        f"job #0 {run_0}: Completed",
        f"job #1 {run_1}: Failed",
        f"job #2 {run_2}: Completed",
    ]:
        assert line in out


def test_registered_environment_fetched_at_submit(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    sdk: type[FakeExperiment],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fetched: list[tuple[Any, str, Any]] = []

    def get(workspace: Any, name: str, version: Any = None) -> Environment:  # workspace boundary
        fetched.append((workspace, name, version))
        return Environment(name=name)

    monkeypatch.setattr(Environment, "get", staticmethod(get))
    sdk.plans = [{"statuses": ["Queued"]}]
    with launched(
        hydra_sweep_runner,
        moonml_copy,
        tmp_path,
        ["compute=cpu-cluster", "environment=registered", "environment.name=team-env"],
        monkeypatch,
    ) as returns:
        pass
    assert len(returns) == 1 and returns[0].status == JobStatus.COMPLETED
    assert [(type(w), n, v) for w, n, v in fetched] == [(FakeWorkspace, "team-env", None)]
    assert sdk.submitted[0]["config"].run_config.environment.name == "team-env"


def test_unreachable_workspace_is_one_clear_message(
    hydra_sweep_runner: Any, moonml_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from azureml_launcher.errors import LauncherError

    def connect(settings: Any) -> Any:
        raise LauncherError("connecting to AzureML workspace 'w': no answer within 5 s")

    Plugins.instance()
    monkeypatch.setattr(workspace, "connect", connect)
    with (
        pytest.raises(LauncherError, match="no answer within 5 s"),
        launched(hydra_sweep_runner, moonml_copy, tmp_path, ["compute=cpu-cluster"], monkeypatch),
    ):
        pass


def test_registered_dataset_is_submitted_as_a_named_input(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    sdk: type[FakeExperiment],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sdk.plans = [{"statuses": ["Queued"]}]
    overrides = ["compute=cpu-cluster", "data=azureml", "data.name=moons_v2", "data.version=2"]
    with launched(hydra_sweep_runner, moonml_copy, tmp_path, overrides, monkeypatch):
        pass
    [data] = sdk.submitted[0]["config"].run_config.data.values()
    reference = data.data_location.dataset
    assert (reference.name, reference.version, data.mechanism) == ("moons_v2", "2", "mount")
    assert data.environment_variable_name == "moon_dataset"  # the input moonml reads


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"dataset": "d", "mode": "direct"}, r"inputs.x.mode='direct': choose one of mount, download"),
        ({"dataset": "d", "version": "v1"}, r"inputs.x.version='v1' is not a positive whole number"),
        ({"version": 1}, r"inputs.x needs dataset: NAME"),
    ],
)
def test_bad_input_settings_are_named(entry: dict[str, Any], message: str) -> None:
    from azureml_launcher.errors import LauncherError
    from azureml_launcher.inputs import specs_from_settings

    with pytest.raises(LauncherError, match=message):
        specs_from_settings({"x": entry})


def service_refusal(status: int, code: str, message: str) -> Exception:
    """The exception azureml-core raises when the execution service refuses a run (its own code)."""
    import json

    import requests
    from azureml._execution._commands import _raise_request_error

    response = requests.Response()
    response.status_code = status
    response.url = "https://westeurope.api.azureml.ms/execution/v1.0/subscriptions/s/startrun"
    response._content = json.dumps({"error": {"code": code, "message": message}}).encode()
    try:
        _raise_request_error(response)
    except Exception as err:  # ExperimentExecutionException, its text a multi-line JSON
        return err
    raise AssertionError("the SDK accepted a refusal")


def test_a_refused_submission_is_one_line_saying_what_to_do(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    sdk: type[FakeExperiment],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from azureml_launcher.errors import LauncherError

    refusal = service_refusal(400, "UserError", "Compute target cpu-cluster is being resized.\nRetry later.")
    assert "\n" in str(refusal)

    def refuse(self: FakeExperiment, config: Any, tags: dict[str, str], run_id: str) -> None:
        raise refusal

    monkeypatch.setattr(FakeExperiment, "submit", refuse)
    with (
        pytest.raises(LauncherError) as caught,
        launched(hydra_sweep_runner, moonml_copy, tmp_path, ["compute=cpu-cluster"], monkeypatch),
    ):
        pass
    message = str(caught.value)
    assert "\n" not in message
    assert re.match(r"submitting job #0 \([\d.]+ MB snapshot\) to experiment 'moonml' failed \(", message)
    assert "HTTP 400: UserError Compute target cpu-cluster is being resized. Retry later." in message
    assert message.endswith(
        "Fix what the service names and submit again; hydra.launcher.dry_run=true writes what would be sent"
    )


def test_a_missing_registered_environment_is_one_line_saying_what_to_do(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    sdk: type[FakeExperiment],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from azureml_launcher.errors import LauncherError

    def get(workspace: Any, name: str, version: Any = None) -> Environment:
        # What azureml.core's EnvironmentClient raises on a 404 (_get_environment_definition).
        raise Exception(
            "Error retrieving the environment definition. Code: 404\n: "
            '{"error": {"code": "UserError", "message": "Environment team-env:7 not found"}}'
        )

    monkeypatch.setattr(Environment, "get", staticmethod(get))
    overrides = [
        "compute=cpu-cluster",
        "environment=registered",
        "environment.name=team-env",
        "environment.version=7",
    ]
    with (
        pytest.raises(LauncherError) as caught,
        launched(hydra_sweep_runner, moonml_copy, tmp_path, overrides, monkeypatch),
    ):
        pass
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        "loading registered environment team-env:7: no environment team-env:7 is registered in the "
        "workspace; check environment.name and environment.version"
    )
    assert sdk.submitted == []


def test_upload_deadline_grows_with_the_snapshot() -> None:
    assert workspace.upload_deadline(60, 300 * 1024 * 1024, 0.5) == 660
    assert workspace.upload_deadline(60, 0, 0.5) == 60
    with pytest.raises(LauncherError, match="upload_mb_per_s=0 must be > 0"):
        workspace.upload_deadline(60, 1, 0)


def test_a_stalled_submission_names_the_run_that_may_exist(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    sdk: type[FakeExperiment],
    monkeypatch: pytest.MonkeyPatch,
    deadlines: dict[str, float],
) -> None:
    """The upload (inside Experiment.submit) never ends: its own deadline fires, naming the run."""
    release = threading.Event()
    shipped: list[tuple[str, int]] = []

    def stall(self: FakeExperiment, config: Any, tags: dict[str, str], run_id: str) -> None:
        source = Path(config.source_directory)
        shipped.append((run_id, sum(p.stat().st_size for p in source.rglob("*") if p.is_file())))
        release.wait(60)  # a transfer that does not progress

    monkeypatch.setattr(FakeExperiment, "submit", stall)
    overrides = ["compute=cpu-cluster", "azureml.timeout_s=0.5", "hydra.launcher.upload_mb_per_s=2"]
    try:
        with (
            pytest.raises(LauncherError) as caught,
            launched(hydra_sweep_runner, moonml_copy, tmp_path, overrides, monkeypatch),
        ):
            pass
    finally:
        release.set()
    [(run_id, size)] = shipped
    assert deadlines["submitting job #0"] == pytest.approx(0.5 + size / (1024 * 1024) / 2)
    assert deadlines["opening experiment 'moonml'"] == 0.5
    message = str(caught.value)
    assert "\n" not in message and "no answer within" in message
    assert (
        f"Run {run_id} of job #0 may exist anyway: look at {url_of(run_id)} before submitting again"
        in message
    )
