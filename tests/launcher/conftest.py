"""moonml through the launcher: moonml's project copies and sweeps; the launcher's own helpers and
fixtures come from its tests (launchers/tests/launcher_helpers.py)."""

import shutil
from pathlib import Path
from typing import Any

import pytest
from launcher_helpers import (  # noqa: F401  (fixtures and helpers, shared)
    deadlines,
    dry_run,
    git,
    left_out,
    needs_git,
    own_cache,
    plant,
    run,
    shipped,
    tinyapp,
)

from moonml.config.schema import CONFIG_DIR, register_schemas
from tests.azure.conftest import offline_workspace  # noqa: F401  (a fixture, shared)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def moonml_sweep(runner: Any, project: Path, temp_dir: Path, overrides: list[str]) -> Any:
    """Hydra's in-process sweep runner for a moonml sweep through the azureml launcher.

    The command is pinned to `python -m moonml` (pytest is what started this process) and the
    jobs track nothing; `overrides` add the launcher mode, compute and environment under test.
    """
    register_schemas()
    return runner(
        calling_file=None,
        calling_module="moonml",
        task_function=None,
        config_path=CONFIG_DIR,
        config_name="config",
        overrides=[
            "hydra/launcher=azureml",
            f"hydra.launcher.source_dir={project}",
            "hydra.launcher.command='python -m moonml'",
            "tracking=none",
            *overrides,
        ],
        temp_dir=temp_dir,
    )


@pytest.fixture
def moonml_copy(tmp_path: Path) -> Path:
    """The moonml project as the launcher would ship it, plus planted secrets and state."""
    project = tmp_path / "project"
    for name in ("moonml", "conf", "data"):
        shutil.copytree(REPO / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("requirements.txt", "pyproject.toml", ".amlignore"):
        shutil.copy2(REPO / name, project / name)
    (project / "config.json").write_text('{"subscription_id": "top"}')
    (project / "conf" / "nested").mkdir()
    (project / "conf" / "nested" / "config.json").write_text('{"subscription_id": "nested"}')
    (project / ".env").write_text("AZURE_CLIENT_SECRET=hunter2\n")
    (project / "keys").mkdir()
    (project / "keys" / "client.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    (project / ".git-credentials").write_text("https://me:token@github.com\n")
    (project / "passwd_link").symlink_to("/etc/passwd")
    (project / "mlflow.db").write_bytes(b"SQLite format 3\x00")
    (project / "mlruns" / "0").mkdir(parents=True)
    (project / "mlruns" / "0" / "meta.yaml").write_text("x: 1\n")
    (project / "outputs").mkdir()
    (project / "outputs" / "old.txt").write_text("old run\n")
    (project / "tests").mkdir()
    (project / "tests" / "test_x.py").write_text("def test(): pass\n")
    (project / ".git").mkdir()
    (project / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return project
