"""Tracking shares the cores with the search; the process ends without leaving workers behind."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from moonml.tracking.mlflow_run import MlflowSession
from tests.helpers import SMALL_GRID, clean_env, data_args, session_members


def test_logging_helper_runs_at_the_runs_priority(tmp_path: Path) -> None:
    """Niced, it was starved by the search (and by other jobs on a busy machine): 51 s waits."""
    tracking_cfg = OmegaConf.create({"register_model": None, "experiment_name": "x"})
    session = MlflowSession(f"sqlite:///{tmp_path / 'mlflow.db'}", tracking_cfg)
    try:
        helper_niceness = session.helper.submit(os.nice, 0).result(timeout=60)
    finally:
        session.close()
    assert helper_niceness == os.nice(0)


@pytest.mark.e2e
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_quick_exit_leaves_no_worker_processes(tmp_path: Path) -> None:
    grid = [*SMALL_GRID, "model.grid.max_depth=[2,5]", "model.n_jobs=2"]  # two candidates: loky workers
    # Files, not pipes: workers left alive would hold a pipe open, and reading it would hang.
    with open(tmp_path / "out.txt", "w") as out, open(tmp_path / "err.txt", "w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "moonml", *data_args(), *grid, "tracking=none"],
            cwd=tmp_path,
            env=clean_env(),
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        returncode = process.wait(timeout=240)
    assert returncode == 0, (tmp_path / "err.txt").read_text()
    assert "Outputs:" in (tmp_path / "out.txt").read_text()  # flushed before the quick exit
    # Workers killed with the process go within moments; idle ones left alive would wait minutes.
    deadline = time.monotonic() + 30
    while (left := session_members(process.pid)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert left == {}


@pytest.mark.e2e
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_nothing_it_started_is_left_running_once_it_has_exited(tmp_path: Path) -> None:
    """The forkserver, orphaned, spent 0.4 s unloading scikit-learn with the output pipe open:
    a shell pipeline, a CI harness or bench/overhead.py waited that long after the run ended.
    """
    grid = [*SMALL_GRID, "model.grid.max_depth=[2,5]", "model.n_jobs=2"]  # parallel: forkserver
    with open(tmp_path / "out.txt", "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moonml", *data_args(), *grid],  # the default sqlite tracking
            cwd=tmp_path,
            env=clean_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        # What each process is, noted while it runs: one that is exiting has no command line.
        seen: dict[int, str] = {}
        deadline = time.monotonic() + 240
        while process.poll() is None and time.monotonic() < deadline:
            seen.update({pid: cmd for pid, cmd in session_members(process.pid).items() if cmd})
            time.sleep(0.1)
        returncode = process.wait(timeout=1)
    assert returncode == 0, (tmp_path / "out.txt").read_text()
    # multiprocessing's resource tracker is the one exception: it has nothing to unload and
    # exits as soon as the last process that could use it has gone.
    left = {
        pid: seen.get(pid, cmd)
        for pid, cmd in session_members(process.pid).items()
        if "resource_tracker" not in seen.get(pid, cmd)
    }
    assert left == {}
