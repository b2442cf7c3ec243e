"""Integration with a real `mlflow server` process on 127.0.0.1, as a team would share one."""

from pathlib import Path

import mlflow
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from tests.helpers import SMALL_GRID, clean_env, data_args, run_moonml

pytestmark = pytest.mark.e2e


def test_run_and_registered_model_land_on_the_server(mlflow_server: str, tmp_path: Path) -> None:
    result = run_moonml(
        *data_args(),
        *SMALL_GRID,
        "tracking.experiment_name=server-check",
        # A model of its own: other tests' runs on this shared server are no champion to beat.
        "tracking.register_model=server_model",
        cwd=tmp_path,
        env=clean_env(MLFLOW_TRACKING_URI=mlflow_server),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert mlflow_server in result.stdout
    assert not (tmp_path / "mlflow.db").exists()  # nothing went to the embedded store

    client = MlflowClient(tracking_uri=mlflow_server)
    experiment = client.get_experiment_by_name("server-check")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED"
    assert run.data.params["gridsearch/n_estimators"] == "[10]"
    assert run.data.params["selected/max_depth"] == "5"
    assert 0.9 < run.data.metrics["accuracy"] <= 1
    artifacts = {item.path for item in client.list_artifacts(run.info.run_id)}
    assert {"decision_boundary.png", "model.joblib", "cv_results.csv"} <= artifacts

    [version] = client.search_model_versions("name='server_model'")
    assert version.run_id == run.info.run_id
    target = tmp_path / "downloaded"
    result = run_moonml(
        "download",
        "server_model:latest",
        "--output",
        str(target),
        f"tracking.uri={mlflow_server}",
        cwd=tmp_path,
        module="moonml.model",
    )
    assert result.returncode == 0, result.stderr
    model = mlflow.pyfunc.load_model(str(target))
    assert list(model.predict(pd.DataFrame({"x1": [-0.5, 1.5], "x2": [0.8, -0.4]}))) == [0, 1]


def test_config_uri_wins_over_the_environment(mlflow_server: str, tmp_path: Path) -> None:
    """tracking.uri on the command line beats a stale MLFLOW_TRACKING_URI in the shell."""
    result = run_moonml(
        *data_args(),
        *SMALL_GRID,
        f"tracking.uri={mlflow_server}",
        "tracking.register_model=null",
        "tracking.experiment_name=uri-precedence",
        cwd=tmp_path,
        env=clean_env(MLFLOW_TRACKING_URI=f"sqlite:///{tmp_path / 'elsewhere.db'}"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert not (tmp_path / "elsewhere.db").exists()
    assert MlflowClient(tracking_uri=mlflow_server).get_experiment_by_name("uri-precedence")
