"""Data: regenerating the tutorial's files, and every kind of bad file refused with one clear line."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from moonml.config.compose import compose_config
from moonml.data.moons import generate_split
from moonml.data.split import Columns
from moonml.data.values import check_frame
from moonml.errors import MoonmlError
from moonml.evaluation.figures import MAX_POINTS, _sample
from moonml.train import train
from tests.helpers import REPO, SMALL_GRID, TRAIN_CSV, clean_env, data_args, run_moonml


@pytest.mark.e2e
def test_generate_reproduces_the_tutorial_files(tmp_path: Path) -> None:
    result = run_moonml("generate", "--output", str(tmp_path), cwd=tmp_path, module="moonml.data")
    assert result.returncode == 0, result.stderr
    for name in ("train.csv", "test.csv"):
        made, shipped = pd.read_csv(tmp_path / name), pd.read_csv(REPO / "data" / name)
        assert list(made.columns) == ["x1", "x2", "y"]
        assert made.shape == shipped.shape
        np.testing.assert_allclose(made.to_numpy(), shipped.to_numpy(), rtol=0, atol=1e-12)
    assert (len(pd.read_csv(tmp_path / "train.csv")), len(pd.read_csv(tmp_path / "test.csv"))) == (800, 200)


@pytest.mark.e2e
def test_generate_options_change_the_data(tmp_path: Path) -> None:
    args = ["generate", "--output", str(tmp_path), "--samples", "500", "--test-size", "0.5", "--seed", "7"]
    assert run_moonml(*args, cwd=tmp_path, module="moonml.data").returncode == 0
    train = pd.read_csv(tmp_path / "train.csv")
    assert len(train) == 250
    assert not train.equals(pd.read_csv(TRAIN_CSV).head(250))


def test_generated_split_scales_to_a_million_rows() -> None:
    split = generate_split(n_samples=1_000_000, noise=0.2, test_size=0.2, seed=0)
    assert (len(split.train), len(split.test)) == (800_000, 200_000)
    assert len(_sample(split.train, seed=0)) == MAX_POINTS  # figures draw a bounded sample


def test_extra_columns_are_ignored() -> None:
    frame = pd.read_csv(TRAIN_CSV).assign(comment="ok")
    assert list(check_frame(frame, "x.csv", Columns(features=("x1", "x2"))).columns) == ["x1", "x2", "y"]


BAD_FILES = {
    "missing": (None, "no such file"),
    "empty": ("", "empty"),
    "header_only": ("x1,x2,y\n", "no rows"),
    "missing_column": ("x1,y\n0.1,0\n0.2,1\n", "columns differ"),
    "missing_label": ("x1,x2\n0.1,0\n0.2,1\n", "missing column(s) y"),
    "non_numeric": ("x1,x2,y\n0.1,abc,0\n0.2,0.3,1\n", "non-numeric value 'abc'"),
    "infinite": ("x1,x2,y\n0.1,inf,0\n0.2,0.3,1\n", "column x2 has an infinite value (data row 1)"),
    "single_class": ("x1,x2,y\n0.1,0.2,1\n0.2,0.3,1\n", "only class 1"),
    "missing_label_value": (
        "x1,x2,y\n0.1,0.2,1\n0.2,0.3,\n",
        "column y (data.label) has no label in data row 2",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_training_file_is_one_error_naming_it(case: str, tmp_path: Path) -> None:
    """The rule for each kind of bad file, in-process; the console's one line is checked end to end."""
    content, message = BAD_FILES[case]
    bad = tmp_path / f"{case}.csv"
    if content is not None:
        bad.write_text(content)
    cfg = compose_config([*data_args(train=bad), *SMALL_GRID, "tracking=none"])
    with pytest.raises(MoonmlError) as raised:
        train(cfg, output_dir=str(tmp_path / "run"))
    assert str(bad) in str(raised.value) and message in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.e2e
@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_training_file_gives_one_clear_line(case: str, tmp_path: Path) -> None:
    content, message = BAD_FILES[case]
    bad = tmp_path / f"{case}.csv"
    if content is not None:
        bad.write_text(content)
    result = run_moonml(*data_args(train=bad), *SMALL_GRID, "tracking=none", cwd=tmp_path)
    assert result.returncode == 1
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, result.stderr
    assert str(bad) in error_lines[0] and message in error_lines[0]
    assert "Traceback" not in result.stderr
    assert "Metrics:" not in result.stdout


@pytest.mark.e2e
def test_bad_test_file_is_named_too(tmp_path: Path) -> None:
    bad = tmp_path / "test.csv"
    bad.write_text("x1,x2,y\n0.1,0.2,0\n0.2,0.3,3\n")
    result = run_moonml(*data_args(test=bad), *SMALL_GRID, "tracking=none", cwd=tmp_path)
    assert result.returncode == 1
    assert f"{bad}: class 3 in column y (data row 2) is not in the training data" in result.stderr


@pytest.mark.e2e
def test_full_error_shows_the_traceback_when_asked(tmp_path: Path) -> None:
    missing = tmp_path / "absent.csv"
    result = run_moonml(
        *data_args(train=missing), "tracking=none", cwd=tmp_path, env=clean_env(HYDRA_FULL_ERROR="1")
    )
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "MoonmlError" in result.stderr
