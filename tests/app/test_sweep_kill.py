"""A parallel sweep killed ends every process it started within seconds, its running jobs' runs KILLED.

`-m seed=1,2,3,4 hydra/launcher=joblib` in a session of its own; the launching process gets a
real SIGTERM or SIGKILL while two jobs log; whatever of the session is left is killed afterwards.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from tests.helpers import clean_env, data_args, session_members

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")]

JOB_GRID = ["model.grid.n_estimators=[200,300]", "model.grid.max_depth=[null]", "model.n_jobs=1"]


def runs_logging(store: Path) -> int:
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as connection:
            return len(connection.execute("SELECT DISTINCT run_uuid FROM params").fetchall())
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("kill", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_killed_parallel_sweep_leaves_nothing_running(kill: signal.Signals, tmp_path: Path) -> None:
    with open(tmp_path / "err.txt", "w") as err:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "moonml", "-m", *data_args(), *JOB_GRID),
                *(
                    "seed=1,2,3,4",
                    "hydra/launcher=joblib",
                    "hydra.launcher.n_jobs=2",
                    "hydra.sweep.dir=sweep",
                ),
            ],
            cwd=tmp_path,
            env=clean_env(),
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 240
            while runs_logging(tmp_path / "mlflow.db") < 2:
                assert process.poll() is None and time.monotonic() < deadline, "two jobs never logged"
                time.sleep(0.3)
            os.kill(process.pid, kill)
            returncode = process.wait(timeout=60)
            deadline = time.monotonic() + 90  # a job records its run's end, then exits
            while (left := session_members(process.pid)) and time.monotonic() < deadline:
                time.sleep(0.5)
        finally:
            for pid in session_members(process.pid):
                os.kill(pid, signal.SIGKILL)
            process.wait()
    assert left == {}
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name("moonml").experiment_id])
    assert len(runs) >= 2 and {run.info.status for run in runs} == {"KILLED"}
    if kill == signal.SIGTERM:
        assert returncode == 130
        command = f"python -m moonml.model register-best {tmp_path / 'sweep'} --experiment moonml"
        # loky's resource tracker, orphaned, may warn after it of what it cleaned up.
        assert (
            "interrupted: the sweep's running jobs end KILLED, the others do not run; register the best "
            f"finished run with: {command}"
        ) in (tmp_path / "err.txt").read_text().splitlines()
