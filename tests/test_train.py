"""End to end: `python -m moonml` on the tutorial data, tracked into a temporary sqlite store."""

import json
import os
import pty
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from tests.helpers import (
    SLOW_GRID,
    SMALL_GRID,
    TRAIN_CSV,
    clean_env,
    data_args,
    moonml_process,
    run_moonml,
    serve_and_ask,
    store_client,
    wait_for_line,
)

pytestmark = pytest.mark.e2e

EXPECTED_HEAD = """Hyper-parameters:
gridsearch/n_estimators [10, 25, 100]
gridsearch/criterion ['gini', 'entropy']
gridsearch/max_depth [2, 5, 10, None]
Grid search: 24 candidates x 5 folds = 120 fits
Selected hyper-parameters:
"""


def only_run(client: MlflowClient):
    experiment = client.get_experiment_by_name("moonml")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1
    return runs[0]


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory):
    """One run of the default config, shared by the checks below (it takes a few seconds)."""
    workdir = tmp_path_factory.mktemp("default-run")
    result = run_moonml(*data_args(), "hydra.run.dir=out", cwd=workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir, result


def test_console_shows_the_tutorial_blocks(default_run) -> None:
    workdir, result = default_run
    assert result.stdout.startswith(EXPECTED_HEAD)
    lines = result.stdout.splitlines()
    # Issue 18 kept the tutorial's run: what seed 42 selected and scored before it (commit c0e3232).
    assert lines[6:11] == [
        "selected/criterion gini",
        "selected/max_depth 10",
        "selected/n_estimators 25",
        "Metrics:",
        "accuracy 0.97",
    ]
    assert json.loads((workdir / "out" / "metrics.json").read_text()) == pytest.approx(
        {
            "accuracy": 0.97,
            "precision": 0.97,
            "recall": 0.97,
            "f1": 0.97,
            "roc_auc": 0.99155,
            "cv_best_score": 0.965,
        }
    )
    assert f"Outputs: {workdir / 'out'}" in result.stdout
    assert "grid search:" not in result.stderr  # no progress counter in a pipe


def test_outputs_are_written_to_the_run_dir(default_run) -> None:
    workdir, _ = default_run
    out = workdir / "out"
    for name in ("model.joblib", "decision_boundary.png", "data.png", "cv_results.csv", "metrics.json"):
        assert (out / name).stat().st_size > 0, name
    assert len(pd.read_csv(out / "cv_results.csv")) == 24
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.95 <= metrics["accuracy"] <= 1.0


def test_run_logs_the_tutorial_names_and_more(default_run) -> None:
    workdir, result = default_run
    client = store_client(workdir)
    run = only_run(client)
    assert run.info.status == "FINISHED"
    params = run.data.params
    assert params["gridsearch/n_estimators"] == "[10, 25, 100]"
    assert params["gridsearch/criterion"] == "['gini', 'entropy']"
    assert params["gridsearch/max_depth"] == "[2, 5, 10, None]"
    assert {"selected/criterion", "selected/max_depth", "selected/n_estimators"} <= set(params)
    metrics = run.data.metrics
    saved = json.loads((workdir / "out" / "metrics.json").read_text())
    for name in ("accuracy", "precision", "recall", "f1", "roc_auc"):
        assert metrics[name] == pytest.approx(saved[name])
    assert f"accuracy {round(saved['accuracy'], 4)}" in result.stdout
    artifacts = {item.path for item in client.list_artifacts(run.info.run_id)}
    assert {
        "decision_boundary.png",
        "data.png",
        "model.joblib",
        "cv_results.csv",
        "config.yaml",
        "overrides.yaml",
    } <= artifacts
    tags = run.data.tags
    assert tags["moonml.version"]
    assert len(tags["data.train_sha256"]) == 64 and len(tags["data.test_sha256"]) == 64
    assert f"data.train_path={TRAIN_CSV}" in tags["moonml.overrides"]
    if (Path(__file__).parent.parent / ".git").exists():
        assert re.fullmatch(r"[0-9a-f]{40}(\+dirty)?", tags["moonml.git_commit"])


def test_registered_model_loads_and_predicts(default_run) -> None:
    workdir, _ = default_run
    mlflow.set_tracking_uri(f"sqlite:///{workdir / 'mlflow.db'}")
    model = mlflow.pyfunc.load_model("models:/moon_model/1")
    predictions = model.predict(pd.DataFrame({"x1": [-0.5, 1.5], "x2": [0.8, -0.4]}))
    assert list(predictions) == [0, 1]  # one point inside each moon
    assert model.metadata.signature is not None


def test_model_download_cli(default_run, tmp_path: Path) -> None:
    workdir, _ = default_run
    for reference in ("moon_model:1", "moon_model:latest"):
        target = tmp_path / reference.replace(":", "-")
        result = run_moonml(
            "download", reference, "--output", str(target), cwd=workdir, module="moonml.model"
        )
        assert result.returncode == 0, result.stderr
        loaded = mlflow.pyfunc.load_model(str(target))
        assert list(loaded.predict(pd.DataFrame({"x1": [1.5], "x2": [-0.4]}))) == [1]
    client = store_client(workdir)
    client.set_registered_model_alias("moon_model", "champion", "1")
    result = run_moonml(
        "download",
        "moon_model@champion",
        "--output",
        str(tmp_path / "alias"),
        cwd=workdir,
        module="moonml.model",
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "alias" / "MLmodel").is_file()


@pytest.mark.parametrize(
    ("reference", "message"),
    [("nope:1", "nope"), ("moon_model:99", "version=99"), ("moon_model", "NAME:VERSION")],
)
def test_model_download_unknown_model_is_a_clear_error(default_run, tmp_path, reference, message) -> None:
    workdir, _ = default_run
    result = run_moonml("download", reference, "--output", str(tmp_path), cwd=workdir, module="moonml.model")
    assert result.returncode == 1
    assert result.stderr.startswith("error:") and message in result.stderr
    assert "Traceback" not in result.stderr


REPRO_GRID = ["model.grid.n_estimators=[10,25]", "model.grid.max_depth=[5,null]"]


def test_same_seed_same_results_other_seed_other_model(tmp_path: Path) -> None:
    def metrics_of(seed: int, name: str) -> tuple[dict, str]:
        result = run_moonml(
            *data_args(), *REPRO_GRID, f"seed={seed}", "tracking=none", f"hydra.run.dir={name}", cwd=tmp_path
        )
        assert result.returncode == 0, result.stderr
        return json.loads((tmp_path / name / "metrics.json").read_text()), result.stdout

    first, second, other = metrics_of(7, "a"), metrics_of(7, "b"), metrics_of(8, "c")
    assert first[0] == second[0]
    # Same selected hyper-parameters and metrics on the console.
    assert first[1].split("Outputs:")[0] == second[1].split("Outputs:")[0]
    # The seed reaches the forest: another seed gives other probabilities (ROC AUC).
    assert other[0]["roc_auc"] != first[0]["roc_auc"]


def test_tracking_none_writes_outputs_and_no_store(tmp_path: Path) -> None:
    result = run_moonml(*data_args(), *SMALL_GRID, "tracking=none", "hydra.run.dir=out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "model.joblib").is_file()
    assert not (tmp_path / "mlflow.db").exists() and not (tmp_path / "mlruns").exists()


def test_failing_run_ends_failed_and_keeps_outputs(tmp_path: Path) -> None:
    # Each value is valid alone (the config check passes them); together they fail in fit.
    bad_pair = ["+model.params.bootstrap=false", "+model.params.max_samples=0.5"]
    result = run_moonml(*data_args(), *bad_pair, "hydra.run.dir=out", cwd=tmp_path)
    assert result.returncode == 1
    assert "max_sample" in result.stderr and "Traceback" not in result.stderr
    assert only_run(store_client(tmp_path)).info.status == "FAILED"
    assert (tmp_path / "out" / "moonml.log").is_file()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupt_ends_the_run_killed(signum: int, tmp_path: Path) -> None:
    """As a terminal's Ctrl-C or a scheduler does it: the signal goes to the whole process group."""
    process = moonml_process(*SLOW_GRID, "hydra.run.dir=out", cwd=tmp_path)
    wait_for_line(process, "Hyper-parameters:", deadline_s=60)
    time.sleep(1.5)  # the grid search is under way
    os.killpg(process.pid, signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert only_run(store_client(tmp_path)).info.status == "KILLED"
    assert (tmp_path / "out" / "moonml.log").is_file()


def test_unreachable_tracking_server_fails_fast_with_a_message(tmp_path: Path) -> None:
    from tests.helpers import free_port

    result = run_moonml(
        *data_args(), *SMALL_GRID, f"tracking.uri=http://127.0.0.1:{free_port()}", cwd=tmp_path, timeout=60
    )
    assert result.returncode == 1
    assert "unreachable" in result.stderr and "tracking=none" in result.stderr
    assert "Selected hyper-parameters:" not in result.stdout  # it failed before training


def test_progress_counter_on_a_terminal(tmp_path: Path) -> None:
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "moonml", *data_args(), *SMALL_GRID, "tracking=none"],
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=terminal,
    )
    os.close(terminal)
    seen = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    assert process.wait(timeout=120) == 0
    assert b"grid search: 5/5 fits" in seen


def test_downloaded_model_is_servable(default_run, tmp_path: Path) -> None:
    """`mlflow models serve` answers predictions for the registered model (a real server process)."""
    workdir, _ = default_run
    target = tmp_path / "served"
    result = run_moonml(
        "download", "moon_model:1", "--output", str(target), cwd=workdir, module="moonml.model"
    )
    assert result.returncode == 0, result.stderr
    rows = {"columns": ["x1", "x2"], "data": [[-0.5, 0.8], [1.5, -0.4]]}
    assert serve_and_ask(str(target), rows, tmp_path) == [0, 1]
