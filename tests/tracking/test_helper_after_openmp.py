"""The MLflow helper is forked from moonml's process: after OpenMP work there (a sweep's earlier
job trained a HistGradientBoosting model in the same process), the helper's own OpenMP call
(predicting the input example) hung forever on the parent's thread pool, which a fork does not
copy."""

from pathlib import Path

import pytest
from sklearn.datasets import make_moons
from sklearn.ensemble import HistGradientBoostingClassifier

from moonml.config.compose import compose_config
from moonml.train import train
from tests.helpers import data_args


@pytest.mark.timeout(240, method="thread")  # a hang is in a lock no signal interrupts
def test_the_helper_logs_an_openmp_model_after_openmp_work_in_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the sqlite store's artifacts go to ./mlruns
    points, labels = make_moons(2000, noise=0.2, random_state=0)
    HistGradientBoostingClassifier(max_iter=20).fit(points, labels).predict(points)  # the earlier job
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    grid = ["model.grid.max_iter=[20]", "model.grid.learning_rate=[0.1]", "model.grid.max_leaf_nodes=[15]"]
    cfg = compose_config(
        [*data_args(), "model=hist_gradient_boosting", *grid, "model.n_jobs=1", f"tracking.uri={store}"]
    )
    metrics = train(cfg, output_dir=str(tmp_path / "run"))
    assert metrics["accuracy"] > 0.8
