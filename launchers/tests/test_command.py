"""Which overrides a shipped job replays, and how they are quoted."""

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from azureml_launcher.command import (
    check_entry_shipped,
    hydra_value,
    is_replayed_hydra_override,
)
from azureml_launcher.errors import LauncherError


@pytest.mark.parametrize(
    "override, replayed",
    [
        ("hydra/launcher=azureml", False),
        ("hydra.launcher.wait=true", False),
        ("+hydra.launcher.env_vars.A=1", False),
        ("hydra/sweeper=optuna", False),
        ("hydra.sweeper.n_trials=5", False),
        ("hydra.sweep.dir=/x", False),
        ("hydra.run.dir=/x", False),
        ("hydra.mode=MULTIRUN", False),
        ("hydra.job.num=3", False),
        ("hydra.job.name=custom", True),
        ("hydra.job.chdir=True", True),
        ("hydra/job_logging=disabled", True),
        ("hydra.verbose=true", True),
        ("hydra.job.env_set.A=1", True),
    ],
)
def test_replayed_hydra_overrides(override: str, replayed: bool) -> None:
    assert is_replayed_hydra_override(override) is replayed


@pytest.mark.parametrize(
    "value, expected",
    [
        ("outputs", "outputs"),
        ("/tmp/multirun/2026-11-26/04-30-00/0", "/tmp/multirun/2026-11-26/04-30-00/0"),
        ("/tmp/hydra_cfg/a=1,b=2", "'/tmp/hydra_cfg/a=1,b=2'"),
        ("/tmp/it's here", "'/tmp/it\\'s here'"),
    ],
)
def test_hydra_value_quoting(value: str, expected: str) -> None:
    assert hydra_value(value) == expected


def test_shell_quoting_keeps_each_override_one_argument() -> None:
    argv = ["python", "-m", "app", "model.grid.max_depth=[2,null]", "name='a b'", "x=$HOME"]
    assert shlex.split(shlex.join(argv)) == argv


def test_entry_must_be_in_the_snapshot() -> None:
    check_entry_shipped(["python", "-m", "pkg"], {"pkg/__main__.py", "conf/c.yaml"})
    check_entry_shipped(["python", "-m", "mod"], {"mod.py"})
    check_entry_shipped(["python", "app.py"], {"app.py"})
    with pytest.raises(LauncherError, match="does not contain 'pkg'"):
        check_entry_shipped(["python", "-m", "pkg.sub"], {"other/x.py"})
    with pytest.raises(LauncherError, match=r"does not contain app\.py"):
        check_entry_shipped(["python", "app.py"], {"pkg/app.py"})


APP_PACKAGE = {
    "__init__.py": "",
    # @hydra.main sits in a module of its own; __main__ only starts it, as many apps do.
    "app.py": "def task(cfg):\n    return None\n",
    "__main__.py": (
        "import sys\n"
        "from pathlib import Path\n"
        "from azureml_launcher.command import detect_entry\n"
        "from appkg.app import task\n"
        "print(' '.join(detect_entry(task, Path.cwd())))\n"
    ),
}


def test_an_app_started_with_python_m_is_started_the_same_way_wherever_its_task_function_is(
    tmp_path: Path,
) -> None:
    package = tmp_path / "appkg"
    package.mkdir()
    for name, text in APP_PACKAGE.items():
        (package / name).write_text(text)
    result = subprocess.run(
        [sys.executable, "-m", "appkg"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "python -m appkg"
