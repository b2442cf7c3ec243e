"""A tie on the objective goes to the sweep's first trial, as the sweepers decide it (Optuna
reported trial 1 as best while moonml registered trial 3)."""

from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from moonml.tracking.registry import best_run, sweep_runs


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_the_first_started_of_equal_runs_is_the_best(tmp_path: Path, direction: str) -> None:
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.create_experiment("moonml")
    scores = [0.9, 0.95, 0.95, 0.95, 0.9] if direction == "maximize" else [0.2, 0.1, 0.1, 0.1, 0.2]
    trials = []
    for number, score in enumerate(scores):
        run = client.create_run(
            experiment,
            start_time=1_800_000_000_000 + 1000 * number,  # trials one after another
            tags={
                "moonml.sweep": "/sweep",
                "moonml.objective": "cv_best_score",
                "moonml.objective_direction": direction,
            },
        )
        client.log_metric(run.info.run_id, "cv_best_score", score)
        client.set_terminated(run.info.run_id)
        trials.append(run.info.run_id)
    best = best_run(sweep_runs(client, experiment, "/sweep"))
    assert best is not None and best.info.run_id == trials[1]
