"""The e2e marker selects what it says: an unmarked test that starts moonml, a server or an install
fails (tests/conftest.py), so the everyday run never pays for a process it did not ask for."""

import subprocess
import sys

import pytest

from tests.helpers import END_TO_END_COMMAND


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "moonml", "--help"],
        [sys.executable, "-X", "importtime", "-m", "moonml.data", "generate"],
        ["/venv/bin/moonml", "seed=1"],
        ["/venv/bin/mlflow", "server", "--port", "5000"],
        [sys.executable, "-m", "venv", "/tmp/v"],
        ["bash", "-c", 'eval "$(moonml --shell-completion install=bash)"'],
    ],
)
def test_an_unmarked_test_cannot_start_moonml_a_server_or_an_install(command: list[str]) -> None:
    with pytest.raises(pytest.fail.Exception, match="mark it e2e"):
        subprocess.Popen(command)  # refused before anything starts


@pytest.mark.parametrize(
    "command",
    ["python -c import mlflow", "git -C /work/moonml rev-parse HEAD", "ruff check .", "bash -c echo moonml"],
)
def test_quick_probes_and_tools_are_not_end_to_end(command: str) -> None:
    assert END_TO_END_COMMAND.search(command) is None
