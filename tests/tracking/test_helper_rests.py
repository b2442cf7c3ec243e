"""The MLflow helper process rests during a search on large data: it exits once idle, and a new
one takes the run over after the search. The run records everything, and ends KILLED on Ctrl-C."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from moonml.tracking.helper import Helper
from tests.helpers import (
    SLOW_GRID,
    command_line,
    descendants,
    moonml_process,
    parents,
    store_client,
    wait_for_line,
)

_taken_over: list[str] = []


def _no_setup() -> None:
    pass


def _take_over(run_id: str) -> None:
    _taken_over.append(run_id)


def _state() -> tuple[int, list[str]]:
    return os.getpid(), list(_taken_over)


def _fail() -> None:
    raise ValueError("refused")


@pytest.fixture
def helper():
    helper = Helper("fork", _no_setup, ())
    yield helper
    helper.shutdown()


def _rest_then_call(helper: Helper, calls: list) -> tuple[int, list[str]]:
    helper.rest(calls, lambda: (_take_over, "run-1"))
    assert all(call.done() for call in calls)
    return helper.submit(_state).result(timeout=60)


def test_a_resting_helper_exits_and_the_next_call_starts_one_that_takes_the_run_over(helper) -> None:
    first_pid, _ = helper.submit(_state).result(timeout=60)
    pid, taken_over = _rest_then_call(helper, [helper.submit(_state)])
    assert pid != first_pid and taken_over == ["run-1"]
    assert _state_of(first_pid) in ("gone", "Z"), "the resting helper process did not exit"


def _state_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return "gone"


def test_a_failed_call_keeps_the_helper_that_knows_why(helper) -> None:
    first_pid, _ = helper.submit(_state).result(timeout=60)
    assert _rest_then_call(helper, [helper.submit(_fail)]) == (first_pid, [])


# End to end: `python -m moonml` with the threshold at 0 rows, so that the tutorial's data rests it.
def _moonml(tmp_path: Path, *overrides: str) -> subprocess.Popen:
    return moonml_process(*SLOW_GRID, *overrides, "hydra.run.dir=out", cwd=tmp_path)


def _helpers(moonml_pid: int) -> set[int]:
    """moonml's MLflow helpers: forked from it, they keep its command line (the forkserver's is its own)."""
    table = parents()
    own = command_line(moonml_pid)
    children = {pid for pid in descendants(moonml_pid, table) if table[pid] == moonml_pid}
    return {pid for pid in children if command_line(pid) == own}


def _helper_counts_in_search(process: subprocess.Popen, rests: bool) -> list[int]:
    """How many helper processes moonml had, sampled from the search's start: for 5 s, or until
    none is left (the calls before the search, MLflow's import among them, take seconds)."""
    wait_for_line(process, "Hyper-parameters:", deadline_s=60)
    counts, end = [], time.monotonic() + (30 if rests else 5)
    while time.monotonic() < end and not (rests and counts and counts[-1] == 0):
        counts.append(len(_helpers(process.pid)))
        time.sleep(0.1)
    assert process.poll() is None, "the search ended too soon to look at it"
    return counts


@pytest.mark.e2e
@pytest.mark.parametrize("rests", [True, False], ids=["rests", "stays"])
def test_the_helper_is_gone_during_the_search_and_the_run_records_all(rests: bool, tmp_path: Path) -> None:
    threshold = 0 if rests else 10**9
    process = _moonml(tmp_path, f"tracking.helper_rests_from_rows={threshold}")
    counts = _helper_counts_in_search(process, rests)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    assert counts[-1] == 0 if rests else set(counts) == {1}
    client = store_client(tmp_path)
    (run,) = client.search_runs([client.get_experiment_by_name("moonml").experiment_id])
    assert run.info.status == "FINISHED"
    assert {"gridsearch/n_estimators", "selected/n_estimators"} <= set(run.data.params)
    assert {"accuracy", "cv_best_score"} <= set(run.data.metrics)
    artifacts = {item.path for item in client.list_artifacts(run.info.run_id)}
    assert {"model.joblib", "cv_results.csv"} <= artifacts
    (version,) = client.search_model_versions("name='moon_model'")
    assert version.run_id == run.info.run_id


@pytest.mark.e2e
def test_ctrl_c_while_the_helper_rests_ends_the_run_killed(tmp_path: Path) -> None:
    process = _moonml(tmp_path, "tracking.helper_rests_from_rows=0")
    assert _helper_counts_in_search(process, rests=True)[-1] == 0
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    client = store_client(tmp_path)
    (run,) = client.search_runs([client.get_experiment_by_name("moonml").experiment_id])
    assert run.info.status == "KILLED"
