"""Every call that leaves the machine ends within azureml.timeout_s, with a message.

The 'network' is a 127.0.0.1 port that accepts connections and never answers, reached the way the
SDK really reaches Azure: the managed-identity endpoint, an HTTPS proxy, the job's service endpoint.
"""

import base64
import json
import threading
import time

import pytest
from azureml_launcher import workspace
from azureml_launcher.errors import LauncherError
from azureml_launcher.workspace import call_with_deadline

from moonml.errors import MoonmlError
from tests.helpers import REPO, run_python, scrubbed_env

IDS = {"subscription_id": "sub", "resource_group": "rg", "workspace_name": "ws", "auth": "auto"}


def test_call_with_deadline_returns_and_reraises() -> None:
    assert call_with_deadline(lambda: 42, 1, "answering") == 42
    with pytest.raises(KeyError, match="boom"):
        call_with_deadline(lambda: {}["boom"], 1, "failing")


def test_call_with_deadline_gives_up_in_time() -> None:
    release = threading.Event()
    start = time.monotonic()
    with pytest.raises(LauncherError, match=r"^asking the void: no answer within 0.3 s"):
        call_with_deadline(lambda: release.wait(30), 0.3, "asking the void")
    assert time.monotonic() - start < 1.5
    release.set()


@pytest.mark.parametrize("bad", [0, -1, "soon", 10_000])
def test_bad_deadline_setting(bad) -> None:
    with pytest.raises(LauncherError, match=r"azureml.timeout_s="):
        workspace.deadline_of({"timeout_s": bad})


def test_connect_with_managed_identity_endpoint_that_never_answers(silent_port, monkeypatch):
    monkeypatch.setenv("MSI_ENDPOINT", f"http://127.0.0.1:{silent_port}/msi/token")
    start = time.monotonic()
    with pytest.raises(LauncherError) as caught:
        workspace.connect({**IDS, "timeout_s": 2})
    elapsed = time.monotonic() - start
    assert "connecting to AzureML workspace 'ws'" in str(caught.value)
    assert "managed identity credentials: no answer within 2 s (azureml.timeout_s)" in str(caught.value)
    assert elapsed < 5


def test_tracking_uri_through_a_proxy_that_never_answers(silent_port, monkeypatch, offline_workspace):
    """The real get_mlflow_tracking_uri of a real workspace, its token request held by a proxy."""
    from moonml.tracking import azureml as tracking

    monkeypatch.setattr(tracking, "connect", lambda settings: offline_workspace)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{silent_port}")
    start = time.monotonic()
    with pytest.raises(MoonmlError) as caught:
        tracking.azureml_tracking_uri({"timeout_s": 2})
    assert str(caught.value).startswith(
        "getting the MLflow tracking URI of AzureML workspace 'moon-ws': no answer within 2 s"
    )
    assert time.monotonic() - start < 5


def test_refused_connection_is_reported_as_unreachable(closed_port, monkeypatch, offline_workspace):
    from moonml.tracking import azureml as tracking

    monkeypatch.setattr(tracking, "connect", lambda settings: offline_workspace)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{closed_port}")
    with pytest.raises(
        MoonmlError, match=r"cannot reach Azure \(ProxyError: .*\)\. Check the network connection and proxy$"
    ):
        tracking.azureml_tracking_uri({"timeout_s": 10})


def job_env(monkeypatch, service_endpoint: str, token: str) -> None:
    """What AzureML sets in a job's environment (azureml.core.Run._load_scope reads these)."""
    monkeypatch.setenv("AZUREML_RUN_ID", "run-1")
    monkeypatch.setenv("AZUREML_ARM_SUBSCRIPTION", "sub")
    monkeypatch.setenv("AZUREML_ARM_RESOURCEGROUP", "rg")
    monkeypatch.setenv("AZUREML_ARM_WORKSPACE_NAME", "ws")
    monkeypatch.setenv("AZUREML_ARM_PROJECT_NAME", "moonml")
    monkeypatch.setenv("AZUREML_EXPERIMENT_ID", "exp-1")
    monkeypatch.setenv("AZUREML_RUN_TOKEN", token)
    monkeypatch.setenv("AZUREML_SERVICE_ENDPOINT", service_endpoint)


def unsigned_jwt(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2ln"


def test_job_context_that_never_answers(silent_port, monkeypatch):
    """Inside a job the workspace comes from the run (no config.json), still under the deadline."""
    job_env(monkeypatch, f"http://127.0.0.1:{silent_port}", unsigned_jwt({"exp": 4102444800}))
    start = time.monotonic()
    with pytest.raises(LauncherError, match=r"^loading the workspace of this AzureML job: no answer"):
        workspace.connect({"timeout_s": 2})
    assert time.monotonic() - start < 5


def test_job_context_with_a_broken_token(monkeypatch, closed_port):
    job_env(monkeypatch, f"http://127.0.0.1:{closed_port}", "not-a-token")
    with pytest.raises(LauncherError, match=r"^loading the workspace of this AzureML job failed \("):
        workspace.connect({"timeout_s": 5})


@pytest.mark.e2e
def test_register_command_ends_within_its_deadline(silent_port, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("train.csv", "test.csv"):
        (data / name).write_bytes((REPO / "data" / name).read_bytes())
    env = scrubbed_env(
        AZUREML_SUBSCRIPTION_ID="sub",
        AZUREML_RESOURCE_GROUP="rg",
        AZUREML_WORKSPACE_NAME="ws",
        MSI_ENDPOINT=f"http://127.0.0.1:{silent_port}/msi/token",
    )
    start = time.monotonic()
    result = run_python(
        [
            "-m",
            "moonml.data",
            "register",
            "--name",
            "moon_dataset",
            "--path",
            str(data),
            "azureml.timeout_s=2",
        ],
        env=env,
        cwd=tmp_path,
        timeout=30,
    )
    elapsed = time.monotonic() - start
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("error: connecting to AzureML workspace 'ws'")
    assert "no answer within 2 s (azureml.timeout_s)" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert elapsed < 15  # 2 s deadline + interpreter, hydra and azureml-core start-up


@pytest.mark.e2e
def test_train_with_tracking_azureml_ends_within_its_deadline(silent_port, tmp_path):
    """The train entry point asks moonml.azure for the tracking URI; a silent network ends it."""
    env = scrubbed_env(
        AZUREML_SUBSCRIPTION_ID="sub",
        AZUREML_RESOURCE_GROUP="rg",
        AZUREML_WORKSPACE_NAME="ws",
        MSI_ENDPOINT=f"http://127.0.0.1:{silent_port}/msi/token",
    )
    result = run_python(
        [
            "-m",
            "moonml",
            "tracking=azureml",
            f"data.train_path={REPO / 'data' / 'train.csv'}",
            f"data.test_path={REPO / 'data' / 'test.csv'}",
            f"hydra.run.dir={tmp_path / 'run'}",
            "azureml.timeout_s=2",
        ],
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert "error: connecting to AzureML workspace 'ws'" in result.stderr
    assert "no answer within 2 s (azureml.timeout_s)" in result.stderr
    assert "Traceback" not in result.stderr
