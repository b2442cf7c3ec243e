"""backend=local stopped (SIGTERM to the launching process): its jobs end KILLED, no process is left,
and no temporary copy of the project either. They ran on to FINISHED and left /tmp/azureml-local-*.
"""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import REPO, session_members

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")]


def runs(store: Path) -> list[tuple[str, str]]:
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
            return db.execute(
                "SELECT r.run_uuid, r.status FROM runs r JOIN params p USING (run_uuid)"
            ).fetchall()
    except sqlite3.Error:
        return []


def test_sigterm_ends_the_local_jobs_killed_and_removes_their_copies(tmp_path: Path) -> None:
    project = tmp_path / "project"
    for name in ("moonml", "conf", "data"):
        shutil.copytree(REPO / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("requirements.txt", "pyproject.toml", ".amlignore"):
        shutil.copy2(REPO / name, project / name)
    temp = tmp_path / "tmp"  # where the launcher makes its copies (tempfile honours TMPDIR)
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "AZUREML_", "HYDRA_"))}
    env |= {"MLFLOW_TRACKING_URI": "sqlite:///store/mlflow.db", "TMPDIR": str(temp)}
    sweep = tmp_path / "sweep"
    with open(tmp_path / "err.txt", "w") as err:
        process = subprocess.Popen(
            [
                *(
                    sys.executable,
                    "-m",
                    "moonml",
                    "-m",
                    "hydra/launcher=azureml",
                    "hydra.launcher.backend=local",
                ),
                *("seed=1,2,3,4", "hydra.launcher.local_parallel=2", f"hydra.sweep.dir={sweep}"),
                *("model.grid.n_estimators=[200,300]", "model.grid.max_depth=[null]", "model.n_jobs=1"),
            ],
            cwd=project,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 300
            while len({run for run, _ in runs(project / "store" / "mlflow.db")}) < 2:
                assert process.poll() is None and time.monotonic() < deadline, "two jobs never logged"
                time.sleep(0.3)
            process.send_signal(signal.SIGTERM)
            returncode = process.wait(timeout=120)
            left = session_members(process.pid)
        finally:
            for pid in session_members(process.pid):
                os.kill(pid, signal.SIGKILL)
            process.wait()
    assert returncode == 130
    assert left == {}
    assert {status for _, status in runs(project / "store" / "mlflow.db")} == {"KILLED"}
    assert list(temp.glob("azureml-local-*")) == []
    command = f"python -m moonml.model register-best {sweep} --experiment moonml"
    # The jobs' own lines follow ("interrupted: outputs written so far are kept...").
    assert (
        "interrupted: the sweep's running jobs end KILLED, the others do not run; register the best "
        f"finished run with: {command}"
    ) in (tmp_path / "err.txt").read_text().splitlines()
