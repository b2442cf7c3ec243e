"""Runs compared in MLflow's runs table: what varied is a param, MLflow's own tags are set, and the
run lasts as long as the run did (issue 21 items 1-3)."""

import getpass
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from moonml.config.compose import compose_config
from moonml.train import train
from tests.helpers import SMALL_GRID, data_args


def test_settings_are_params_mlflow_tags_are_set_and_the_run_starts_with_train(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the sqlite store's artifacts go to ./mlruns
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    overrides = ["seed=7", "model.params.min_samples_leaf=3", "model.cv=3"]
    cfg = compose_config([*data_args(), *SMALL_GRID, "model.n_jobs=1", f"tracking.uri={store}", *overrides])
    before = time.time()
    train(cfg, output_dir=str(tmp_path / "run"), overrides=overrides)

    client = MlflowClient(tracking_uri=store)
    experiment = client.get_experiment_by_name(cfg.tracking.experiment_name).experiment_id
    [run] = client.search_runs([experiment], filter_string="params.seed = '7'")
    params = run.data.params
    assert params["model.estimator"] == "sklearn.ensemble.RandomForestClassifier"
    assert params["model.params.min_samples_leaf"] == "3"
    assert params["model.cv"] == "3" and params["model.scoring"] == "accuracy"
    assert params["data.source"] == "csv" and params["objective.metric"] == "cv_best_score"
    # The tutorial's names stay as they were; the grid is theirs, infrastructure is no param.
    assert params["gridsearch/n_estimators"] == "[10]" and params["selected/max_depth"] == "5"
    assert not [key for key in params if key.startswith(("model.grid", "tracking.", "azureml.", "compute."))]

    tags = run.data.tags
    assert tags["mlflow.user"] == getpass.getuser()
    assert tags["mlflow.source.type"] == "LOCAL" and tags["mlflow.source.name"]

    # The run starts when train() starts, before the search (cv_results.csv is written after it).
    searched = (tmp_path / "run" / "cv_results.csv").stat().st_mtime
    assert int(before * 1000) <= run.info.start_time <= searched * 1000
