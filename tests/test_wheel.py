"""moonml and the launcher installed from their wheels, used from a folder that holds only data/.

Both wheels are built from this checkout and installed (azure extra) in a fresh virtual
environment outside it; every command runs from an empty folder with the tutorial's CSVs, as a
user who never saw the checkout would run it. The tests share that environment and run in order:
the last one uninstalls moonml to prove the shipped job installs it from its own snapshot.
"""

import json
import os
import shlex
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from azureml_launcher.api import BACKEND_VAR

from tests.helpers import REPO, SMALL_GRID, TEST_CSV, TRAIN_CSV

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

MY_DATA = "defaults:\n  - moons\n  - _self_\ntrain_path: mine/train.csv\ntest_path: mine/test.csv\n"
MY_FOREST = (
    "defaults:\n  - random_forest\n  - _self_\ngrid:\n  n_estimators: [7]\n  max_depth: [3]\n"
    "  criterion: [entropy]\ncv: 2\n"
)


@dataclass(frozen=True)
class Installed:
    venv: Path
    dist: Path
    project: Path  # the user's folder: data/ and their own conf/ options

    def run(
        self, *argv: str, cwd: Path | None = None, timeout: float = 240, **variables: str
    ) -> subprocess.CompletedProcess:
        """A command (`moonml`, `python`... of the venv first) run in the user's folder."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("MLFLOW_", "AZUREML_", "HYDRA_")) and k not in ("PYTHONPATH", "VIRTUAL_ENV")
        }
        env.update(variables, PATH=f"{self.venv / 'bin'}{os.pathsep}{env['PATH']}")
        return subprocess.run(
            argv, cwd=cwd or self.project, env=env, capture_output=True, text=True, timeout=timeout
        )


def _checked(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    root = tmp_path_factory.mktemp("wheel-install")
    assert not root.resolve().is_relative_to(REPO)
    dist, venv, project = root / "dist", root / "venv", root / "project"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    _checked(
        subprocess.run(
            [*pip, "wheel", "-q", "--no-deps", str(REPO), str(REPO / "launchers"), "-w", str(dist)],
            capture_output=True,
            text=True,
            timeout=300,
        )
    )
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    [moonml] = dist.glob("moonml-*.whl")
    [launcher] = dist.glob("hydra_azureml_launcher-*.whl")
    user = Installed(venv, dist, project)
    (project / "data").mkdir(parents=True)
    _checked(user.run("python", "-m", "pip", "install", "-q", "pip>=25.3", timeout=300))
    _checked(user.run("python", "-m", "pip", "install", "-q", f"{moonml}[azure]", str(launcher), timeout=900))
    shutil.copy2(TRAIN_CSV, project / "data" / "train.csv")
    shutil.copy2(TEST_CSV, project / "data" / "test.csv")
    yield user


def test_the_wheel_carries_the_configs(installed: Installed) -> None:
    [moonml] = installed.dist.glob("moonml-*.whl")
    names = zipfile.ZipFile(moonml).namelist()
    assert "moonml/conf/config.yaml" in names and "moonml/conf/model/random_forest.yaml" in names
    assert not any(name.startswith("conf/") for name in names)


def test_help_and_cfg_job_from_an_empty_folder(installed: Installed) -> None:
    shown = _checked(installed.run("moonml", "--help")).stdout
    # The packaged groups, read from the wheel (no conf/ in the folder).
    assert "model: extra_trees, hist_gradient_boosting, logistic_regression, random_forest" in shown
    job = yaml.safe_load(_checked(installed.run("moonml", "--cfg", "job")).stdout)
    assert job["data"]["train_path"] == "data/train.csv"


def test_a_default_run_then_the_registry_download(installed: Installed) -> None:
    _checked(installed.run("python", "-m", "moonml", *SMALL_GRID))
    assert (installed.project / "mlflow.db").is_file()
    _checked(installed.run("python", "-m", "moonml.model", "download", "moon_model:1", "--output", "model"))
    assert (installed.project / "model" / "MLmodel").is_file()


def test_a_multirun(installed: Installed) -> None:
    done = _checked(installed.run("python", "-m", "moonml", "-m", "seed=1,2", *SMALL_GRID))
    assert "[job 0]" in done.stdout + done.stderr and "[job 1]" in done.stdout + done.stderr


def test_data_generate(installed: Installed) -> None:
    _checked(installed.run("python", "-m", "moonml.data", "generate", "--output", "gen", "--samples", "50"))
    assert len((installed.project / "gen" / "train.csv").read_text().splitlines()) == 41
    # The tutorial's settings: the wheel carries the tutorial's own files.
    _checked(installed.run("python", "-m", "moonml.data", "generate", "--output", "tutorial"))
    for name, checkout_file in (("train.csv", TRAIN_CSV), ("test.csv", TEST_CSV)):
        assert (installed.project / "tutorial" / name).read_bytes() == checkout_file.read_bytes(), name


def test_the_users_own_options_are_found_and_shown(installed: Installed) -> None:
    """Options in the project's conf/ extend the packaged groups, without touching the package."""
    conf = installed.project / "conf"
    (conf / "data").mkdir(parents=True)
    (conf / "model").mkdir()
    (conf / "data" / "mydata.yaml").write_text(MY_DATA)
    (conf / "model" / "my_forest.yaml").write_text(MY_FOREST)
    shutil.copytree(installed.project / "data", installed.project / "mine")
    shown = _checked(installed.run("moonml", "--help")).stdout
    assert "mydata" in shown and "my_forest" in shown
    shown = _checked(installed.run("moonml", "--cfg", "job", "data=mydata", "model=my_forest")).stdout
    job = yaml.safe_load(shown)
    assert job["data"]["train_path"] == "mine/train.csv" and job["model"]["cv"] == 2
    _checked(installed.run("python", "-m", "moonml", "data=mydata", "model=my_forest", "tracking=none"))


