"""The first seconds of a run: a SIGTERM then ends it as a later one would, and the search's
size is said before it starts."""

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers import TINY_GRID, clean_env, data_args, moonml_process, run_moonml

SIGNAL_IN_IMPORT = Path(__file__).parent / "signal_in_import"


def caught_signals(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16)


def wait_until_python_runs(process: subprocess.Popen) -> None:
    """Python catches SIGINT once its interpreter is up, before `site` and any import: what comes
    before is the interpreter's own start, which no program can handle signals in."""
    deadline = time.monotonic() + 30
    while not caught_signals(process.pid) & (1 << (signal.SIGINT - 1)):
        assert time.monotonic() < deadline
        time.sleep(0.002)


@pytest.mark.e2e
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc/PID/status")
@pytest.mark.parametrize("delay_s", [0.5, 1.0, 2.0])
def test_sigterm_in_the_first_seconds_ends_like_a_later_one(delay_s: float, tmp_path: Path) -> None:
    process = moonml_process(*TINY_GRID, "tracking=none", cwd=tmp_path)
    wait_until_python_runs(process)
    time.sleep(delay_s)
    process.send_signal(signal.SIGTERM)  # to moonml alone, as a scheduler stopping a job does
    stdout, stderr = process.communicate(timeout=120)
    assert "Metrics:" not in stdout, "the run ended before the signal: the test did not test"
    assert process.returncode == 130, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines == ["interrupted: outputs written so far are kept; a tracked run ends KILLED"], stderr


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("module", "signal_name", "nth_call"),
    [
        # pybind11's init: the process aborted ("Fatal Python error: PyThreadState_Get"), exit -6.
        ("matplotlib.ft2font", "SIGTERM", 2),
        # Cython's init: the KeyboardInterrupt's traceback was printed above the one line.
        ("sklearn.tree._tree", "SIGINT", 1),
    ],
)
def test_a_signal_while_a_c_extension_initialises_ends_like_any_other(
    module: str, signal_name: str, nth_call: int, tmp_path: Path
) -> None:
    """Seen in CI: a SIGTERM 2 s into a run, on a busy machine, came while the pipeline's
    libraries were being imported, and the process died of its own SIGINT (exit -2)."""
    env = clean_env(
        PYTHONPATH=str(SIGNAL_IN_IMPORT),
        MOONML_TEST_SIGNAL_MODULE=module,
        MOONML_TEST_SIGNAL=signal_name,
        MOONML_TEST_SIGNAL_CALL=str(nth_call),
    )
    process = moonml_process(*TINY_GRID, "tracking=none", cwd=tmp_path, env=env)
    stdout, stderr = process.communicate(timeout=120)
    assert "Metrics:" not in stdout, "the signal never came: the test did not test"
    assert process.returncode == 130, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines == ["interrupted: outputs written so far are kept; a tracked run ends KILLED"], stderr


@pytest.mark.e2e
def test_the_number_of_fits_is_said_before_the_search_on_a_pipe_and_in_the_log(tmp_path: Path) -> None:
    result = run_moonml(
        *data_args(),
        "model.grid.n_estimators=[5,10]",
        "model.grid.max_depth=[2]",
        "model.grid.criterion=[gini,entropy]",
        "model.cv=3",
        "tracking=none",
        "hydra.run.dir=out",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    said = "Grid search: 4 candidates x 3 folds = 12 fits"
    assert said in result.stdout
    assert result.stdout.index(said) < result.stdout.index("Selected hyper-parameters:")
    assert said in (tmp_path / "out" / "moonml.log").read_text()
