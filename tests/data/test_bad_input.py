"""Bad data and bad paths a user can hand moonml: one clear line each, exit 1, nothing trained."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import SMALL_GRID, TEST_CSV, TRAIN_CSV, clean_env, data_args, run_moonml

pytestmark = pytest.mark.e2e

TOO_BIG = "1e308"  # a float64 that overflows the float32 scikit-learn's trees compute in


def error_line(result: subprocess.CompletedProcess) -> str:
    """The one `error:` line of a failed run (and no traceback, no training)."""
    assert result.returncode == 1, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(lines) == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert "Metrics:" not in result.stdout
    return lines[0]


BAD_CONTENT = {
    "duplicate_column": (b"x1,x1,x2,y\n0.1,5,0.2,0\n0.2,6,0.3,1\n", ["duplicate column x1"]),
    "overflow_positive": (
        f"x1,x2,y\n0.1,0.2,0\n0.2,{TOO_BIG},1\n".encode(),
        ["column x2", "data row 2", "too large"],
    ),
    "overflow_negative": (f"x1,x2,y\n-{TOO_BIG},0.2,0\n0.2,0.3,1\n".encode(), ["column x1", "data row 1"]),
    "non_utf8_in_used_column": (b"x1,x2,y\n0.1,0.2\xe9,0\n0.2,0.3,1\n", ["column x2", "UTF-8", "data row 1"]),
}


@pytest.mark.parametrize("case", sorted(BAD_CONTENT))
@pytest.mark.parametrize("role", ["train", "test"])
def test_bad_content_is_refused_naming_file_and_column(case: str, role: str, tmp_path: Path) -> None:
    content, fragments = BAD_CONTENT[case]
    bad = tmp_path / f"{case}.csv"
    bad.write_bytes(content)
    paths = {"train": TRAIN_CSV, "test": TEST_CSV} | {role: bad}
    result = run_moonml(*data_args(**paths), *SMALL_GRID, "tracking=none", cwd=tmp_path)
    line = error_line(result)
    assert str(bad) in line
    for fragment in fragments:
        assert fragment in line


def test_non_utf8_byte_in_an_ignored_column_is_fine(tmp_path: Path) -> None:
    rows = TRAIN_CSV.read_bytes().splitlines()
    noted = [rows[0] + b",comment"] + [
        row + (b",caf\xe9" if i % 7 == 0 else b",ok") for i, row in enumerate(rows[1:])
    ]
    train = tmp_path / "train.csv"
    train.write_bytes(b"\n".join(noted) + b"\n")
    # data.features chooses the columns: the others (any bytes in them) are never read.
    args = [*data_args(train=train), "data.features=[x1,x2]", *SMALL_GRID, "tracking=none"]
    result = run_moonml(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Metrics:" in result.stdout


def test_a_folder_given_as_a_data_file(tmp_path: Path) -> None:
    folder = tmp_path / "train.csv"
    folder.mkdir()
    line = error_line(run_moonml(*data_args(train=folder), *SMALL_GRID, "tracking=none", cwd=tmp_path))
    assert str(folder) in line and "is a folder" in line


def drop_root_read_override() -> list[str]:
    """A command prefix under which a mode-000 file cannot be read, even by root."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make a file unreadable")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def test_an_unreadable_data_file(tmp_path: Path) -> None:
    locked = tmp_path / "train.csv"
    shutil.copy(TRAIN_CSV, locked)
    locked.chmod(0)
    result = subprocess.run(
        [
            *drop_root_read_override(),
            sys.executable,
            "-m",
            "moonml",
            *data_args(train=locked),
            "tracking=none",
        ],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=240,
    )
    line = error_line(result)
    assert str(locked) in line and "Permission denied" in line


FOLD_CASES = {
    "fewer_rows_than_folds": b"x1,x2,y\n0.1,0.2,0\n0.2,0.3,1\n0.3,0.1,0\n",
    "a_class_smaller_than_folds": (
        b"x1,x2,y\n" + b"".join(f"0.{i},0.{i + 1},0\n".encode() for i in range(8)) + b"0.5,0.5,1\n0.6,0.6,1\n"
    ),
}


@pytest.mark.parametrize("case", sorted(FOLD_CASES))
def test_too_few_rows_for_the_folds_names_the_file_and_model_cv(case: str, tmp_path: Path) -> None:
    small = tmp_path / f"{case}.csv"
    small.write_bytes(FOLD_CASES[case])
    result = run_moonml(*data_args(train=small), *SMALL_GRID, "model.cv=5", "tracking=none", cwd=tmp_path)
    line = error_line(result)
    assert str(small) in line and "model.cv" in line
    assert "model.grid" not in line
    assert "grid search" not in result.stderr  # refused before the search started
    assert not list(tmp_path.rglob("model.joblib"))


@pytest.mark.parametrize(
    ("overrides", "fragments"),
    [
        (["data.noise=nan"], ["data.noise", "finite"]),
        (["data.noise=inf"], ["data.noise", "finite"]),
        (["data.seed=-1"], ["data.seed"]),
        (["data.n_samples=20", "model.cv=20"], ["data=generated", "model.cv=20"]),
    ],
)
def test_bad_generated_data_settings(overrides: list[str], fragments: list[str], tmp_path: Path) -> None:
    result = run_moonml("data=generated", *overrides, *SMALL_GRID, "tracking=none", cwd=tmp_path)
    line = error_line(result) if "model.cv=20" in overrides else result.stderr
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    for fragment in fragments:
        assert fragment in line
