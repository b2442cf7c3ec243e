"""A password in a tracking URI is used to connect and never shown: not on the console, not in the log."""

import re
from pathlib import Path

import pytest

from moonml.credentials import redact, without_credentials
from tests.helpers import SMALL_GRID, clean_env, data_args, free_port, run_moonml


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("at http://alice:s3cr3t@host:5000/x failed", "at http://alice:***@host:5000/x failed"),
        ("https://tok3n@host", "https://***@host"),
        ("postgresql://u:p%40ss@db/mlflow and http://h:1", "postgresql://u:***@db/mlflow and http://h:1"),
        ("sqlite:///mlflow.db", "sqlite:///mlflow.db"),
        ("mail alice@example.com", "mail alice@example.com"),
    ],
)
def test_redact_hides_passwords_of_uris(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_credentials_become_a_basic_auth_header() -> None:
    assert without_credentials("http://alice:s3%2Fcr3t@h:1/p") == (
        "http://h:1/p",
        {"Authorization": "Basic YWxpY2U6czMvY3IzdA=="},  # alice:s3/cr3t
    )
    assert without_credentials("http://h:1") == ("http://h:1", {})


def shown_anywhere(result, workdir: Path) -> str:
    logs = "".join(path.read_text() for path in workdir.rglob("moonml.log"))
    return result.stdout + result.stderr + logs


@pytest.mark.e2e
def test_a_run_against_a_server_with_credentials_never_shows_the_password(
    mlflow_server: str, tmp_path: Path
) -> None:
    uri = mlflow_server.replace("http://", "http://alice:s3cr3t@")
    result = run_moonml(
        *data_args(), *SMALL_GRID, f"tracking.uri={uri}", "tracking.register_model=null", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "s3cr3t" not in shown_anywhere(result, tmp_path)
    shown = mlflow_server.replace("http://", "http://alice:***@")
    assert re.search(
        rf"^Tracking: MLflow run \w+ \(experiment id \d+\) in {re.escape(shown)}$", result.stdout, re.M
    )
    assert re.search(rf"^View run: {re.escape(mlflow_server)}/#/experiments/", result.stdout, re.M)


@pytest.mark.e2e
def test_an_unreachable_server_named_by_the_environment_never_shows_the_password(tmp_path: Path) -> None:
    uri = f"http://alice:s3cr3t@127.0.0.1:{free_port()}"
    result = run_moonml(
        *data_args(), *SMALL_GRID, cwd=tmp_path, env=clean_env(MLFLOW_TRACKING_URI=uri), timeout=300
    )
    assert result.returncode == 1
    assert "s3cr3t" not in shown_anywhere(result, tmp_path)
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith(f"error: tracking server {uri.replace('s3cr3t', '***')} is unreachable (")
    assert "Connection refused" in line  # the host was 127.0.0.1, not "alice:s3cr3t@127.0.0.1"


TOKEN = "tok-5ecret-value-1234"


@pytest.mark.e2e
def test_a_value_read_from_the_environment_is_recorded_as_typed(tmp_path: Path) -> None:
    """The tag moonml.overrides, the run name, overrides.yaml and config.yaml held the secret."""
    from mlflow.tracking import MlflowClient

    typed = "+environment.env_vars.TOKEN=${oc.env:MOONML_TEST_TOKEN}"
    result = run_moonml(
        *data_args(),
        *SMALL_GRID,
        typed,
        "tracking.register_model=null",
        cwd=tmp_path,
        env=clean_env(MOONML_TEST_TOKEN=TOKEN),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert TOKEN not in shown_anywhere(result, tmp_path)
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    (run,) = client.search_runs([client.get_experiment_by_name("moonml").experiment_id])
    assert typed in run.data.tags["moonml.overrides"].split()
    assert TOKEN not in run.info.run_name and "${oc.env:MOONML_TEST_TOKEN}" in run.info.run_name
    config = Path(client.download_artifacts(run.info.run_id, "config.yaml", str(tmp_path))).read_text()
    assert "TOKEN: ${oc.env:MOONML_TEST_TOKEN}" in config and TOKEN not in config
    overrides = Path(client.download_artifacts(run.info.run_id, "overrides.yaml", str(tmp_path))).read_text()
    assert "${oc.env:MOONML_TEST_TOKEN}" in overrides and TOKEN not in overrides


@pytest.mark.e2e
def test_a_data_path_read_from_the_environment_is_not_shown(tmp_path: Path) -> None:
    missing = f"/nonexistent/{TOKEN}.csv"
    result = run_moonml(
        "data.train_path=${oc.env:MOONML_TEST_PATH}",
        data_args()[1],
        cwd=tmp_path,
        env=clean_env(MOONML_TEST_PATH=missing),
    )
    assert result.returncode == 1
    assert (
        result.stderr
        == "error: ${oc.env:MOONML_TEST_PATH}: no such file (check data.train_path / data.test_path)\n"
    )
