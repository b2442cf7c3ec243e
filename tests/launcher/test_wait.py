"""Waiting for submitted runs: polls that fail, runs that cannot be read, Ctrl-C.

The SDK v2 client is the real MLClient talking to the stand-in server (tests/stand_in_azure.py):
job status, the run history's error details and the cancel request all go over HTTP to it.
Ctrl-C is a real SIGINT to a real `python -m moonml` process waiting for its runs.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest
from azure.ai.ml.operations import JobOperations
from azureml.core import Experiment, Run
from azureml_launcher import workspace as _workspace
from azureml_launcher.errors import LauncherError
from hydra.core.plugins import Plugins
from hydra.core.utils import JobStatus
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from tests.helpers import REPO
from tests.launcher.test_launcher_v2 import WORKSPACE, launch, service  # noqa: F401
from tests.launcher.test_submit import launched
from tests.stand_in_azure import HISTORY, WORKSPACE_PATH, StandIn, stand_in_azure, v1_workspace

HERE = Path(__file__).resolve().parent


def test_v2_failed_polls_are_retried_unreadable_runs_fail_and_the_others_are_awaited(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    service: StandIn,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    azure = service
    service.job_plans = [
        (["Running", "Completed"], {"cv_best_score": 0.9}),
        (["Running", "Failed"], {}),
        (["Queued"], {}),  # deleted as soon as it is submitted
    ]
    create = JobOperations.create_or_update  # the real one, which PUTs the job to the stand-in

    def create_and_plan(self: Any, job: Any, **kwargs: Any) -> Any:
        created = create(self, job, **kwargs)
        index = len(service.jobs) - 1
        if index == 0:
            azure.unavailable[job.name] = 30  # more 503s than azure-core's own retries
        elif index == 1:
            azure.errors[job.name] = "ModuleNotFoundError: No module named 'x'"
        else:
            del azure.statuses[job.name]
        return created

    monkeypatch.setattr(JobOperations, "create_or_update", create_and_plan)
    returns = launch(
        hydra_sweep_runner,
        moonml_copy,
        tmp_path,
        ["compute=cpu-cluster", "seed=1,2,3", "hydra.launcher.wait=true", "hydra.launcher.wait_timeout_s=60"],
        monkeypatch,
    )
    out = capsys.readouterr().out
    slow, failed, gone = list(service.jobs)
    assert [r.status for r in returns] == [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.FAILED]
    # The unavailable service: tried again, and the run still awaited to its end.
    assert returns[0].return_value == 0.9
    # Each failure said once, with when it is tried again (an SDK retrying past the deadline too).
    retries = [line for line in out.splitlines() if line.startswith(f"[azureml] job #0 {slow}: status of")]
    assert any("failed (HttpResponseError: (ServiceUnavailable) try again)" in r for r in retries)
    again = "; trying again every 0.01 s until hydra.launcher.wait_timeout_s=60"
    assert all(r.endswith(again) for r in retries)
    assert f"job #0 {slow}: read again" in out
    # A failed job carries the service's error message, from the run history's details.
    failure = str(failed_value := returns[1]._return_value)
    assert failure.startswith(f"run {failed} (job #1) Failed: ModuleNotFoundError: No module named 'x'")
    assert isinstance(failed_value, Exception)
    assert any(f"/history/v1.0{WORKSPACE_PATH}/runs/{failed}/details" in p for _, p, _ in azure.requests)
    # A job the workspace no longer has: a failed job saying so, not "the workspace was not found".
    unreadable = str(returns[2]._return_value)
    assert unreadable.startswith(f"run {gone} (job #2) cannot be read: status of run {gone}: ")
    assert f"run {gone} was not found in the workspace (deleted?)" in unreadable
    assert "the workspace was not found" not in unreadable
    assert f"job #2 {gone}: cannot be read" in out


class RecordSweepEnd(Callback):
    """A Hydra callback noting that the sweep's end ran (moonml registers the best model there)."""

    ended: ClassVar[list[str]] = []

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        RecordSweepEnd.ended.append(str(config.hydra.sweep.dir))


