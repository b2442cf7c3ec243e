"""A Hydra plugin that fails to load does not take moonml down with it.

Installed on Python 3.11, hydra-nevergrad-sweeper (every version on the index) raised a ValueError
while Hydra scanned its plugins, and every `python -m moonml` command ended in that traceback.
"""

from pathlib import Path

import pytest

from tests.helpers import TINY_GRID, clean_env, data_args, run_moonml

BROKEN_PLUGIN = Path(__file__).parent / "broken_plugin"


@pytest.mark.e2e
@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        [*TINY_GRID, "tracking=none"],
        # Hydra scans its plugins again in each job's process.
        ["-m", "seed=1,2", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", *TINY_GRID, "tracking=none"],
    ],
    ids=["help", "run", "joblib-sweep"],
)
def test_moonml_runs_beside_a_plugin_that_fails_to_load(args: list[str], tmp_path: Path) -> None:
    result = run_moonml(*args, *data_args(), cwd=tmp_path, env=clean_env(PYTHONPATH=str(BROKEN_PLUGIN)))
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("warning: the Hydra plugin hydra_plugins.broken_sweeper fails to load ")
    assert "ValueError: mutable default" in lines[0] and "moonml runs without it" in lines[0]
    if "-m" in args:
        assert len(list(tmp_path.glob("multirun/*/*/[01]/metrics.json"))) == 2