def _launch(installed: Installed, sweep: Path, *settings: str) -> None:
    """The user's own model option, shipped by the launcher from the user's folder."""
    launcher = ("-m", "hydra/launcher=azureml", *settings, f"hydra.sweep.dir={sweep}")
    _checked(installed.run("python", "-m", "moonml", *launcher, "model=my_forest", "tracking=none"))


def test_the_launchers_local_backend_runs_the_users_folder(installed: Installed) -> None:
    # What the earlier runs left here (MLflow's store, a downloaded model) is not for a job:
    # the project says so, as docs/azureml.md tells a wheel user to.
    (installed.project / ".amlignore").write_text("/mlruns/\n/model/\n/gen/\n")
    sweep = installed.project / "local-sweep"
    _launch(installed, sweep, "hydra.launcher.backend=local")
    [metrics] = sweep.glob("*/metrics.json")
    assert json.loads(metrics.read_text())["accuracy"] > 0.8


def test_the_dry_run_ships_the_installed_wheels_and_its_command_installs_them(installed: Installed) -> None:
    sweep = installed.project / "dry-sweep"
    _launch(installed, sweep, "compute=cpu-cluster", "hydra.launcher.dry_run=true")
    [command] = sweep.glob("*/azureml/command.txt")
    snapshot = sweep / "azureml_snapshot"
    # The job's environment: the shipped distributions' requirements, pinned as installed here.
    [environment] = sweep.glob("*/azureml/environment.json")
    pip_list = ("python", "-m", "pip", "list", "--format=json")
    versions = {p["name"]: p["version"] for p in json.loads(_checked(installed.run(*pip_list)).stdout)}
    assert f"scikit-learn=={versions['scikit-learn']}" in environment.read_text()
    assert f"hydra-core=={versions['hydra-core']}" in environment.read_text()  # the launcher's
    # The node has neither distribution: uninstalled here, the command must bring the very
    # versions this machine runs, from the snapshot alone (--no-index), then run the job as the
    # launcher's local backend does (it marks the process as a shipped job).
    uninstall = ("python", "-m", "pip", "uninstall", "-q", "-y", "moonml", "hydra-azureml-launcher")
    _checked(installed.run(*uninstall))
    assert shlex.split(command.read_text())[:4] == ["python", "-m", "pip", "install"]
    job = installed.run("bash", "-c", command.read_text(), cwd=snapshot, **{BACKEND_VAR: "local"})
    _checked(job)
    versions = {p["name"]: p["version"] for p in json.loads(_checked(installed.run(*pip_list)).stdout)}
    assert versions["moonml"] == "0.1.0" and versions["hydra-azureml-launcher"] == "0.1.0"
    assert json.loads((snapshot / "outputs" / "metrics.json").read_text())["accuracy"] > 0.8
