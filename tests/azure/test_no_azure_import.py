"""The base install never needs the azure packages: they are imported only by Azure features."""

import pytest

from tests.helpers import run_python, scrubbed_env

AZURE_MODULES = "sorted(m for m in sys.modules if m.split('.')[0] in ('azure', 'azureml'))"


def test_importing_the_azure_glue_imports_no_azure_package(tmp_path) -> None:
    code = (
        "import sys\n"
        "import azureml_launcher.workspace\n"
        "import moonml.azure, moonml.data.azureml, moonml.tracking.azureml_model, moonml.tracking.azureml\n"
        "import moonml.azure.settings, moonml.cli.data\n"
        f"print({AZURE_MODULES})\n"
    )
    result = run_python(["-c", code], env=scrubbed_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.e2e
def test_base_install_without_azure_packages(tmp_path, block_imports) -> None:
    """With azure and azureml unimportable, Hydra start-up (which imports workspace.py) and the
    data CLI still work, and data=azureml / tracking=azureml still compose."""
    env = scrubbed_env(PYTHONPATH=block_imports("azure", "azureml"))
    generate = run_python(
        ["-m", "moonml.data", "generate", "--output", str(tmp_path / "d"), "--samples", "40"],
        env=env,
        cwd=tmp_path,
    )
    assert generate.returncode == 0, generate.stderr
    compose = run_python(
        ["-m", "moonml", "data=azureml", "tracking=azureml", "--cfg", "job"], env=env, cwd=tmp_path
    )
    assert compose.returncode == 0, compose.stderr
    assert "source: azureml" in compose.stdout and "backend: azureml" in compose.stdout
    register = run_python(
        [
            "-m",
            "moonml.data",
            "register",
            "--name",
            "moon_dataset",
            "--path",
            str(tmp_path / "d"),
            "azureml.subscription_id=s",
            "azureml.resource_group=r",
            "azureml.workspace_name=w",
        ],
        env=env,
        cwd=tmp_path,
    )
    assert register.returncode == 1
    # dataprep is checked first, and it is blocked too: the message names the install command.
    assert register.stderr.startswith("error: AzureML datasets need azureml-dataprep")
    assert 'pip install -e ".[azure]"' in register.stderr
    assert "Traceback" not in register.stderr
