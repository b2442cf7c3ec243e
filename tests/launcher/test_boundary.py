"""The plugin is a Hydra launcher for any Hydra app: it knows nothing of moonml.

Hydra's plugin scan imports every public module of the plugin at each start-up, so only the
launcher class and its config are public; no stack inspection, no private Hydra API.
"""

import re
from pathlib import Path

from tests.launcher.conftest import REPO, run

PLUGIN = REPO / "launchers" / "hydra_plugins" / "hydra_azureml_launcher"
# What the plugin must not contain: the app it happens to ship, install hints of an app, tricks.
FORBIDDEN = {
    "moonml": re.compile(r"moonml", re.IGNORECASE),
    # (*.sqlite files are dropped as generic local databases, not as an MLflow store.) MLflow
    # itself may be named: with sdk=v2 the workspace's MLflow service is Azure's only way to
    # read a job's metrics (azure-ai-ml has no metrics API), as v1 has run.get_metrics().
    "MLflow store details": re.compile(r"mlruns|mlartifacts|sqlite:|mlflow\.db", re.IGNORECASE),
    "an install hint": re.compile(r"pip install"),
    "private Hydra API": re.compile(r"hydra\._internal"),
    "stack inspection": re.compile(r"_getframe|inspect\.stack|f_locals"),
}


def sources() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(PLUGIN.glob("*.py"))}


def test_only_the_launcher_and_its_config_are_public() -> None:
    public = sorted(name for name in sources() if not name.startswith("_"))
    assert public == ["azureml_launcher.py", "config.py"]


def test_no_app_knowledge_and_no_private_hydra_api() -> None:
    found = [
        f"{name}: {what}"
        for name, text in sources().items()
        for what, pattern in FORBIDDEN.items()
        if pattern.search(text)
    ]
    assert found == []


def test_the_plugin_imports_without_moonml(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'moonml':\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import importlib, pkgutil\n"
        "import hydra_plugins.hydra_azureml_launcher as p\n"
        "for m in pkgutil.iter_modules(p.__path__):\n"
        "    importlib.import_module(f'{p.__name__}.{m.name}')\n"
        "print('ok')\n"
    )
    done = run(["-c", code], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
