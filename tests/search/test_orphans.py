"""A moonml killed outright (SIGKILL, the OOM killer) leaves no process of its own behind."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import clean_env, command_line, data_args, descendants, search_workers

pytestmark = pytest.mark.e2e


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its parent's bookkeeping is left


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigkill_during_the_search_leaves_no_process_behind(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "moonml",
            *data_args(),
            "model.grid.n_estimators=[300,400,500]",
            "model.grid.max_depth=[null]",
        ],
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Wait until the search's workers run: everything moonml starts is alive by then.
    deadline = time.monotonic() + 120
    while not search_workers(process.pid):
        assert process.poll() is None and time.monotonic() < deadline, "the search never started"
        time.sleep(0.2)
    time.sleep(1)
    family = descendants(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    deadline = time.monotonic() + 30
    while (survivors := {pid for pid in family if alive(pid)}) and time.monotonic() < deadline:
        time.sleep(0.5)
    leftover = {pid: command_line(pid) for pid in survivors}
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)  # do not leave them to the next test either
    assert not leftover, leftover
