"""Every command of the README and of docs/, in reading order, in a fresh copy of the project: the
docs cannot drift.

Reading order is the README, then the pages in the order docs/README.md (the index) links them,
so a page may use what an earlier one made (a registered model, a model on the example server).
Each command line of a ```bash block must be listed below: run as written, run with smaller
settings (the grid, the data size), pointed at a real local MLflow server instead of the docs'
example address, or skipped for a stated reason. A new or changed line fails
`test_every_docs_command_is_accounted_for` until it is placed here.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, clean_env

pytestmark = pytest.mark.e2e

EXAMPLE_SERVER = "http://127.0.0.1:5000"
# Appended to every training run: one small candidate instead of the default 24.
SMALL = {"n_estimators": "[10]", "criterion": "[gini]", "max_depth": "[5]"}
SKIP = {
    "moonml data=cancer": "needs the README's conf/data/cancer.yaml (tests/config/test_user_options.py)",
    "pytest": "this is the test suite itself",
    "mlflow ui ": "a long-lived UI server; the runs it shows are checked by the tracking tests",
    "docker ": "no Docker engine here; hadolint checks the Dockerfile (tests/test_container.py)",
    "python -m moonml compute=gpu-cluster": "needs an AzureML workspace",
    "moonml compute=gpu-cluster": "needs an AzureML workspace",
    "python -m moonml hydra/launcher=azureml compute=gpu-cluster": "needs an AzureML workspace",
    "mlflow models serve ": "a long-lived model server; test_train.py serves a downloaded model",
    "python -m moonml -m hydra/launcher=azureml compute=cpu-cluster seed": "needs an AzureML workspace",
    "python -m moonml hydra/launcher=azureml azureml.sdk=v2 compute=gpu": "needs an AzureML workspace",
    "python -m moonml.data register --name moon_dataset azureml.sdk=v2": "needs an AzureML workspace",
    "python -m moonml.data register --name cancer_dataset": "needs an AzureML workspace",
    "moonml data=azureml data.name=cancer_dataset": (
        "needs an AzureML workspace (tests/data/test_azureml_tables.py reads a dataset as a job does)"
    ),
    "python -m moonml.model download moon_model:1 --output outputs/model-v2 tracking=azureml": (
        "needs an AzureML workspace"
    ),
}
SMALLER = {
    "--samples 1000000": "--samples 2000",
    "data.n_samples=100000": "data.n_samples=2000",
    "hydra.sweeper.n_trials=20": "hydra.sweeper.n_trials=2",
    "hydra.sweeper.n_trials=4": "hydra.sweeper.n_trials=2",
}
INSTALL = re.compile(r"^python3 -m venv .* && (?P<rest>python -m moonml)$")


DOCS_INDEX = REPO / "docs" / "README.md"


def reading_order() -> list[Path]:
    """The README, then each page the docs index links, in order (a page not yet written: no commands)."""
    linked = re.findall(r"\]\(([\w-]+\.md)\)", DOCS_INDEX.read_text())
    pages = [DOCS_INDEX.parent / name for name in dict.fromkeys(linked)]
    return [REPO / "README.md", *[page for page in pages if page.is_file()]]


def docs_commands() -> list[tuple[str, str]]:
    """(page, command line) for every line of a ```bash block, in reading order."""
    commands = []
    for page in reading_order():
        text = page.read_text()
        blocks = re.findall(r"^ *```bash\n(.*?)^ *```", text, re.MULTILINE | re.DOTALL)
        # A line ending in a backslash goes on on the next one, as in the shell.
        joined = [re.sub(r"\\\n\s*", "", block) for block in blocks]
        name = str(page.relative_to(REPO))
        commands += [(name, line.strip()) for block in joined for line in block.splitlines() if line.strip()]
    return commands


def as_run(line: str) -> str | None:
    """The command this test runs for a docs line, or None for a skipped one."""
    if any(line.startswith(prefix) or f"&& {prefix}" in line for prefix in SKIP):
        return None
    command = re.sub(r"\s+#.*$", "", line)
    installed = INSTALL.match(command)
    if installed:  # the install needs the network; this environment is that install
        command = installed["rest"]
    for big, small in SMALLER.items():
        command = command.replace(big, small)
    if re.match(r"moonml |python -m moonml ", command) and "--cfg" not in command:
        command += "".join(
            f" 'model.grid.{k}={v}'" for k, v in SMALL.items() if f"model.grid.{k}=" not in command
        )
    return command


def test_every_docs_command_is_accounted_for() -> None:
    commands = docs_commands()
    assert len(commands) > 15
    for page, line in commands:
        run = as_run(line)
        assert run is None or run.split()[0] in {"python", "moonml", "eval"}, f"unplaced: {page}: {line}"


def test_every_docs_page_is_in_the_index() -> None:
    """A page left out of the index would have its commands left out of this test."""
    pages = {page.name for page in DOCS_INDEX.parent.glob("*.md")} - {DOCS_INDEX.name}
    unlisted = pages - {page.name for page in reading_order()}
    assert not unlisted, f"pages missing from {DOCS_INDEX.relative_to(REPO)}: {sorted(unlisted)}"


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's tracked files, as a fresh clone has them."""
    clone = tmp_path_factory.mktemp("clone")
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True)
    for name in tracked.stdout.splitlines():
        if (REPO / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, clone / name)
    return clone


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(line, id=f"{page}: {line.split('#')[0].strip()}")
        for page, line in docs_commands()
        if as_run(line)
    ],
)
def test_docs_command_runs(line: str, fresh_clone: Path, request: pytest.FixtureRequest) -> None:
    command = as_run(line)
    if EXAMPLE_SERVER in command:
        command = command.replace(EXAMPLE_SERVER, request.getfixturevalue("mlflow_server"))
    bin_dir = str(Path(sys.executable).parent)
    env = clean_env(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", VIRTUAL_ENV=str(Path(bin_dir).parent))
    result = subprocess.run(
        ["bash", "-c", f"set -e; {command}"],
        cwd=fresh_clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr


def test_example_outputs_stay_out_of_git_and_the_snapshot(fresh_clone: Path) -> None:
    """After the commands above: what they wrote (but the tutorial's data/) is ignored and unshipped."""
    from azureml_launcher.snapshot import contents as _snapshot

    folders = {
        re.search(r"--output (\S+)", line)[1]
        for _, line in docs_commands()
        if "--output " in line and as_run(line)
    }
    ignored = (fresh_clone / ".gitignore").read_text().splitlines()
    for folder in folders - {"data"}:
        assert f"{folder.split('/')[0]}/" in ignored, folder
        assert (fresh_clone / folder).is_dir(), folder  # the command ran and wrote there
    shipped = _snapshot.build(fresh_clone, ["python", "-m", "moonml"]).paths
    assert not [path for path in shipped if path.split("/")[0] in {"outputs", "multirun", "mlruns"}]