def test_v2_an_unreadable_run_is_a_failed_trial_and_the_sweep_still_ends(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    service: StandIn,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Optuna tolerates failed trials (max_failure_rate): one run the workspace no longer has
    fails its trial only; the other is awaited, and the sweep's end runs."""
    service.job_plans = [(["Running", "Completed"], {"cv_best_score": 0.9})] * 2
    create = JobOperations.create_or_update  # the real one, which PUTs the job to the stand-in

    def create_then_delete_the_first(self: Any, job: Any, **kwargs: Any) -> Any:
        created = create(self, job, **kwargs)
        if len(service.jobs) == 1:
            del service.statuses[job.name]
        return created

    monkeypatch.setattr(JobOperations, "create_or_update", create_then_delete_the_first)
    RecordSweepEnd.ended = []
    optuna = [
        "hydra/sweeper=optuna",
        "hydra.sweeper.n_trials=2",
        "hydra.sweeper.n_jobs=2",
        "hydra.sweeper.direction=maximize",
        "hydra.sweeper.max_failure_rate=0.5",
        "model.params.min_samples_leaf=choice(1,8)",
        f"+hydra.callbacks.record._target_={__name__}.RecordSweepEnd",
    ]
    returns = launch(
        hydra_sweep_runner,
        moonml_copy,
        tmp_path,
        ["compute=cpu-cluster", "hydra.launcher.wait=true", "hydra.launcher.wait_timeout_s=60", *optuna],
        monkeypatch,
    )
    assert [r.status for r in returns] == [JobStatus.FAILED, JobStatus.COMPLETED]
    assert "was not found in the workspace (deleted?)" in str(returns[0]._return_value)
    assert returns[1].return_value == 0.9
    assert RecordSweepEnd.ended == [str(tmp_path / "sweep")]


def test_v2_a_run_unreadable_until_the_timeout_is_a_failed_job_that_keeps_running(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    service: StandIn,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service.job_plans = [(["Running"], {})]
    create = JobOperations.create_or_update  # the real one, which PUTs the job to the stand-in

    def create_unavailable(self: Any, job: Any, **kwargs: Any) -> Any:
        service.unavailable[job.name] = 10**6
        return create(self, job, **kwargs)

    monkeypatch.setattr(JobOperations, "create_or_update", create_unavailable)
    overrides = ["compute=cpu-cluster", "hydra.launcher.wait=true", "hydra.launcher.wait_timeout_s=2"]
    (ret,) = launch(hydra_sweep_runner, moonml_copy, tmp_path, overrides, monkeypatch)
    (name,) = service.jobs
    assert ret.status == JobStatus.FAILED
    message = str(ret._return_value)
    assert message.startswith(f"run {name} (job #0) could still not be read (status of run {name}")
    assert message.endswith(
        f"after hydra.launcher.wait_timeout_s=2; it keeps running: https://ml.azure.com/runs/{name}"
    )


def start_waiting(sdk: str, project: Path, tmp_path: Path, extra: list[str]) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "launchers")])}
    env.pop("HYDRA_FULL_ERROR", None)
    argv = [
        sys.executable,
        str(HERE / "interrupted_launch.py"),
        sdk,
        "-m",
        "hydra/launcher=azureml",
        f"hydra.launcher.sdk={sdk}",
        "hydra.launcher.command='python -m moonml'",
        "hydra.launcher.wait=true",
        "hydra.launcher.poll_interval_s=0.2",
        f"hydra.sweep.dir={tmp_path / 'sweep'}",
        "tracking=none",
        "compute=cpu-cluster",
        "seed=1,2",
        *WORKSPACE,
        *extra,
    ]
    return subprocess.Popen(
        argv, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def interrupt_once_polled(process: subprocess.Popen[str], azure: StandIn, jobs: int) -> tuple[str, str]:
    """SIGINT once every job has been polled a few times (the process is waiting); its output."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        reads = [p for m, p, _ in azure.requests if m == "GET"]
        names = list(azure.statuses)
        if len(names) == jobs and all(sum(n in p for p in reads) >= 3 for n in names):
            break
        time.sleep(0.1)
    assert process.poll() is None, process.communicate()
    process.send_signal(signal.SIGINT)
    return process.communicate(timeout=60)


@pytest.mark.e2e
@pytest.mark.parametrize("sdk", ["v1", "v2"])
def test_ctrl_c_cancels_the_unfinished_runs_and_exits_130(
    sdk: str, moonml_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with stand_in_azure(monkeypatch, tmp_path) as azure:
        azure.new_jobs = ["Queued", "Running"]
        process = start_waiting(sdk, moonml_copy, tmp_path, [])
        out, err = interrupt_once_polled(process, azure, jobs=2)
    assert process.returncode == 130, err
    # The cancel requests reached the service (v1: each run's cancelUri; v2: jobs/NAME/cancel).
    assert sorted(azure.cancelled) == sorted(azure.statuses)
    assert "interrupted: cancelling the 2 run(s) that have not finished" in out
    for idx, name in enumerate(sorted(azure.statuses, key=lambda n: out.index(f"submitted as {n}"))):
        assert f"cancelled job #{idx} {name}" in out
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


@pytest.mark.e2e
def test_v2_ctrl_c_without_cancelling_names_the_runs_left_running(
    moonml_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with stand_in_azure(monkeypatch, tmp_path) as azure:
        azure.new_jobs = ["Running"]
        process = start_waiting("v2", moonml_copy, tmp_path, ["hydra.launcher.cancel_on_interrupt=false"])
        out, err = interrupt_once_polled(process, azure, jobs=2)
    assert process.returncode == 130, err
    assert azure.cancelled == []
    assert "2 run(s) keep running on AzureML, costing money until they end " in out
    assert "(hydra.launcher.cancel_on_interrupt=false)" in out
    for name in azure.statuses:
        assert f"{name}: https://ml.azure.com/runs/{name}" in out
    assert "Traceback" not in err


@dataclass
class V1Service:
    azure: StandIn
    plans: list[list[str]] = field(default_factory=list)  # statuses of each submitted run, in order
    errors: list[str] = field(default_factory=list)  # the service's error message of each run
    submitted: list[str] = field(default_factory=list)  # run ids


@pytest.fixture
def v1_service(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[V1Service]:
    """SDK v1 runs are real azureml.core Runs reading the stand-in's run history.

    Doubled: finding the workspace through ARM, and Experiment.submit (uploads the snapshot): it
    gives the stand-in the run's plan and returns the real Run of that id.
    """
    Plugins.instance()  # its scan re-executes the plugin's modules: patch them after it
    with stand_in_azure(monkeypatch, tmp_path) as azure:
        state = V1Service(azure)

        def submit(self: Experiment, config: Any, tags: Any = None, run_id: Any = None, **kw: Any) -> Run:
            index = len(state.submitted)
            state.submitted.append(run_id)
            azure.statuses[run_id] = list(state.plans[index])
            azure.errors[run_id] = state.errors[index]
            return Run(self, run_id)

        monkeypatch.setattr(_workspace, "connect", lambda settings: v1_workspace())
        monkeypatch.setattr(Experiment, "submit", submit)
        yield state


@pytest.mark.parametrize("verbose", [False, True])
def test_v1_failed_and_unreadable_runs_are_failed_jobs_with_only_moonmls_lines(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    v1_service: V1Service,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    verbose: bool,
) -> None:
    azure = v1_service.azure
    v1_service.plans = [["Running", "Failed"], ["Running"], ["Running", "Canceled"]]
    v1_service.errors = ["ModuleNotFoundError: No module named 'x'", "", ""]
    # The launcher names its runs itself: the SDK's private helper is not needed.
    monkeypatch.delattr("azureml._execution._commands._generate_run_id_from_experiment_name")
    real_status = Run.get_status

    def delete_the_second_once_submitted(self: Run) -> str:
        if self.id == v1_service.submitted[1]:
            azure.statuses.pop(self.id, None)  # deleted from the workspace while awaited
        return real_status(self)

    monkeypatch.setattr(Run, "get_status", delete_the_second_once_submitted)
    overrides = ["compute=cpu-cluster", "seed=1,2,3", "hydra.launcher.wait=true"]
    with (
        pytest.raises(LauncherError, match="job #0"),  # Hydra raises the first failed job's error
        launched(
            hydra_sweep_runner,
            moonml_copy,
            tmp_path,
            [*overrides, "hydra.launcher.wait_timeout_s=60", f"hydra.verbose={str(verbose).lower()}"],
            monkeypatch,
        ) as returns,
    ):
        pass
    out, err = capfd.readouterr()
    failed, gone, cancelled = v1_service.submitted
    assert [r.status for r in returns] == [JobStatus.FAILED] * 3
    # The service's error message, read from the run's details.
    assert str(returns[0]._return_value).startswith(
        f"run {failed} (job #0) Failed: ModuleNotFoundError: No module named 'x'; logs: https://ml.azure.com/"
    )
    assert any(f"{HISTORY}experiments/moonml/runs/{failed}/details" in p for _, p, _ in azure.requests)
    unreadable = str(returns[1]._return_value)
    assert unreadable.startswith(f"run {gone} (job #1) cannot be read: status of run {gone}: ")
    assert f"run {gone} was not found in the workspace (deleted?)" in unreadable
    assert "the workspace was not found" not in unreadable
    assert str(returns[2]._return_value).startswith(f"run {cancelled} (job #2) Canceled: no error message")
    # azureml-core logs "user_name does not exist." reading a run without a submitter: only
    # with hydra.verbose does it reach the console.
    assert ("user_name does not exist." in out + err) == verbose


@pytest.mark.e2e
def test_v2_ctrl_c_names_a_run_whose_cancel_was_refused(
    moonml_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with stand_in_azure(monkeypatch, tmp_path) as azure:
        azure.new_jobs = ["Running"]
        azure.cancels_to_refuse = 1
        process = start_waiting("v2", moonml_copy, tmp_path, [])
        out, err = interrupt_once_polled(process, azure, jobs=2)
    assert process.returncode == 130, err
    first, second = sorted(azure.statuses, key=lambda n: out.index(f"submitted as {n}"))
    assert azure.cancelled == [second]
    refused = next(line for line in out.splitlines() if f"NOT cancelled job #0 {first}" in line)
    assert f"{first} cannot be canceled now" in refused
    assert refused.endswith(f"it keeps running, and costing money: https://ml.azure.com/runs/{first}")
    assert f"cancelled job #1 {second}" in out
