"""Multirun: every job is its own MLflow run, sequentially and with parallel jobs."""

from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from tests.helpers import SMALL_GRID, data_args, run_moonml

pytestmark = pytest.mark.e2e


def finished_runs(workdir: Path) -> list:
    client = MlflowClient(tracking_uri=f"sqlite:///{workdir / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("moonml")
    return client.search_runs([experiment.experiment_id])


@pytest.mark.parametrize(
    "launcher",
    [[], ["hydra/launcher=joblib", "hydra.launcher.n_jobs=3"], ["hydra/launcher=submitit_local"]],
    ids=["sequential", "parallel", "submitit"],
)
def test_seed_sweep_tracks_one_run_per_job(launcher: list[str], tmp_path: Path) -> None:
    # The store is fresh: the callback must create it once before parallel jobs race on it.
    result = run_moonml(
        "-m",
        *data_args(),
        *SMALL_GRID,
        "seed=1,2,3",
        "tracking.register_model=null",
        *launcher,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # loky's "resource_tracker: There appear to be 24 leaked semlock objects" ended every parallel
    # sweep; scikit-learn's "`sklearn.utils.parallel.delayed` should be used with" came now and then.
    assert "leaked" not in result.stderr and "Warning" not in result.stderr, result.stderr[-3000:]
    runs = finished_runs(tmp_path)
    assert len(runs) == 3
    assert {run.info.status for run in runs} == {"FINISHED"}
    seeds = sorted(
        item for run in runs for item in run.data.tags["moonml.overrides"].split() if "seed=" in item
    )
    assert seeds == ["seed=1", "seed=2", "seed=3"]


def test_grid_variant_sweep(tmp_path: Path) -> None:
    result = run_moonml(
        "-m",
        *data_args(),
        "model.grid.n_estimators=[10]",
        "model.grid.criterion=[gini]",
        "model.grid.max_depth=[2,5],[10,null]",
        "tracking.register_model=null",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    searched = sorted(run.data.params["gridsearch/max_depth"] for run in finished_runs(tmp_path))
    assert searched == ["[10, None]", "[2, 5]"]


def test_a_failing_job_does_not_stop_the_others(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,y\n0.1,0.2,1\n0.2,0.3,1\n")
    result = run_moonml(
        "-m",
        *SMALL_GRID,
        f"data.train_path={bad},{data_args()[0].split('=', 1)[1]}",
        f"{data_args()[1]}",
        "tracking.register_model=null",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "only class 1" in result.stderr and "Traceback" not in result.stderr
    statuses = sorted(run.info.status for run in finished_runs(tmp_path))
    assert statuses == ["FINISHED"]  # the bad job failed before opening a run; the good one ran


def test_azureml_dry_run_creates_no_local_store(tmp_path: Path) -> None:
    """Jobs that leave the machine must not make the callback create ./mlflow.db here."""
    import shutil

    from tests.helpers import REPO

    project = tmp_path / "project"
    shutil.copytree(REPO, project, ignore=shutil.ignore_patterns(".git", "mlflow.db", "mlruns", "outputs"))
    result = run_moonml(
        "hydra/launcher=azureml",
        "compute=cpu-cluster",
        "hydra.launcher.dry_run=true",
        f"hydra.sweep.dir={tmp_path / 'sweep'}",
        cwd=project,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "sweep" / "0" / "azureml" / "command.txt").is_file()
    assert not (project / "mlflow.db").exists()
