"""Repository hygiene that CI enforces: lint-clean code, a README whose commands are the ones CI runs."""

import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
    result = subprocess.run([ruff, "check", "."], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_the_readme_test_command() -> None:
    (command,) = [line for line in (REPO / ".ci" / "run").read_text().splitlines() if "pytest" in line]
    # The launcher is its own distribution (launchers/), not on an index: installed in the same command.
    assert 'pip install -e ./launchers -e ".[azure,test]"' in command
    assert command in (REPO / "README.md").read_text()
