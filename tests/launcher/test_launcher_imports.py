"""moonml uses the launcher through its public API only: `azureml_launcher.api` and its `__all__`.

Hydra's plugin package (hydra_plugins) and the launcher's machinery may change without notice;
the API is what the launcher distribution promises.
"""

import ast
import subprocess
import sys
from pathlib import Path

from azureml_launcher import api

from tests.helpers import REPO

LAUNCHER_PACKAGES = ("azureml_launcher", "hydra_plugins")
PUBLIC_MODULE = "azureml_launcher.api"


def _top(module: str) -> str:
    return module.split(".")[0]


def violations(root: Path) -> list[str]:
    """Each import of the launcher under root that is not its public API, as `file:line: what`."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        aliases: set[str] = set()  # local names bound to the api module
        where = f"{path.relative_to(root.parent).as_posix()}"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if _top(alias.name) not in LAUNCHER_PACKAGES:
                        continue
                    if alias.name == PUBLIC_MODULE and alias.asname:
                        aliases.add(alias.asname)
                    else:
                        found.append(f"{where}:{node.lineno}: import {alias.name}")
            elif isinstance(node, ast.ImportFrom) and node.module and _top(node.module) in LAUNCHER_PACKAGES:
                for alias in node.names:
                    if node.module == "azureml_launcher" and alias.name == "api":
                        aliases.add(alias.asname or alias.name)
                    elif node.module == PUBLIC_MODULE and alias.name in api.__all__:
                        continue
                    else:
                        found.append(f"{where}:{node.lineno}: from {node.module} import {alias.name}")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr not in api.__all__
            ):
                found.append(f"{where}:{node.lineno}: {node.value.id}.{node.attr} (not in api.__all__)")
    return found


def test_moonml_imports_nothing_private_from_the_launcher() -> None:
    assert violations(REPO / "moonml") == []


def test_the_check_sees_each_kind_of_private_import(tmp_path: Path) -> None:
    package = tmp_path / "app"
    package.mkdir()
    (package / "a.py").write_text(
        "from hydra_plugins.hydra_azureml_launcher import config\n"
        "from azureml_launcher import workspace\n"
        "from azureml_launcher.api import _private, first_line\n"
        "import azureml_launcher.job\n"
        "from azureml_launcher import api as launcher\n"
        "launcher.first_line, launcher.internal_helper\n"
    )
    assert violations(package) == [
        "app/a.py:1: from hydra_plugins.hydra_azureml_launcher import config",
        "app/a.py:2: from azureml_launcher import workspace",
        "app/a.py:3: from azureml_launcher.api import _private",
        "app/a.py:4: import azureml_launcher.job",
        "app/a.py:6: launcher.internal_helper (not in api.__all__)",
    ]


def test_the_public_api_imports_no_sdk_and_exports_what_it_names(tmp_path: Path) -> None:
    assert all(hasattr(api, name) for name in api.__all__)
    assert not [name for name in api.__all__ if name.startswith("_")]
    code = (
        "import sys, azureml_launcher.api\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('azure', 'azureml', 'mlflow')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_moonml_spells_no_name_of_the_job_contract() -> None:
    """The launcher's variables and class are named in its contract only; moonml asks the API."""
    spelled = [
        f"{path.relative_to(REPO).as_posix()}: {word}"
        for path in sorted((REPO / "moonml").rglob("*.py"))
        for word in ("HYDRA_AZUREML_LAUNCHER_", "AzureMLLauncher")
        if word in path.read_text(encoding="utf-8")
    ]
    assert spelled == []
