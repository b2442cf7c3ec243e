"""A process moonml depends on dies (SIGKILL, as the out-of-memory killer sends): the run ends FAILED,
in one line naming what died, promptly, and nothing is left running.

Each test runs `python -m moonml` in a session of its own, kills one of its processes for real,
and kills whatever of the session is still alive at the end.
"""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from tests.helpers import clean_env, command_line, data_args, parents, search_workers, session_members

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")]

# A search that lasts many seconds, in two forkserver workers.
SLOW_GRID = ["model.grid.n_estimators=[300,400,500]", "model.grid.max_depth=[null]", "model.n_jobs=2"]


@pytest.fixture
def moonml_session(tmp_path: Path) -> Iterator[subprocess.Popen]:
    """`python -m moonml` on SLOW_GRID in tmp_path, in its own session; nothing of it survives."""
    process = subprocess.Popen(
        [sys.executable, "-m", "moonml", *data_args(), *SLOW_GRID],
        cwd=tmp_path,
        env=clean_env(),
        stdout=open(tmp_path / "out.txt", "w"),  # noqa: SIM115 - closed with the process
        stderr=open(tmp_path / "err.txt", "w"),  # noqa: SIM115
        start_new_session=True,
    )
    try:
        yield process
    finally:
        for pid in session_members(process.pid):
            os.kill(pid, signal.SIGKILL)
        process.wait()


def wait_for(condition, process: subprocess.Popen, what: str, deadline_s: float = 180):
    deadline = time.monotonic() + deadline_s
    while not (found := condition()):
        assert process.poll() is None, f"moonml ended before {what}"
        assert time.monotonic() < deadline, f"no {what} within {deadline_s} s"
        time.sleep(0.2)
    return found


def run_logging(workdir: Path) -> bool:
    """Whether moonml's run has params logged (its start has returned to moonml), read without
    creating or migrating the store."""
    try:
        with sqlite3.connect(f"file:{workdir / 'mlflow.db'}?mode=ro", uri=True) as store:
            return bool(store.execute("SELECT key FROM params").fetchall())
    except sqlite3.Error:
        return False  # not there yet, or its tables are still being made


def the_run(workdir: Path):
    client = MlflowClient(tracking_uri=f"sqlite:///{workdir / 'mlflow.db'}")
    (run,) = client.search_runs([client.get_experiment_by_name("moonml").experiment_id])
    return run


def error_lines(workdir: Path) -> list[str]:
    return [line for line in (workdir / "err.txt").read_text().splitlines() if line.strip()]


def test_a_search_worker_killed_fails_the_run_within_a_minute(
    moonml_session: subprocess.Popen, tmp_path: Path
) -> None:
    """It hung forever: the pool replaced the worker, and waited for the task it had lost."""
    workers = wait_for(lambda: search_workers(moonml_session.pid), moonml_session, "search workers")
    time.sleep(1)  # a second into the search
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    returncode = moonml_session.wait(timeout=120)
    took = time.monotonic() - killed_at
    assert returncode == 1
    assert took < 60, f"{took:.0f} s"
    assert error_lines(tmp_path) == [
        f"error: grid search failed: its worker process {victim} was killed (SIGKILL), not by the "
        "out-of-memory killer; run again"
    ]
    assert the_run(tmp_path).info.status == "FAILED"
    assert session_members(moonml_session.pid) == {}


def mlflow_helper(root: int) -> int | None:
    """The MLflow helper: a child of moonml forked from it (the same command line)."""
    children = [pid for pid, parent in parents().items() if parent == root]
    same = [pid for pid in children if command_line(pid) == command_line(root)]
    return same[0] if len(same) == 1 else None


def test_the_mlflow_helper_killed_ends_the_run_failed(
    moonml_session: subprocess.Popen, tmp_path: Path
) -> None:
    """It left the run RUNNING, with a traceback: "A process in the process pool was terminated"."""
    wait_for(lambda: run_logging(tmp_path), moonml_session, "logged params")
    helper = wait_for(lambda: mlflow_helper(moonml_session.pid), moonml_session, "the MLflow helper")
    os.kill(helper, signal.SIGKILL)
    assert moonml_session.wait(timeout=240) == 1
    run = the_run(tmp_path)
    [line] = error_lines(tmp_path)
    assert re.fullmatch(
        rf"error: MLflow tracking at sqlite:///mlflow\.db failed: moonml's MLflow logging process "
        rf"{helper} was killed \(SIGKILL\), not by the out-of-memory killer; run {run.info.run_id} "
        r"was ended FAILED by the main process",
        line,
    ), line
    assert run.info.status == "FAILED"
    assert session_members(moonml_session.pid) == {}


def kill_self(item: int) -> int:
    if item == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.2)
    return item


@pytest.mark.parametrize("pool", ["loky", "forkserver"])
def test_a_lost_worker_of_either_pool_fails_the_tasks(pool: str, request: pytest.FixtureRequest) -> None:
    from moonml.errors import MoonmlError
    from moonml.search.workers import run_tasks

    if pool == "forkserver":
        request.getfixturevalue("forkserver_workers")
    with pytest.raises(MoonmlError) as raised:
        list(run_tasks(kill_self, (), [(i,) for i in range(8)], n_jobs=2))
    worker = r"its worker process \d+" if pool == "forkserver" else "one of its worker processes"
    assert re.fullmatch(
        rf"grid search failed: {worker} was killed \(SIGKILL\), not by the out-of-memory killer; run again",
        str(raised.value),
    ), str(raised.value)
