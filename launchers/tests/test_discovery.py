"""Hydra finds the plugin in a fresh process, and finding it costs no heavy import."""

import json
from pathlib import Path

from launcher_helpers import run

PROBE = """
import json, sys
from hydra.core.config_store import ConfigStore
from hydra.core.plugins import Plugins
from hydra.plugins.launcher import Launcher
launchers = sorted(f"{c.__module__}.{c.__name__}" for c in Plugins.instance().discover(Launcher))
node = ConfigStore.instance().load("hydra/launcher/azureml.yaml")
heavy = sorted(m for m in ("azureml", "azureml.core", "mlflow", "sklearn") if m in sys.modules)
print(json.dumps({"launchers": launchers, "package": node.package, "heavy": heavy,
                  "target": node.node._target_}))
"""


def test_hydra_discovers_the_launcher_without_heavy_imports(tmp_path: Path) -> None:
    done = run(["-c", PROBE], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert "hydra_plugins.hydra_azureml_launcher.azureml_launcher.AzureMLLauncher" in found["launchers"]
    assert found["target"].startswith("hydra_plugins.")
    assert found["package"] == "hydra.launcher"  # settings only: no callback, no mode
    assert found["heavy"] == []  # startup scans every non-underscore module of the plugin


def test_launcher_options_are_listed_by_an_app(tmp_path: Path) -> None:
    done = run(
        ["-m", "tinyapp", "hydra/launcher=azureml", "--cfg", "hydra", "--package", "hydra.launcher"],
        cwd=Path(__file__).resolve().parent / "example_app",
    )
    assert done.returncode == 0, done.stderr
    for line in [
        "backend: azureml",
        "dry_run: false",
        "wait: false",
        "max_snapshot_mb: 300.0",
        "max_snapshot_files: 2000",
        "max_data_mb: 10.0",
        "compute_target: ${oc.select:compute.target,null}",
    ]:
        assert line in done.stdout
