"""Writes that fail mid-run (a full disk, a file-size limit, a folder turned read-only): one line
naming what could not be written, and the run ends FAILED wherever its store can still be written.

The faults are real: a tiny tmpfs, RLIMIT_FSIZE set in the moonml process before it starts, a
read-only bind mount laid over the store's folder while the run is open (root bypasses file
modes, so chmod cannot make a folder read-only for these tests; a read-only mount stops root too).
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

from tests.helpers import SMALL_GRID, clean_env, data_args

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(sys.platform != "linux", reason="Linux mounts, rlimits")]

# The figures are ~120 KB; everything else a run writes locally is under 10 KB.
FILE_SIZE_LIMIT = 64 * 1024


def moonml_limited(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`python -m moonml ARGS` whose files may not grow past FILE_SIZE_LIMIT (EFBIG beyond)."""
    start = (
        "import os, resource, sys; "
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({FILE_SIZE_LIMIT}, {FILE_SIZE_LIMIT})); "
        "os.execv(sys.executable, [sys.executable, '-m', 'moonml', *sys.argv[1:]])"
    )
    return subprocess.run(
        [sys.executable, "-c", start, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def test_a_file_size_limit_while_a_figure_is_saved_is_one_line(tmp_path: Path) -> None:
    """Untracked: the store would hit the limit too (the full-disk test checks the run's end)."""
    result = moonml_limited(
        *data_args(), *SMALL_GRID, "hydra.run.dir=out", "tracking=none", cwd=tmp_path, env=clean_env()
    )
    assert result.returncode == 1
    figure = tmp_path / "out" / "decision_boundary.png"
    assert lines(result.stderr) == [
        f"error: cannot write the figure {figure} (File too large): free space there, or choose "
        "another output folder (hydra.run.dir)"
    ]
    assert (tmp_path / "out" / "model.joblib").is_file()  # what was written before stays


@pytest.fixture
def tiny_output_disk(tmp_path: Path) -> Iterator[Path]:
    """A 96 KB tmpfs for the run's outputs: room for the model, not for a figure."""
    out = tmp_path / "out"
    out.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", out], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield out
    finally:
        subprocess.run(["umount", "-l", out], check=True)


def test_a_full_disk_while_a_figure_is_saved_is_one_line(tiny_output_disk: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "moonml", *data_args(), *SMALL_GRID, f"hydra.run.dir={tiny_output_disk}"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    [line] = lines(result.stderr)
    assert re.fullmatch(
        rf"error: cannot write the figure {tiny_output_disk}/(decision_boundary|data)\.png \(No space left "
        r"on device\): free space there, or choose another output folder \(hydra\.run\.dir\)",
        line,
    ), line
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    (run,) = client.search_runs([client.get_experiment_by_name("moonml").experiment_id])
    assert run.info.status == "FAILED"


def store_written(store: Path) -> bool:
    """Whether the run has logged its params (so it is open and logging), read-only."""
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as connection:
            return bool(connection.execute("SELECT key FROM params").fetchall())
    except sqlite3.Error:
        return False


def remount_read_only(folder: Path) -> None:
    """The kernel refuses (busy) while a file is open for writing there, as sqlite's journal is
    for a few milliseconds per write: seen once in CI. Try again until it takes."""
    deadline = time.monotonic() + 30
    while True:
        remount = subprocess.run(["mount", "-o", "remount,bind,ro", folder], capture_output=True, text=True)
        if remount.returncode == 0:
            return
        assert "busy" in remount.stderr and time.monotonic() < deadline, remount.stderr
        time.sleep(0.02)


def test_a_store_folder_turned_read_only_mid_run_is_one_line(tmp_path: Path) -> None:
    """It printed 184 lines: MLflow's ERROR log and SQLAlchemy's traceback, per failed call."""
    folder = tmp_path / "store"
    folder.mkdir()
    with open(tmp_path / "err.txt", "w") as err:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "moonml", *data_args()),
                *("model.grid.n_estimators=[300,400]", "model.grid.max_depth=[null]"),
                f"tracking.uri=sqlite:///{folder / 'mlflow.db'}",
            ],
            cwd=tmp_path,
            env=clean_env(),
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 180
            while not store_written(folder / "mlflow.db"):
                assert process.poll() is None and time.monotonic() < deadline, "the run never logged"
                time.sleep(0.3)
            # Root ignores file modes: a read-only bind mount over the folder stops new files
            # there (sqlite's journal) for root too.
            bound = subprocess.run(["mount", "--bind", folder, folder], capture_output=True)
            if bound.returncode != 0:
                pytest.skip(f"cannot bind-mount here: {bound.stderr.decode().strip()}")
            try:
                remount_read_only(folder)
                returncode = process.wait(timeout=300)
            finally:
                subprocess.run(["umount", "-l", folder], check=True)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    assert returncode == 1
    [line] = lines((tmp_path / "err.txt").read_text())
    assert line.startswith(f"error: MLflow tracking at sqlite:///{folder / 'mlflow.db'} failed: ")
    assert re.search(r"; run \w+ could not be marked FAILED \(", line), line
