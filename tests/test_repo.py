"""Repository hygiene that CI enforces: lint-clean code, a README whose commands are the ones CI runs."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
    result = subprocess.run([ruff, "check", "."], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_the_readme_test_commands() -> None:
    """The everyday command (the install, then `pytest`) and the end-to-end one, both as written."""
    readme = (REPO / "README.md").read_text()
    commands = [line for line in (REPO / ".ci" / "run").read_text().splitlines() if "pytest" in line]
    assert len(commands) == 2, commands
    everyday, end_to_end = commands
    # The launcher is its own distribution (launchers/), not on an index: installed in the same command.
    assert 'pip install -e ./launchers -e ".[azure,test]"' in everyday
    assert everyday.endswith("&& pytest")
    assert end_to_end == "pytest -m e2e -n 0"
    for command in commands:
        assert re.search(rf"^(.* && )?{re.escape(command)}$", readme, re.MULTILINE), command


def test_test_modules_imported_by_bare_name_have_unique_names() -> None:
    """pytest imports a test file in a folder without __init__.py by its bare name (tests/ is a
    package, its subfolders and launchers/tests are not): two such files of one name clash."""
    folders = [d for d in (REPO / "tests").iterdir() if d.is_dir() and not (d / "__init__.py").exists()]
    folders.append(REPO / "launchers" / "tests")
    names = [p.name for folder in folders for p in folder.glob("*.py") if p.name != "conftest.py"]
    assert sorted({n for n in names if names.count(n) > 1}) == []


def test_the_sdks_import_without_an_unfiltered_warning() -> None:
    """The everyday run shows no third-party deprecation but new ones: pyproject's filters cover
    what importing the SDKs warns today (azure-ai-ml's schemas warned ~2,000 times per run)."""
    import tomllib

    filters = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"][
        "filterwarnings"
    ]
    code = (
        "import warnings\n"
        "from _pytest.config import apply_warning_filters\n"
        "warnings.simplefilter('error')\n"
        f"apply_warning_filters({filters!r}, [])\n"
        "import azure.ai.ml.entities, azureml.core, optuna.storages\n"
        "from azure.ai.ml import MLClient, command\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_every_serve_command_says_it_needs_the_activated_environment() -> None:
    """`mlflow models serve` starts uvicorn from PATH: `.venv/bin/mlflow models serve` alone fails."""
    pages = [REPO / "README.md", *(REPO / "docs").glob("*.md")]
    for page in pages:
        lines = page.read_text().splitlines()
        for number, line in enumerate(lines):
            if "mlflow models serve" in line:
                nearby = "\n".join(lines[max(0, number - 4) : number + 5])
                assert ". .venv/bin/activate" in nearby, f"{page.name}:{number + 1}"


@pytest.mark.e2e  # a whole training run (in-process), for a docs tool
def test_make_figure_draws_the_readmes_own_data_pictures(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_figure", REPO / "docs" / "make_figure.py")
    make_figure = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_figure)
    names = ["confusion_matrix.png", "feature_importance.png"]
    written = make_figure.main(["model.grid.n_estimators=[5]"], names, "breast_cancer", folder=tmp_path)
    assert written == [tmp_path / name for name in names]
    assert all(path.read_bytes().startswith(b"\x89PNG") for path in written)
