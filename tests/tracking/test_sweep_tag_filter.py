"""A sweep's runs are found by their `moonml.sweep` tag whatever characters its folder's path
holds: MLflow's filter strings have no escape character, so quotes need care."""

import pytest
from mlflow.tracking import MlflowClient

from moonml.tracking.registry import sweep_runs

SWEEPS = [
    "/home/o'brien/multirun/2026-12-02/15-15-17",
    '/home/say "hi"/multirun/2026-12-02/15-15-17',
    "/both/'\"/multirun/x",
    "C:\\Users\\o'brien\\multirun\\x",
    "/plain/multirun/2026-12-02/15-15-17",
]


@pytest.fixture(scope="module")
def tagged_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[MlflowClient, str, dict[str, set[str]]]:
    """Two runs per sweep, plus a run whose tag differs only where the quotes were."""
    client = MlflowClient(f"sqlite:///{tmp_path_factory.mktemp('store') / 'mlflow.db'}")
    experiment = client.create_experiment("moonml")
    ids: dict[str, set[str]] = {}
    for sweep in [*SWEEPS, "/both/__/multirun/x"]:
        for _ in range(2):
            run = client.create_run(experiment)
            client.set_tag(run.info.run_id, "moonml.sweep", sweep)
            ids.setdefault(sweep, set()).add(run.info.run_id)
    return client, experiment, ids


@pytest.mark.parametrize("sweep", SWEEPS)
def test_sweep_runs_finds_exactly_the_sweeps_runs(
    sweep: str, tagged_runs: tuple[MlflowClient, str, dict[str, set[str]]]
) -> None:
    client, experiment, ids = tagged_runs
    assert {run.info.run_id for run in sweep_runs(client, experiment, sweep)} == ids[sweep]
