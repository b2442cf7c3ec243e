"""Started from another folder: the data error says where it looked, and nothing is created."""

from pathlib import Path

import pytest

from tests.helpers import SMALL_GRID, data_args, run_moonml

pytestmark = pytest.mark.e2e  # where `python -m moonml` is started from: real processes


@pytest.mark.parametrize("args", [[], ["-m", "seed=1,2"]], ids=["run", "multirun"])
def test_missing_relative_data_names_the_working_directory_and_creates_nothing(
    args: list[str], tmp_path: Path
) -> None:
    result = run_moonml(*args, cwd=tmp_path)
    assert result.returncode == 1
    [error] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "relative paths are read from the working directory" in error
    assert str(tmp_path) in error and str(tmp_path / "data" / "train.csv") in error
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_missing_absolute_data_is_named_and_creates_nothing(tmp_path: Path) -> None:
    absent = tmp_path / "elsewhere" / "test.csv"
    result = run_moonml(*data_args(test=absent), *SMALL_GRID, cwd=tmp_path)
    assert result.returncode == 1
    assert f"error: {absent}: no such file" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_sweep_over_data_paths_is_checked_per_job(tmp_path: Path) -> None:
    """The base config's paths do not matter when the sweep sets them; each job reports its own."""
    result = run_moonml(
        "-m", f"data.train_path={tmp_path}/a.csv,{tmp_path}/b.csv", "tracking=none", cwd=tmp_path
    )
    assert result.returncode == 1
    assert f"{tmp_path}/a.csv: no such file" in result.stderr
