"""`model.estimator` is configuration, not code: only a scikit-learn classifier class is ever built."""

import subprocess
from pathlib import Path

import pytest

from tests.helpers import SMALL_GRID, clean_env, data_args, run_moonml

pytestmark = pytest.mark.e2e


def run_with_estimator(
    estimator: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return run_moonml(
        *data_args(), *SMALL_GRID, f"model.estimator={estimator}", "tracking=none", cwd=cwd, env=env
    )


def refused(result: subprocess.CompletedProcess, estimator: str) -> str:
    assert result.returncode == 1, (result.returncode, result.stdout[-2000:], result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    assert (
        f"model.estimator: {estimator}" in result.stderr
        or f"model.estimator: cannot import '{estimator}'" in (result.stderr)
    ), result.stderr[-2000:]
    return result.stderr


@pytest.mark.parametrize(
    "estimator",
    [
        "builtins.exit",  # exited 0 having trained nothing
        "os.fork",
        "os.getpid",
        "builtins.object",
        "sklearn.base.BaseEstimator",  # an estimator, not a classifier
        "sklearn.linear_model.LinearRegression",  # a regressor
        "sklearn.ensemble.RandomForestClassifier.fit",
        "sklearn.utils.estimator_checks.check_estimator",
    ],
)
def test_things_that_are_not_classifier_classes_are_refused(estimator: str, tmp_path: Path) -> None:
    refused(run_with_estimator(estimator, tmp_path), estimator)


def test_refused_estimator_creates_no_temporary_folder(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    result = run_with_estimator("tempfile.mkdtemp", tmp_path, env=clean_env(TMPDIR=str(temp)))
    refused(result, "tempfile.mkdtemp")
    assert not [path for path in temp.iterdir() if path.is_dir()]


def test_modules_outside_the_trusted_packages_are_not_even_imported(tmp_path: Path) -> None:
    result = run_with_estimator("this.x", tmp_path)
    refused(result, "this.x")
    assert "Zen of Python" not in result.stdout + result.stderr


def test_a_scikit_learn_classifier_still_trains(tmp_path: Path) -> None:
    result = run_with_estimator("sklearn.ensemble.ExtraTreesClassifier", tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Metrics:" in result.stdout
    assert list(tmp_path.rglob("model.joblib"))
