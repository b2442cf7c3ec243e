"""Bad workspace setup through the real command: one line, what to do, exit 1, no traceback."""

import json

import pytest

from tests.helpers import DATA, run_python, scrubbed_env


def register(tmp_path, *overrides: str, **env: str):
    return run_python(
        ["-m", "moonml.data", "register", "--name", "moon_dataset", "--path", str(DATA), *overrides],
        env=scrubbed_env(**env),
        cwd=tmp_path,
    )


def assert_one_line_error(result, starts: str) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"error: {starts}"), result.stderr
    return result.stderr


@pytest.mark.e2e
def test_no_config_json(tmp_path) -> None:
    err = assert_one_line_error(register(tmp_path), "no AzureML workspace configured")
    assert "Download config.json" in err


@pytest.mark.e2e
def test_interactive_login_without_terminal(tmp_path) -> None:
    (tmp_path / "config.json").write_text(
        json.dumps({"subscription_id": "s", "resource_group": "r", "workspace_name": "w"})
    )
    result = register(tmp_path, "azureml.auth=device_code")
    err = assert_one_line_error(result, "azureml.auth=device_code needs a terminal")
    assert "AZURE_CLIENT_SECRET" in err


@pytest.mark.e2e
def test_half_a_service_principal(tmp_path) -> None:
    result = register(
        tmp_path,
        "azureml.subscription_id=s",
        "azureml.resource_group=r",
        "azureml.workspace_name=w",
        AZURE_TENANT_ID="t",
    )
    assert_one_line_error(
        result, "service principal credentials incomplete: AZURE_CLIENT_ID, AZURE_CLIENT_SECRET"
    )


@pytest.mark.e2e
def test_full_traceback_on_request(tmp_path) -> None:
    """HYDRA_FULL_ERROR=1 is the documented way to see where a message came from."""
    result = register(tmp_path, HYDRA_FULL_ERROR="1")
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "no AzureML workspace configured" in result.stderr
