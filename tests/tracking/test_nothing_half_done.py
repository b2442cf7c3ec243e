"""Nothing half-done in the tracker: one failed call does not cost the others, a model version
never comes from a run that ends FAILED, and a champion whose run is gone is no error."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from tests.helpers import SMALL_GRID, clean_env, data_args, run_moonml


def mlflow_cli(*args: str, store: str) -> None:
    mlflow = shutil.which("mlflow", path=str(Path(sys.executable).parent)) or "mlflow"
    env = clean_env(MLFLOW_TRACKING_URI=store)
    done = subprocess.run([mlflow, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def champion(client: MlflowClient) -> str:
    return str(client.get_model_version_by_alias("moon_model", "champion").version)


@pytest.mark.e2e
@pytest.mark.timeout(900)  # six training runs
def test_a_deleted_and_collected_champion_run_is_simply_replaced(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(store)

    def train(*overrides: str) -> None:
        result = run_moonml(*data_args(), *SMALL_GRID, "model.cv=2", *overrides, cwd=tmp_path)
        assert result.returncode == 0, result.stderr[-3000:]

    train()
    gone = client.get_model_version("moon_model", champion(client)).run_id
    mlflow_cli("runs", "delete", "--run-id", gone, store=store)
    mlflow_cli("gc", "--backend-store-uri", store, store=store)

    train()  # the champion's run is gone: this version takes it
    assert len(client.search_model_versions("name='moon_model'")) == 2
    assert champion(client) == "2"
    train()  # an equal score does not beat the new holder: no version
    assert len(client.search_model_versions("name='moon_model'")) == 2
    assert champion(client) == "2"

    # A sweep's end likewise, and register-best afterwards changes nothing and says so.
    mlflow_cli("runs", "delete", "--run-id", client.get_model_version("moon_model", "2").run_id, store=store)
    mlflow_cli("gc", "--backend-store-uri", store, store=store)
    sweep = tmp_path / "sweep"
    result = run_moonml(
        "-m", *data_args(), *SMALL_GRID, "model.cv=2", "model.params.min_samples_leaf=1,60",
        f"hydra.sweep.dir={sweep}", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    versions = client.search_model_versions("name='moon_model'")
    assert len(versions) == 3
    assert champion(client) == "3"
    again = run_moonml("register-best", str(sweep), cwd=tmp_path, module="moonml.model")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "the sweep's best run is moon_model version 3 already" in again.stdout
    assert len(client.search_model_versions("name='moon_model'")) == 3
    assert champion(client) == "3"


HALF_A_RUN = """
import sys
import time
from moonml.tracking import mlflow_calls

run_id, _ = mlflow_calls.start_run(sys.argv[1], "half", "r", time.time())
try:
    mlflow_calls.log_call("log_artifact", sys.argv[2])
except RuntimeError as err:
    print("refused:", err)
mlflow_calls.log_call("log_metrics", {"accuracy": 0.9})
mlflow_calls.end_run("FAILED")
print(run_id)
"""


def test_a_failed_call_does_not_cost_the_calls_after_it(tmp_path: Path) -> None:
    """The helper's calls, as the helper makes them: a refused artifact, then metrics, kept."""
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    done = subprocess.run(
        [sys.executable, "-c", HALF_A_RUN, store, str(tmp_path / "no-such-file.png")],
        cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    refused, run_id = done.stdout.strip().splitlines()[-2:]
    assert refused.startswith("refused:") and "no-such-file.png" in refused
    run = MlflowClient(store).get_run(run_id)
    assert run.data.metrics == {"accuracy": 0.9}
    assert run.info.status == "FAILED"
