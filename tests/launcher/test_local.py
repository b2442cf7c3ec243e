"""backend=local end to end: real processes, real snapshots, a non-moonml app and moonml."""

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from launcher_helpers import run

from tests.helpers import REPO

pytestmark = pytest.mark.e2e


def reports(sweep: Path, count: int) -> list[dict]:
    return [json.loads((sweep / str(i) / "report.json").read_text()) for i in range(count)]


def test_tinyapp_multirun_ships_snapshot_and_returns_metrics(tinyapp: Path, tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    done = run(
        [
            "-m",
            "tinyapp",
            "-m",
            "hydra/launcher=azureml",
            "hydra.launcher.backend=local",
            "x=1,2",
            "scale=3",
            f"hydra.sweep.dir={sweep}",
            "+hydra.launcher.env_vars.TINYAPP_GREETING=hello",
        ],
        cwd=tinyapp,
        env={"MLFLOW_TRACKING_URI": "sqlite:///store/mlflow.db"},
    )
    assert done.returncode == 0, done.stderr
    got = reports(sweep, 2)
    for i, report in enumerate(got):
        cwd = Path(report["cwd"])
        # It ran from a fresh copy of the project, not from the project itself...
        assert cwd != tinyapp and cwd.name == str(i) and cwd.parent.name.startswith("azureml-local-")
        assert report["package_file"] == str(cwd / "tinyapp" / "__main__.py")
        # ...holding exactly the snapshot: secrets, ignored files and the sweep dir stay home.
        assert sorted(report["files_in_cwd"]) == [
            ".amlignore",
            "conf/config.yaml",
            "requirements.txt",
            "tinyapp/__init__.py",
            "tinyapp/__main__.py",
        ]
        assert report["mode"] == "RunMode.RUN" and report["launcher"] == "basic"
        assert report["backend_var"] == "local"
        assert report["greeting_var"] == "hello"
        # The launcher knows no tracking store: the job inherits the variable as it is, and is
        # told where the caller ran, for state the app keeps relative to it.
        assert report["mlflow_uri"] == "sqlite:///store/mlflow.db"
        assert report["caller_cwd"] == str(tinyapp)
        assert json.loads((sweep / str(i) / "metrics.json").read_text()) == {"score": 3.0 * (i + 1)}
        overrides = (sweep / str(i) / ".hydra" / "overrides.yaml").read_text()
        assert f"x={i + 1}" in overrides and "scale=3" in overrides
    assert not (tinyapp / "temp").exists()


def test_multirun_mode_from_config_launches_one_job(tinyapp: Path, tmp_path: Path) -> None:
    """Any Hydra app ships a single run with -m or hydra.mode=MULTIRUN (set here or in a config)."""
    sweep = tmp_path / "single"
    done = run(
        [
            "-m",
            "tinyapp",
            "hydra.mode=MULTIRUN",
            "hydra/launcher=azureml",
            "hydra.launcher.backend=local",
            "x=5",
            f"hydra.sweep.dir={sweep}",
        ],
        cwd=tinyapp,
    )
    assert done.returncode == 0, done.stderr
    [report] = reports(sweep, 1)
    assert Path(report["cwd"]).parent.name.startswith("azureml-local-")  # shipped, not in-process
    assert json.loads((sweep / "0" / "metrics.json").read_text()) == {"score": 50.0}
    assert not (tinyapp / "outputs").exists()  # the task never ran in the launching process


def test_failed_job_fails_the_sweep_and_others_still_run(tinyapp: Path, tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    done = run(
        [
            "-m",
            "tinyapp",
            "-m",
            "hydra/launcher=azureml",
            "hydra.launcher.backend=local",
            "fail=false,true,false",
            f"hydra.sweep.dir={sweep}",
        ],
        cwd=tinyapp,
    )
    assert done.returncode == 1
    assert "job #1" in done.stderr and "exited with code 1" in done.stderr
    assert (sweep / "0" / "metrics.json").is_file() and (sweep / "2" / "metrics.json").is_file()


def test_azureml_launcher_without_multirun_mode_is_refused(tmp_path: Path) -> None:
    """Hydra ignores a launcher in a single run: moonml refuses instead of training here."""
    done = run(
        ["-m", "moonml", "hydra/launcher=azureml", f"hydra.run.dir={tmp_path / 'r'}"],
        cwd=REPO,
        env={"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"},
    )
    assert done.returncode == 1
    assert "hydra/launcher=azureml ships runs in multirun mode only" in done.stderr
    assert "compute=cpu-cluster or compute=gpu-cluster select the launcher" in done.stderr
    assert not (tmp_path / "r" / "metrics.json").exists() and not (tmp_path / "mlflow.db").exists()


def test_azureml_launcher_with_local_compute_names_the_choices(tmp_path: Path) -> None:
    done = run(
        ["-m", "moonml", "-m", "hydra/launcher=azureml", f"hydra.sweep.dir={tmp_path / 's'}"],
        cwd=REPO,
        env={"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"},
    )
    assert done.returncode == 1
    assert (
        "hydra/launcher=azureml: compute=local has no AzureML compute target (compute.target is "
        "null); choose one of: compute=cpu-cluster, compute=gpu-cluster"
    ) in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "s" / "0").exists()


@pytest.mark.parametrize("compute", ["compute=local", "compute=cpu-cluster"])
def test_moonml_three_jobs_land_in_mlflow(tmp_path: Path, moonml_copy: Path, compute: str) -> None:
    """moonml anchors a relative store in the caller's folder (the jobs run in temporary copies)."""
    store = moonml_copy / "store" / "mlflow.db"
    sweep = tmp_path / "sweep"
    done = run(
        [
            "-m",
            "moonml",
            "-m",
            "hydra/launcher=azureml",
            "hydra.launcher.backend=local",
            compute,
            "seed=1,2,3",
            "model.grid.n_estimators=[10]",
            "model.grid.max_depth=[2,null]",
            "model.grid.criterion=[gini]",
            "model.cv=2",
            f"hydra.sweep.dir={sweep}",
            "hydra.launcher.local_parallel=3",
        ],
        cwd=moonml_copy,
        env={"MLFLOW_TRACKING_URI": "sqlite:///store/mlflow.db"},
        timeout=280,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with sqlite3.connect(store) as db:
        runs = db.execute(
            "select r.run_uuid, r.status, r.artifact_uri, e.name from runs r "
            "join experiments e on e.experiment_id = r.experiment_id"
        ).fetchall()
        seeds = sorted(v for (v,) in db.execute("select value from params where key = 'seed'"))
        accuracies = db.execute("select count(*) from metrics where key = 'accuracy'").fetchone()
    assert len(runs) == 3
    assert {status for _, status, _, _ in runs} == {"FINISHED"}
    assert {name for *_, name in runs} == {"moonml"}
    assert accuracies == (3,)
    if seeds:  # when the app logs its seed as a param
        assert seeds == ["1", "2", "3"]
    for _, _, artifact_uri, _ in runs:
        # Artifacts in the caller's default place (./mlruns), not in the job's temporary copy.
        artifacts = Path(artifact_uri.removeprefix("file://"))
        assert artifacts.is_relative_to(moonml_copy / "mlruns"), artifact_uri
        assert any(artifacts.rglob("*")), f"no artifacts under {artifacts}"
    for i in range(3):
        metrics = json.loads((sweep / str(i) / "metrics.json").read_text())
        assert 0.8 < metrics["accuracy"] <= 1.0


def test_config_dir_given_on_the_command_line_ships_and_is_replayed(tinyapp: Path, tmp_path: Path) -> None:
    (tinyapp / "extra" / "greet").mkdir(parents=True)
    (tinyapp / "extra" / "greet" / "loud.yaml").write_text("volume: 11\n")
    sweep = tmp_path / "sweep"
    done = run(
        [
            "-m",
            "tinyapp",
            "-m",
            "--config-dir",
            "extra",
            "hydra/launcher=azureml",
            "hydra.launcher.backend=local",
            "+greet=loud",
            f"hydra.sweep.dir={sweep}",
        ],
        cwd=tinyapp,
    )
    assert done.returncode == 0, done.stderr
    composed = (sweep / "0" / ".hydra" / "config.yaml").read_text()
    assert "greet:\n  volume: 11" in composed
    [report] = reports(sweep, 1)
    assert "extra/greet/loud.yaml" in report["files_in_cwd"]


def test_local_job_returns_carry_the_apps_metrics(
    hydra_sweep_runner: Any, tinyapp: Path, tmp_path: Path
) -> None:
    """In-process view of the same sweep: JobReturns a sweeper would optimise over."""
    sweep = hydra_sweep_runner(
        calling_file=None,
        calling_module="tinyapp",
        task_function=None,
        config_path=str(tinyapp / "conf"),
        config_name="config",
        overrides=[
            "hydra/launcher=azureml",
            "hydra.launcher.backend=local",
            f"hydra.launcher.source_dir={tinyapp}",
            "hydra.launcher.command='python -m tinyapp'",
            "x=1,4",
        ],
        temp_dir=tmp_path / "sweep",
    )
    with sweep:
        assert sweep.returns is not None
        returns = sweep.returns[0]
        assert [r.return_value for r in returns] == [{"score": 10.0}, {"score": 40.0}]
        assert [r.overrides for r in returns] == [["x=1"], ["x=4"]]
        assert all(Path(r.working_dir, ".hydra", "config.yaml").is_file() for r in returns)
