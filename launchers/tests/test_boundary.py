"""The launcher is a Hydra launcher for any Hydra app: it knows nothing of the app it ships.

Hydra's plugin scan imports every public module of the plugin at each start-up, so only the
launcher class and its config are public there (the machinery sits in the azureml_launcher
package beside it); no stack inspection, no private Hydra API.
"""

import re
from pathlib import Path

from launcher_helpers import SOURCES, run

PLUGIN = SOURCES / "hydra_plugins" / "hydra_azureml_launcher"
MACHINERY = SOURCES / "azureml_launcher"
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
    """Every Python source of the distribution, by path."""
    files = [*PLUGIN.rglob("*.py"), *MACHINERY.rglob("*.py")]
    return {p.relative_to(SOURCES).as_posix(): p.read_text(encoding="utf-8") for p in sorted(files)}


def test_only_the_launcher_and_its_config_are_public() -> None:
    public = sorted(p.name for p in PLUGIN.glob("*.py") if not p.name.startswith("_"))
    assert public == ["azureml_launcher.py", "config.py"]


def test_no_app_knowledge_and_no_private_hydra_api() -> None:
    read = sources()
    assert {"hydra_plugins/hydra_azureml_launcher/config.py", "azureml_launcher/api.py"} <= set(read)
    found = [
        f"{name}: {what}"
        for name, text in read.items()
        for what, pattern in FORBIDDEN.items()
        if pattern.search(text)
    ]
    assert found == []


def test_every_module_imports_without_moonml(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'moonml':\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import importlib, pkgutil\n"
        "import azureml_launcher, hydra_plugins.hydra_azureml_launcher as p\n"
        "for q in (p, azureml_launcher):\n"
        "    for m in pkgutil.walk_packages(q.__path__, q.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "print('ok')\n"
    )
    done = run(["-c", code], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
