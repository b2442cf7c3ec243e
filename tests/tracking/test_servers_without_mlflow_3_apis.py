"""Tracking into the servers people run: a real MLflow 2.22 server, and a stand-in for AzureML's
MLflow service (no logged-models API, no registry aliases). Real `python -m moonml` processes."""

import json
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from tests.helpers import SMALL_GRID, data_args, run_moonml

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1500)]  # the first use builds MLflow 2.22's venv

METRICS = {"accuracy", "precision", "recall", "f1", "roc_auc", "cv_best_score"}
POINTS = pd.DataFrame({"x1": [-0.5, 1.5], "x2": [0.8, -0.4]})


def train(uri: str, cwd: Path, *overrides: str) -> None:
    result = run_moonml(*data_args(), *SMALL_GRID, "model.cv=2", f"tracking.uri={uri}", *overrides, cwd=cwd)
    assert result.returncode == 0, result.stderr[-3000:]


def download(uri: str, reference: str, target: Path) -> None:
    command = ["download", reference, "--output", str(target), f"tracking.uri={uri}"]
    result = run_moonml(*command, cwd=target.parent, module="moonml.model")
    assert result.returncode == 0, result.stderr[-3000:]
    assert list(mlflow.pyfunc.load_model(str(target)).predict(POINTS)) == [0, 1]


def only_run(client: MlflowClient, experiment: str):
    (run,) = client.search_runs([client.get_experiment_by_name(experiment).experiment_id])
    return run


def check_run_and_model(uri: str, tmp_path: Path, experiment: str, name: str) -> str:
    """One run: FINISHED with every metric, its model on the run and registered; its version."""
    client = MlflowClient(uri)
    run = only_run(client, experiment)
    assert run.info.status == "FINISHED"
    assert set(run.data.metrics) == METRICS
    assert run.data.params["selected/max_depth"] == "5"
    # The MLflow UI shows a run's model from this tag where there are no logged models.
    [logged] = json.loads(run.data.tags["mlflow.log-model.history"])
    assert logged["artifact_path"] == "model" and "sklearn" in logged["flavors"]
    listed = mlflow.artifacts.list_artifacts(artifact_uri=f"{run.info.artifact_uri}/model", tracking_uri=uri)
    assert "MLmodel" in {Path(item.path).name for item in listed}
    [version] = client.search_model_versions(f"name='{name}'")
    assert version.run_id == run.info.run_id
    download(uri, f"{name}:latest", tmp_path / "latest")
    download(uri, f"{name}@champion", tmp_path / "champion")
    return version.version


def test_a_run_into_an_mlflow_2_server(mlflow_2_server: str, tmp_path: Path) -> None:
    train(mlflow_2_server, tmp_path, "tracking.experiment_name=on-2.22", "tracking.register_model=m222")
    version = check_run_and_model(mlflow_2_server, tmp_path, "on-2.22", "m222")
    # MLflow 2.x has aliases: the champion is one.
    assert MlflowClient(mlflow_2_server).get_model_version_by_alias("m222", "champion").version == version


def test_a_run_into_an_azureml_like_server(azureml_like_mlflow, tmp_path: Path) -> None:
    uri = azureml_like_mlflow.uri
    train(uri, tmp_path, "tracking.experiment_name=on-azureml", "tracking.register_model=maml")
    version = check_run_and_model(uri, tmp_path, "on-azureml", "maml")
    refused = azureml_like_mlflow.refused_paths()
    assert "/api/2.0/mlflow/logged-models" in refused  # it did ask, and got 404
    assert "/api/2.0/mlflow/registered-models/alias" in refused
    # No aliases there: the champion is a version tag.
    tags = MlflowClient(uri).get_model_version("maml", version).tags
    assert tags == {"moonml.alias.champion": "true"}
    # The same run again does not beat the tagged champion: it registers nothing.
    again = ["tracking.experiment_name=on-azureml", "tracking.register_model=maml"]
    train(uri, tmp_path, *again)
    assert [v.version for v in MlflowClient(uri).search_model_versions("name='maml'")] == [version]
    # Registered on request, it gets a version; the tag stays with the champion.
    train(uri, tmp_path, *again, "tracking.register=always")
    by_version = {v.version: v.tags for v in MlflowClient(uri).search_model_versions("name='maml'")}
    assert len(by_version) == 2 and by_version[version] == {"moonml.alias.champion": "true"}


def test_a_sweeps_end_and_register_best_on_an_azureml_like_server(
    azureml_like_mlflow, tmp_path: Path
) -> None:
    uri = azureml_like_mlflow.uri
    where = [
        f"tracking.uri={uri}",
        "tracking.experiment_name=sweep-azureml",
        "tracking.register_model=msweep",
    ]
    sweep = tmp_path / "sweep"
    result = run_moonml(
        "-m", *data_args(), *SMALL_GRID, "model.cv=2", "model.params.min_samples_leaf=1,60", *where,
        f"hydra.sweep.dir={sweep}", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    client = MlflowClient(uri)
    runs = client.search_runs([client.get_experiment_by_name("sweep-azureml").experiment_id])
    best = max(runs, key=lambda run: run.data.metrics["cv_best_score"])
    [version] = client.search_model_versions("name='msweep'")
    assert version.run_id == best.info.run_id
    assert version.tags == {"moonml.alias.champion": "true"}
    again = run_moonml("register-best", str(sweep), *where, cwd=tmp_path, module="moonml.model")
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"msweep version {version.version}" in again.stdout
    assert len(client.search_model_versions("name='msweep'")) == 1
    download(uri, "msweep@champion", tmp_path / "champion")
