"""The launcher's SDK v1 path uses azureml-core's public API, and says so when that changes.

Private SDK functions come and go without notice: the v1 modules name none. Where the public
form is not guaranteed (repr() of a RunConfiguration being its JSON), another form is one line
naming the installed version. (Run ids made without the SDK's private helper: test_wait.py.)
"""

import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from azureml.core import RunConfiguration
from azureml_launcher.errors import LauncherError

from tests.helpers import REPO
from tests.launcher.test_dry_run import dry_run

LAUNCHER = REPO / "launchers" / "azureml_launcher"
V1_MODULES = ("v1/run_config.py", "v1/dry_run.py", "v1/submit.py", "wait.py")
# azureml.x._private, or `from azureml.x import _private`
PRIVATE = re.compile(r"\bazureml(?:\.\w+)*\._\w+|\bfrom azureml[\w.]* import \(?\s*_\w+")


def test_the_v1_path_names_no_private_sdk_function() -> None:
    """azureml-core's private functions cannot be removed to prove it (the SDK calls them
    itself), so the launcher's v1 modules are read: no `azureml..._name` anywhere in them."""
    found = {
        module: PRIVATE.findall((LAUNCHER / module).read_text(encoding="utf-8")) for module in V1_MODULES
    }
    assert found == {module: [] for module in V1_MODULES}


def test_an_unknown_run_configuration_form_names_the_sdk_version(
    hydra_sweep_runner: Any, moonml_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RunConfiguration, "__repr__", lambda self: "RunConfiguration(...)")
    sweep = dry_run(hydra_sweep_runner, moonml_copy, tmp_path / "sweep", ["compute=cpu-cluster"])
    with pytest.raises(LauncherError) as caught, sweep:
        pass
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"azureml-core {version('azureml-core')} no longer shows a RunConfiguration")
    assert message.endswith("install the azureml-core version pyproject.toml names")
