"""The launcher is a distribution of its own: installed alone (no moonml) in a fresh virtual
environment, its own tests pass there."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO

LAUNCHERS = REPO / "launchers"


def _run(argv: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "HYDRA_FULL_ERROR")}
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.mark.e2e
@pytest.mark.timeout(1500)
def test_the_launcher_installs_and_passes_its_tests_without_moonml(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    done = _run([*pip, "pip>=25.3"], tmp_path, 300)
    assert done.returncode == 0, done.stderr[-3000:]
    # A normal (not editable) install: the tests run against what the wheel carries.
    done = _run([*pip, f"{LAUNCHERS}[azure,test]"], tmp_path, 900)
    assert done.returncode == 0, done.stderr[-3000:]
    done = _run([str(python), "-c", "import moonml"], tmp_path, 60)
    assert "No module named 'moonml'" in done.stderr
    # The tests and their settings only, outside the checkout: nothing of it is on sys.path.
    suite = tmp_path / "launcher-tests"
    shutil.copytree(LAUNCHERS / "tests", suite / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(LAUNCHERS / "pyproject.toml", suite / "pyproject.toml")
    # All of them: its pyproject leaves the end-to-end ones out by default; -m "" takes them back.
    done = _run([str(venv / "bin" / "pytest"), "-q", "-p", "no:cacheprovider", "-m", ""], suite, 1200)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
    assert " passed" in done.stdout.splitlines()[-1]
