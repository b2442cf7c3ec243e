"""hydra.launcher.return_metric: each job hands the sweeper one float, or fails saying why."""

from pathlib import Path

import pytest
import yaml
from hydra.core.utils import JobStatus
from hydra_plugins.hydra_azureml_launcher._errors import LauncherError
from hydra_plugins.hydra_azureml_launcher._metric import job_result

from tests.launcher.conftest import run


def test_no_return_metric_returns_the_metrics_dict() -> None:
    assert job_result({"score": 0.5}, None, "job #0") == (JobStatus.COMPLETED, {"score": 0.5})


def test_return_metric_is_a_float_and_the_last_of_a_series() -> None:
    assert job_result({"score": 0.5, "loss": 2}, "score", "job #0") == (JobStatus.COMPLETED, 0.5)
    assert job_result({"score": [0.1, 0.7]}, "score", "run r1") == (JobStatus.COMPLETED, 0.7)


@pytest.mark.parametrize("metrics", [None, {}, {"loss": 1.0}, {"score": "n/a"}, {"score": []}])
def test_a_run_without_the_metric_is_a_failed_job_naming_it(metrics) -> None:
    status, error = job_result(metrics, "score", "run r1 (job #3)")
    assert status == JobStatus.FAILED and isinstance(error, LauncherError)
    assert "run r1 (job #3) has no numeric metric 'score' (hydra.launcher.return_metric)" in str(error)


@pytest.mark.slow
def test_optuna_sweep_through_the_local_backend(tmp_path: Path, moonml_copy: Path) -> None:
    """The shipped moonml jobs return cv_best_score (moonml's objective) to a real Optuna sweep."""
    sweep = tmp_path / "sweep"
    store = tmp_path / "mlflow.db"
    done = run(
        [
            "-m",
            "moonml",
            "-m",
            "hydra/launcher=azureml",
            "hydra.launcher.backend=local",
            "hydra.launcher.wait=true",
            "compute=cpu-cluster",
            "hydra/sweeper=optuna",
            "hydra.sweeper.n_trials=4",
            "hydra.sweeper.n_jobs=2",
            "hydra.sweeper.direction=maximize",
            "model.params.min_samples_leaf=choice(1,8,30,60)",
            "model.grid.n_estimators=[10]",
            "model.grid.max_depth=[5]",
            "model.grid.criterion=[gini]",
            "model.cv=2",
            f"hydra.sweep.dir={sweep}",
        ],
        cwd=moonml_copy,
        env={"MLFLOW_TRACKING_URI": f"sqlite:///{store}"},
        timeout=280,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    best = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{store}")
    runs = client.search_runs([client.get_experiment_by_name("moonml").experiment_id])
    assert len(runs) == 4
    assert {r.data.tags["moonml.sweep"] for r in runs} == {str(sweep)}
    scores = {r.info.run_id: r.data.metrics["cv_best_score"] for r in runs}
    assert best["best_value"] == pytest.approx(max(scores.values()))
    [version] = client.search_model_versions("name='moon_model'")
    assert scores[version.run_id] == max(scores.values())
