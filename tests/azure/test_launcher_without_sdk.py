"""The azureml launcher on an install without the AzureML SDK: one line saying what to install."""

from pathlib import Path

import pytest

from tests.helpers import REPO, run_python, scrubbed_env

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("mode", [["hydra.launcher.dry_run=true"], []], ids=["dry-run", "submit"])
def test_the_launcher_names_the_package_to_install(mode: list[str], tmp_path: Path, block_imports) -> None:
    env = scrubbed_env(PYTHONPATH=block_imports("azureml"))
    args = ["hydra/launcher=azureml", "compute=cpu-cluster", "tracking=none", f"hydra.sweep.dir={tmp_path}/s"]
    result = run_python(["-m", "moonml", *args, *mode], env=env, cwd=REPO, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "ModuleNotFoundError" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if "azureml-core package" in line]
    assert "AzureML SDK" in line and "moonml" not in line
    assert not (tmp_path / "s" / "0").exists()  # refused before any job was written


@pytest.mark.parametrize("mode", [["hydra.launcher.dry_run=true"], []], ids=["dry-run", "submit"])
def test_sdk_v2_names_azure_ai_ml(mode: list[str], tmp_path: Path, block_imports) -> None:
    env = scrubbed_env(PYTHONPATH=block_imports("azure.ai.ml"))
    args = [
        "hydra/launcher=azureml",
        "hydra.launcher.sdk=v2",
        "compute=cpu-cluster",
        "tracking=none",
        f"hydra.sweep.dir={tmp_path}/s",
    ]
    result = run_python(["-m", "moonml", *args, *mode], env=env, cwd=REPO, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "ModuleNotFoundError" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if "azure-ai-ml package" in line]
    assert "AzureML SDK" in line and "moonml" not in line and "pip install" not in line
    assert not (tmp_path / "s" / "0").exists()


def test_sdk_v2_dry_run_needs_no_azureml_core(tmp_path: Path, block_imports) -> None:
    """sdk=v2 builds its job with azure-ai-ml alone: an install without v1's SDK dry-runs it."""
    env = scrubbed_env(PYTHONPATH=block_imports("azureml"))
    args = [
        "hydra/launcher=azureml",
        "hydra.launcher.sdk=v2",
        "hydra.launcher.dry_run=true",
        "compute=cpu-cluster",
        "tracking=none",
        f"hydra.sweep.dir={tmp_path}/s",
    ]
    result = run_python(["-m", "moonml", *args], env=env, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "s" / "0" / "azureml" / "job.yml").is_file()
