"""Shared helpers and fixtures of the launcher's tests: the example apps, the project copies they
ship, a user's command in a fresh process. moonml's launcher tests (tests/launcher) use them too."""

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import azureml_launcher
import pytest

HERE = Path(__file__).resolve().parent
# Where the imported launcher's two packages are (hydra_plugins/ beside azureml_launcher/): the
# checkout's launchers/ in an editable install, site-packages in a normal one.
SOURCES = Path(azureml_launcher.__file__).resolve().parent.parent
EXAMPLE_APP = HERE / "example_app"
SUITE_APP = HERE / "suite_app"
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def run(
    argv: Sequence[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 240,
    wrapper: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """Run a Python command as a user would (a fresh process), output captured; `wrapper` is a
    command that runs it (e.g. setpriv with its options)."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("HYDRA_FULL_ERROR", None)
    return subprocess.run(
        [*wrapper, sys.executable, *argv],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The launcher remembers its secret scans in the user's cache: each test has its own (not
    all of XDG_CACHE_HOME: matplotlib would build its font cache again in every job)."""
    from azureml_launcher.snapshot.secret_scan import CACHE_VAR

    cache = tmp_path / "scan-cache"
    monkeypatch.setenv(CACHE_VAR, str(cache))
    return cache


@pytest.fixture
def deadlines(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    """The deadline of each call the launcher makes under one, by what it was doing (the words
    before any " (...")."""
    from azureml_launcher import workspace
    from hydra.core.plugins import Plugins

    # Hydra's plugin scan re-executes the plugin's modules: let it happen before the patch.
    Plugins.instance()
    seen: dict[str, float] = {}
    real = workspace.call_with_deadline

    def record(fn: Any, timeout_s: float, what: str) -> Any:
        seen[what.split(" (")[0]] = timeout_s
        return real(fn, timeout_s, what)

    monkeypatch.setattr(workspace, "call_with_deadline", record)
    return seen


@pytest.fixture
def tinyapp(tmp_path: Path) -> Path:
    """A copy of the example app, with files that must never ship planted around it."""
    project = tmp_path / "tinyproject"
    shutil.copytree(EXAMPLE_APP, project, ignore=shutil.ignore_patterns("__pycache__"))
    (project / ".env").write_text("SECRET=1\n")
    (project / "tinyapp" / "config.json").write_text('{"subscription_id": "x"}')
    (project / "notes.tmp").write_text("ignored by .amlignore\n")
    (project / ".amlignore").write_text("*.tmp\n")
    return project


def plant(project: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def git(project: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=project, check=True, capture_output=True, timeout=60)


def dry_run(project: Path, sweep: Path, *overrides: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """`python -m tinyapp` dry-run through the launcher, as a user types it in the project."""
    return run(
        [
            "-m",
            "tinyapp",
            "-m",
            "hydra/launcher=azureml",
            "hydra.launcher.dry_run=true",
            "hydra.launcher.compute_target=cpu-cluster",
            "hydra.launcher.environment={type:docker,image:'reg/img:1'}",
            f"hydra.sweep.dir={sweep}",
            *overrides,
        ],
        cwd=kwargs.pop("cwd", project),
        **kwargs,
    )


def shipped(sweep: Path) -> set[str]:
    """What the dry run lists as shipped; exactly what it materialised."""
    listed = {
        line.split("\t")[1] for line in (sweep / "0/azureml/snapshot_files.tsv").read_text().splitlines()
    }
    materialised = sweep / "azureml_snapshot"
    assert listed == {p.relative_to(materialised).as_posix() for p in materialised.rglob("*") if p.is_file()}
    return listed


def left_out(sweep: Path) -> dict[str, str]:
    lines = (sweep / "0/azureml/snapshot_left_out.tsv").read_text().splitlines()
    return dict(line.split("\t") for line in lines)
