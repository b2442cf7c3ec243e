"""A cluster compute option ships the run by itself: no -m, no private Hydra API, no callback.

Real `python -m moonml` processes on a copy of the project; dry runs, so nothing leaves the
machine.
"""

import shlex
from pathlib import Path

import pytest
from launcher_helpers import run

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    "selection",
    [["compute=gpu-cluster"], ["hydra/launcher=azureml", "compute=gpu-cluster"]],
    ids=["compute-only", "launcher-and-compute"],
)
def test_cluster_compute_ships_without_multirun_flag(
    moonml_copy: Path, tmp_path: Path, selection: list[str]
) -> None:
    sweep = tmp_path / "sweep"
    done = run(
        ["-m", "moonml", *selection, "hydra.launcher.dry_run=true", f"hydra.sweep.dir={sweep}"],
        cwd=moonml_copy,
        env={"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"},
    )
    assert done.returncode == 0, done.stderr
    command = (sweep / "0" / "azureml" / "command.txt").read_text().strip()
    assert shlex.split(command) == [
        "python",
        "-m",
        "moonml",
        "--config-name=config",
        "compute=gpu-cluster",
        "hydra.mode=RUN",
        "hydra/launcher=basic",
        "hydra.run.dir=outputs",
    ]
    assert not (moonml_copy / "outputs" / "metrics.json").exists()  # nothing trained here


def test_the_replayed_command_is_a_plain_run_on_the_node(moonml_copy: Path) -> None:
    """The job's own command selects the cluster compute too: its overrides must win."""
    done = run(
        [
            "-m",
            "moonml",
            "compute=gpu-cluster",
            "hydra.mode=RUN",
            "hydra/launcher=basic",
            "--cfg",
            "hydra",
            "--package",
            "hydra",
        ],
        cwd=moonml_copy,
    )
    assert done.returncode == 0, done.stderr
    assert "mode: RUN" in done.stdout
    assert "_target_: hydra._internal.core_plugins.basic_launcher.BasicLauncher" in done.stdout
