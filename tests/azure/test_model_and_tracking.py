"""Model download (double at azureml.core.Model) and the tracking URI (double at the URI call)."""

from pathlib import Path

import pytest

from moonml.errors import MoonmlError
from moonml.tracking import azureml as tracking
from moonml.tracking import azureml_model as azure_model

SETTINGS = {"timeout_s": 5}


@pytest.fixture
def model_registry(monkeypatch, offline_workspace):
    """azureml.core.Model stands in for the registry: construction and download leave the machine."""
    import azureml.core

    calls = []

    class FakeModel:
        def __init__(self, workspace, name=None, version=None):
            calls.append(("lookup", workspace, name, version))
            if name != "moon_model":
                from azureml.exceptions import WebserviceException

                raise WebserviceException(f"ModelNotFound: Model with name {name} not found")
            self.name, self.version = name, version or 7

        def download(self, target_dir=".", exist_ok=False):
            calls.append(("download", target_dir, exist_ok))
            path = Path(target_dir) / "model"
            path.mkdir(parents=True, exist_ok=True)
            (path / "MLmodel").write_text("flavors: {}\n")
            return str(path)

    monkeypatch.setattr(azure_model, "connect", lambda settings: offline_workspace)
    monkeypatch.setattr(azureml.core, "Model", FakeModel)
    return calls


def test_download_a_version(model_registry, tmp_path, offline_workspace) -> None:
    path = azure_model.download_model(SETTINGS, "moon_model", "3", str(tmp_path / "out"))
    assert path == tmp_path / "out" / "model" and (path / "MLmodel").is_file()
    assert model_registry == [
        ("lookup", offline_workspace, "moon_model", 3),
        ("download", str(tmp_path / "out"), True),
    ]


def test_download_latest(model_registry, tmp_path) -> None:
    azure_model.download_model(SETTINGS, "moon_model", "latest", str(tmp_path))
    assert model_registry[0][3] is None


def test_unknown_model(model_registry, tmp_path) -> None:
    with pytest.raises(MoonmlError) as caught:
        azure_model.download_model(SETTINGS, "sun_model", 1, str(tmp_path))
    assert str(caught.value).startswith(
        "looking up model sun_model:1 in AzureML workspace 'moon-ws': no model sun_model:1 is "
        "registered there"
    )


@pytest.mark.parametrize("bad", ["0", "one", "-2"])
def test_bad_model_version(bad) -> None:
    with pytest.raises(MoonmlError, match="is not a positive whole number or 'latest'"):
        azure_model.download_model(SETTINGS, "moon_model", bad, "out")


def test_tracking_uri_inside_a_job_is_the_jobs_own(monkeypatch) -> None:
    uri = "azureml://westeurope.api.azureml.ms/mlflow/v2.0/subscriptions/s/resourceGroups/r/x"
    monkeypatch.setenv("AZUREML_RUN_ID", "run-1")
    monkeypatch.setenv("AZUREML_ARM_SUBSCRIPTION", "s")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setattr(tracking, "connect", lambda settings: pytest.fail("no workspace needed"))
    assert tracking.azureml_tracking_uri(SETTINGS) == uri


def test_tracking_uri_outside_a_job_asks_the_workspace(monkeypatch, offline_workspace) -> None:
    # A job's MLFLOW_TRACKING_URI means nothing outside a job.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://elsewhere")
    uri = "azureml://westeurope.api.azureml.ms/mlflow/v2.0/subscriptions/x"
    monkeypatch.setattr(tracking, "connect", lambda settings: offline_workspace)
    monkeypatch.setattr(offline_workspace, "get_mlflow_tracking_uri", lambda: uri)
    assert tracking.azureml_tracking_uri(SETTINGS) == uri


def test_azureml_scheme_is_known_to_mlflow() -> None:
    """azureml-mlflow plugs azureml:// into MLflow's tracking, registry and artifact stores."""
    from importlib.metadata import entry_points

    for group in ("mlflow.tracking_store", "mlflow.model_registry_store", "mlflow.artifact_repository"):
        assert "azureml" in {entry.name for entry in entry_points(group=group)}, group


def test_workspace_code_is_private_to_the_plugin_and_never_rerun() -> None:
    """Hydra's plugin scan imports public plugin modules only; _workspace keeps its error class."""
    from azureml_launcher import workspace as _workspace
    from azureml_launcher.errors import LauncherError

    from moonml.azure.settings import load_azureml_settings

    module = _workspace.__dict__.copy()
    load_azureml_settings([])  # a Hydra start-up: scans the hydra_plugins modules
    assert _workspace.choose_auth is module["choose_auth"]  # not re-executed
    with pytest.raises(LauncherError):
        _workspace.deadline_of({"timeout_s": -1})
