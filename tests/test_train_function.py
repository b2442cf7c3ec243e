"""`moonml.train.train(cfg, output_dir)` called in-process, as the module docstring promises."""

import json
from pathlib import Path

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from moonml.config.compose import compose_config
from moonml.errors import MoonmlError
from moonml.train import train
from tests.helpers import SMALL_GRID, data_args

# The tutorial's two figures, and those drawn for any data.
FIGURES = (
    "decision_boundary.png",
    "data.png",
    "confusion_matrix.png",
    "roc_curve.png",
    "feature_importance.png",
)


def test_train_returns_the_test_metrics_and_writes_the_outputs(tmp_path: Path) -> None:
    cfg = compose_config([*data_args(), *SMALL_GRID, "model.n_jobs=1", "tracking=none"])
    metrics = train(cfg, output_dir=str(tmp_path / "run"), overrides=["seed=42"])

    assert set(metrics) == {"accuracy", "precision", "recall", "f1", "roc_auc", "cv_best_score"}
    assert 0.9 <= metrics["accuracy"] <= 1.0
    run = tmp_path / "run"
    written = json.loads((run / "metrics.json").read_text())
    assert {name: written[name] for name in metrics} == pytest.approx(metrics)
    assert len(pd.read_csv(run / "cv_results.csv")) == 1  # the one candidate of the tiny grid
    for figure in FIGURES:
        assert (run / figure).read_bytes().startswith(b"\x89PNG")
    assert (run / "model.joblib").stat().st_size > 0


def test_train_refuses_a_bad_config_before_writing(tmp_path: Path) -> None:
    cfg = compose_config([*data_args(), "tracking=none", "model.cv=1"])
    with pytest.raises(MoonmlError, match=r"model\.cv"):
        train(cfg, output_dir=str(tmp_path / "run"))
    assert not (tmp_path / "run").exists()


def test_train_logs_the_tutorial_names_and_registers_the_model(tmp_path: Path) -> None:
    """The pipeline with MLflow tracking, in-process: what the end-to-end runs check over a process."""
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    cfg = compose_config([*data_args(), *SMALL_GRID, "model.n_jobs=1", f"tracking.uri={store}"])
    metrics = train(cfg, output_dir=str(tmp_path / "run"), overrides=["seed=42"])

    client = MlflowClient(tracking_uri=store)
    [run] = client.search_runs([client.get_experiment_by_name(cfg.tracking.experiment_name).experiment_id])
    assert run.info.status == "FINISHED"
    assert run.data.params["gridsearch/n_estimators"] == "[10]"
    assert run.data.params["selected/criterion"] == "gini"
    assert run.data.metrics["accuracy"] == pytest.approx(metrics["accuracy"])
    artifacts = {item.path for item in client.list_artifacts(run.info.run_id)}
    assert {*FIGURES, "model.joblib", "cv_results.csv", "config.yaml"} <= artifacts
    [version] = client.search_model_versions(f"name='{cfg.tracking.register_model}'")
    assert version.run_id == run.info.run_id
