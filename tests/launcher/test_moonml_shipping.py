"""moonml shipped by the launcher: its own project's snapshot, its objective returned to a sweeper.

(The launcher's own tests, which know no app, are in launchers/tests.)"""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from azureml_launcher.snapshot import contents as _snapshot
from launcher_helpers import run, shipped
from test_snapshot import ENTRY, SHIPPED, make

from tests.helpers import REPO


def test_app_ignore_file_leaves_out_its_state(tmp_path: Path) -> None:
    make(tmp_path, [*SHIPPED, "mlruns/0/meta.yaml", "mlartifacts/1/a.txt"])
    (tmp_path / ".amlignore").write_text((REPO / ".amlignore").read_text())
    snapshot = _snapshot.build(tmp_path, ENTRY)
    assert sorted(snapshot.paths) == sorted([*SHIPPED, ".amlignore"])


@pytest.mark.e2e
@pytest.mark.skipif(not (REPO / ".git").exists() or shutil.which("git") is None, reason="not a git clone")
def test_a_clean_clone_of_this_project_ships(tmp_path: Path) -> None:
    """Its tests plant fake secrets; they do not ship (.amlignore), and nothing that ships trips."""
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", str(REPO), str(clone)], check=True, capture_output=True, timeout=120
    )
    sweep = tmp_path / "sweep"
    done = run(
        [
            "-m",
            "moonml",
            "hydra/launcher=azureml",
            "compute=cpu-cluster",
            "hydra.launcher.dry_run=true",
            f"hydra.sweep.dir={sweep}",
        ],
        cwd=clone,
    )
    assert done.returncode == 0, done.stderr
    files = shipped(sweep)
    assert "moonml/__main__.py" in files and not any(f.startswith("tests/") for f in files)


@pytest.mark.e2e
def test_optuna_sweep_through_the_local_backend(tmp_path: Path, moonml_copy: Path) -> None:
    """The shipped moonml jobs return cv_best_score (moonml's objective) to a real Optuna sweep."""
    sweep = tmp_path / "sweep"
    store = tmp_path / "mlflow.db"
    done = run(
        [
            "-m",
            "moonml",
            "-m",
            "hydra/launcher=azureml",
            "hydra.launcher.backend=local",
            "hydra.launcher.wait=true",
            "compute=cpu-cluster",
            "hydra/sweeper=optuna",
            "hydra.sweeper.n_trials=4",
            "hydra.sweeper.n_jobs=2",
            "hydra.sweeper.direction=maximize",
            "model.params.min_samples_leaf=choice(1,8,30,60)",
            "model.grid.n_estimators=[10]",
            "model.grid.max_depth=[5]",
            "model.grid.criterion=[gini]",
            "model.cv=2",
            f"hydra.sweep.dir={sweep}",
        ],
        cwd=moonml_copy,
        env={"MLFLOW_TRACKING_URI": f"sqlite:///{store}"},
        timeout=280,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    best = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{store}")
    runs = client.search_runs([client.get_experiment_by_name("moonml").experiment_id])
    assert len(runs) == 4
    assert {r.data.tags["moonml.sweep"] for r in runs} == {str(sweep)}
    scores = {r.info.run_id: r.data.metrics["cv_best_score"] for r in runs}
    assert best["best_value"] == pytest.approx(max(scores.values()))
    [version] = client.search_model_versions("name='moon_model'")
    assert scores[version.run_id] == max(scores.values())
