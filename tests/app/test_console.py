"""The console shows moonml's blocks and where things went; MLflow's own lines only when verbose."""

import re
import subprocess
from pathlib import Path

import pytest

from tests.helpers import SMALL_GRID, clean_env, data_args, run_moonml

pytestmark = pytest.mark.e2e

MOONML_LINE = re.compile(
    r"(Hyper-parameters:|Selected hyper-parameters:|Metrics:|gridsearch/|selected/)"
    r"|(Outputs: |Tracking: |View run: )"
    r"|Grid search: \d+ candidates x \d+ folds = \d+ fits$"  # the search's size, before it starts
    r"|(not registered: |registered \S+ version )"  # the registry's outcome (moonml.tracking.registry)
    r"|(accuracy|precision|recall|f1|roc_auc) [0-9.]+$"
)
MLFLOW_CHATTER = ("Registered model", "Created version", "Creating initial", "View run ", "Waiting up to")


def foreign_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stdout.splitlines() if not MOONML_LINE.match(line)] + [
        line for line in result.stderr.splitlines() if line.strip()
    ]


def test_a_default_run_prints_only_moonml_lines(tmp_path: Path) -> None:
    """Twice in one folder: the first creates the store and the model, the second is not better."""
    for _ in range(2):
        result = run_moonml(*data_args(), *SMALL_GRID, cwd=tmp_path)
        assert result.returncode == 0, result.stderr[-3000:]
        assert foreign_lines(result) == []
    assert "View run" not in result.stdout  # the embedded store has no UI to link to


def test_verbose_shows_mlflows_own_lines(tmp_path: Path) -> None:
    result = run_moonml(*data_args(), *SMALL_GRID, "hydra.verbose=true", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Creating initial MLflow database tables" in result.stderr


def test_a_server_run_links_to_the_run_and_is_otherwise_quiet(mlflow_server: str, tmp_path: Path) -> None:
    result = run_moonml(
        *data_args(),
        *SMALL_GRID,
        "tracking.experiment_name=console-check",
        cwd=tmp_path,
        env=clean_env(MLFLOW_TRACKING_URI=mlflow_server),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert foreign_lines(result) == []
    [link] = [line for line in result.stdout.splitlines() if line.startswith("View run: ")]
    run_id = re.search(r"MLflow run (\w+)", result.stdout)[1]
    # In the UI's machine-learning view (MLflow 3.15 opens GenAI pages otherwise).
    view = r"\?workflowType=machine_learning"
    assert re.fullmatch(rf"View run: {mlflow_server}/#/experiments/\d+/runs/{run_id}{view}", link)
    assert not any(chatter in result.stdout + result.stderr for chatter in MLFLOW_CHATTER)
