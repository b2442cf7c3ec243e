"""A run's folder, and a sweep's, is its own: runs started in the same second never share one,
and an existing folder is never reused, so each MLflow run holds the files it wrote itself.

Hydra names the folders by the second a run starts. Folders for the coming minutes are made
first, as runs started in those seconds would have: every run then meets a taken name."""

import hashlib
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest
from mlflow.tracking import MlflowClient

from tests.helpers import TINY_GRID, clean_env, data_args, moonml_process

pytestmark = pytest.mark.e2e

TAKEN = "taken.txt"


def take_the_coming_seconds(root: Path, minutes: int = 4) -> None:
    start = datetime.now()
    for second in range(minutes * 60):
        moment = start + timedelta(seconds=second)
        folder = root / moment.strftime("%Y-%m-%d") / moment.strftime("%H-%M-%S")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / TAKEN).write_text("another run's folder\n")


def sha1(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


def artifact(run, name: str) -> Path:
    return Path(urlparse(run.info.artifact_uri).path) / name


def test_six_runs_started_together_each_write_and_log_their_own_files(tmp_path: Path) -> None:
    take_the_coming_seconds(tmp_path / "outputs")
    processes = {seed: moonml_process(*TINY_GRID, f"seed={seed}", cwd=tmp_path) for seed in range(1, 7)}
    folders = {}
    for seed, process in processes.items():
        stdout, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr[-3000:]
        (line,) = [line for line in stdout.splitlines() if line.startswith("Outputs: ")]
        folders[seed] = Path(line.removeprefix("Outputs: "))
    assert len(set(folders.values())) == 6
    for folder in folders.values():
        assert not (folder / TAKEN).exists(), f"{folder} was an existing folder, reused"
        assert folder.parent.parent == tmp_path / "outputs"  # still outputs/DATE/TIME...
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name("moonml").experiment_id])
    assert len(runs) == 6
    models = set()
    for run in runs:
        (seed,) = [
            int(o.split("=")[1]) for o in run.data.tags["moonml.overrides"].split() if o.startswith("seed=")
        ]
        for name in ("model.joblib", "decision_boundary.png", "data.png", "cv_results.csv"):
            assert sha1(artifact(run, name)) == sha1(folders[seed] / name), (seed, name)
        models.add(sha1(artifact(run, "model.joblib")))
    assert len(models) == 6


def test_a_sweep_never_reuses_a_folder_and_its_parallel_jobs_tag_their_own(tmp_path: Path) -> None:
    take_the_coming_seconds(tmp_path / "multirun")
    result = subprocess.run(
        [
            *(sys.executable, "-m", "moonml", "-m", *data_args(), *TINY_GRID),
            *("seed=1,2", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "model.n_jobs=1"),
        ],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name("moonml").experiment_id])
    (sweep,) = {run.data.tags["moonml.sweep"] for run in runs}
    assert len(runs) == 2
    assert not (Path(sweep) / TAKEN).exists(), f"{sweep} was an existing folder, reused"
    assert sorted(path.name for path in Path(sweep).iterdir() if path.is_dir()) == ["0", "1"]
    # The sweep's end found its runs by that tag and registered the best one.
    assert len(client.search_model_versions("name='moon_model'")) == 1
