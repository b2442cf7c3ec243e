"""moonml through the launcher: moonml's project copy; the launcher's own fixtures come from its
tests (launchers/tests/launcher_helpers.py), moonml's sweep through it from tests/helpers.py."""

import shutil
from pathlib import Path

import pytest
from launcher_helpers import deadlines, own_cache, tinyapp  # noqa: F401  (fixtures, shared)

from tests.helpers import REPO


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
