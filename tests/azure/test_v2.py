"""moonml with azureml.sdk=v2: tracking URI, data register and model download through MLClient.

The real MLClient is built from the real settings and credential choice; the test double sits
only at the MLClient operations that leave the machine (workspaces.get, data.create_or_update).
The workspace's MLflow registry is stood in for by a real local sqlite store.
"""

import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from azure.ai.ml.entities import Data
from azure.ai.ml.operations import DataOperations, WorkspaceOperations

from moonml.azure import model as azure_model
from moonml.azure import tracking, v2
from moonml.data.__main__ import main as data_main
from moonml.errors import MoonmlError
from moonml.model.__main__ import main as model_main
from tests.azure.conftest import DATA, SUBSCRIPTION, run_python, scrubbed_env

WORKSPACE = {
    "subscription_id": SUBSCRIPTION,
    "resource_group": "moon-rg",
    "workspace_name": "moon-ws",
    "auth": "auto",
    "timeout_s": 5,
    "sdk": "v2",
}
OVERRIDES = [f"azureml.{key}={value}" for key, value in WORKSPACE.items()]
WORKSPACE_MLFLOW_V1 = (
    f"azureml://westeurope.api.azureml.ms/mlflow/v1.0/subscriptions/{SUBSCRIPTION}/resourceGroups/"
    "moon-rg/providers/Microsoft.MachineLearningServices/workspaces/moon-ws"
)
AZURE_URI = "azureml://westeurope.api.azureml.ms/mlflow/v2.0/subscriptions/s/resourceGroups/r/x"


@pytest.fixture
def principal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_TENANT_ID", "00000000-0000-0000-0000-00000000000a")
    monkeypatch.setenv("AZURE_CLIENT_ID", "00000000-0000-0000-0000-00000000000b")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-a-secret")


@pytest.fixture
def workspace_mlflow(monkeypatch: pytest.MonkeyPatch, principal: None) -> dict[str, Any]:
    """workspaces.get answers with `state["uri"]` as the workspace's MLflow tracking URI."""
    state: dict[str, Any] = {"uri": AZURE_URI, "calls": []}

    def get(self: Any, name: str) -> Any:
        state["calls"].append((name, threading.current_thread().name, type(self._credentials).__name__))
        return SimpleNamespace(mlflow_tracking_uri=state["uri"])

    monkeypatch.setattr(WorkspaceOperations, "get", get)
    return state


def test_tracking_uri_from_a_laptop_asks_mlclient(workspace_mlflow: dict[str, Any]) -> None:
    assert tracking.azureml_tracking_uri(WORKSPACE) == AZURE_URI
    ((name, thread, credential),) = workspace_mlflow["calls"]
    assert name == "moon-ws" and credential == "ClientSecretCredential"
    assert thread.startswith("azureml: getting the MLflow tracking URI of AzureML workspace 'moon-ws'")


def test_tracking_uri_inside_a_job_needs_no_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZUREML_RUN_ID", "job-1")
    monkeypatch.setenv("AZUREML_ARM_SUBSCRIPTION", "s")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", AZURE_URI)
    monkeypatch.setattr(v2, "connect", lambda settings: pytest.fail("no client needed"))
    assert tracking.azureml_tracking_uri(WORKSPACE) == AZURE_URI


@pytest.fixture
def stand_in_arm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, principal: None) -> Iterator[Any]:
    """A stand-in for Azure Resource Manager on https://127.0.0.1 (self-signed, trusted here).

    The real MLClient talks to it (AzureML's developer variable AZUREML_DEV_URL_MFE points the
    SDK's management endpoint there); only the token request, which would go to the login
    service, is doubled.
    """
    from azure.core.credentials import AccessToken
    from azure.identity import ClientSecretCredential

    cert, key = self_signed_certificate(tmp_path)
    requests: list[tuple[str, str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append((self.command, self.path, self.headers.get("Authorization", "")))
            body = json.dumps(
                {
                    "id": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/moon-rg/providers/"
                    "Microsoft.MachineLearningServices/workspaces/moon-ws",
                    "name": "moon-ws",
                    "location": "westeurope",
                    "properties": {"mlFlowTrackingUri": WORKSPACE_MLFLOW_V1},
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("AZUREML_DEV_URL_MFE", f"https://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    monkeypatch.setattr(
        ClientSecretCredential, "get_token", lambda self, *scopes, **kw: AccessToken("stand-in-token", 2**31)
    )
    yield requests
    server.shutdown()
    server.server_close()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def test_real_mlclient_gets_the_tracking_uri_from_a_stand_in_server(stand_in_arm: Any) -> None:
    from azureml.mlflow._internal.service_context_loader import _AzureMLServiceContextLoader

    uri = tracking.azureml_tracking_uri(WORKSPACE)
    # azureml-mlflow's form for MLflow 3, registered with the MLClient's credential in-process.
    assert uri == WORKSPACE_MLFLOW_V1.replace("/mlflow/v1.0/", "/mlflow/v2.0/")
    assert _AzureMLServiceContextLoader.has_service_context(uri)
    ((method, path, authorization),) = stand_in_arm
    assert method == "GET" and authorization == "Bearer stand-in-token"
    assert path.startswith(
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/moon-rg/providers/"
        "Microsoft.MachineLearningServices/workspaces/moon-ws?api-version="
    )


def test_a_silent_network_ends_at_the_deadline(
    monkeypatch: pytest.MonkeyPatch, principal: None, silent_port: int
) -> None:
    from azure.core.credentials import AccessToken
    from azure.identity import ClientSecretCredential

    monkeypatch.setenv("AZUREML_DEV_URL_MFE", f"https://127.0.0.1:{silent_port}")
    monkeypatch.setattr(
        ClientSecretCredential, "get_token", lambda self, *scopes, **kw: AccessToken("stand-in-token", 2**31)
    )
    with pytest.raises(MoonmlError) as caught:
        tracking.azureml_tracking_uri({**WORKSPACE, "timeout_s": 0.5})
    message = str(caught.value)
    assert message.startswith("getting the MLflow tracking URI of AzureML workspace 'moon-ws'")
    assert "no answer within 0.5 s (azureml.timeout_s)" in message and "\n" not in message


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"AZURE_TENANT_ID": "not a tenant", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s"}, "Invalid"),
        ({"AZURE_TENANT_ID": "t"}, "service principal credentials incomplete"),
    ],
)
def test_bad_credentials_are_one_line(monkeypatch: pytest.MonkeyPatch, env: dict, expected: str) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(MoonmlError, match=expected) as caught:
        tracking.azureml_tracking_uri(WORKSPACE)
    assert "\n" not in str(caught.value)


def test_credentials_chosen_without_asking(monkeypatch: pytest.MonkeyPatch) -> None:
    """The launcher's choose_auth picks; v2 maps each choice to its azure-identity credential."""
    from hydra_plugins.hydra_azureml_launcher import _client_v2

    assert type(v2.connect(WORKSPACE).client._credential).__name__ == "AzureCliCredential"
    monkeypatch.setenv("IDENTITY_ENDPOINT", "http://127.0.0.1:1/token")
    assert type(v2.connect(WORKSPACE).client._credential).__name__ == "ManagedIdentityCredential"
    with pytest.raises(MoonmlError, match="needs a terminal"):
        v2.connect({**WORKSPACE, "auth": "interactive"})
    assert type(_client_v2.credential("device_code", {})).__name__ == "DeviceCodeCredential"


def test_a_bad_sdk_value_is_named() -> None:
    with pytest.raises(MoonmlError, match=r"azureml.sdk='V2': choose one of v1, v2"):
        tracking.azureml_tracking_uri({**WORKSPACE, "sdk": "V2"})


def test_register_makes_a_new_uri_folder_version(
    monkeypatch: pytest.MonkeyPatch, principal: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    created: list[tuple[Data, str]] = []

    def create_or_update(self: Any, data: Data) -> Any:
        created.append((data, threading.current_thread().name))
        return SimpleNamespace(
            name=data.name,
            version="4",
            path="azureml://datastores/workspaceblobstore/paths/LocalUpload/ab12/data/",
        )

    monkeypatch.setattr(DataOperations, "create_or_update", create_or_update)
    code = data_main(["register", "--name", "moon_dataset", "--path", str(DATA), *OVERRIDES])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.splitlines() == [
        "registered dataset moon_dataset version 4",
        "datastore path: azureml://datastores/workspaceblobstore/paths/LocalUpload/ab12/data/",
    ]
    ((data, thread),) = created
    assert isinstance(data, Data)  # the real data asset the SDK would upload and register
    assert (data.name, data.type, data.version) == ("moon_dataset", "uri_folder", None)
    assert Path(data.path) == DATA.absolute()
    assert thread.startswith("azureml: uploading")


def test_register_checks_the_folder_before_any_azure_call(
    monkeypatch: pytest.MonkeyPatch, principal: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(DataOperations, "create_or_update", lambda self, data: pytest.fail("no upload"))
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "train.csv").write_text("x1,x2,y\n1,2,7\n")
    assert data_main(["register", "--name", "moon_dataset", "--path", str(tmp_path / "bad"), *OVERRIDES]) == 1
    assert "train.csv" in capsys.readouterr().err


def registered_model(store: str, tmp_path: Path) -> None:
    """Version 1 of moon_model in a real MLflow registry (a minimal MLflow model folder)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=store, registry_uri=store)
    run = client.create_run(client.create_experiment("moonml", artifact_location=str(tmp_path / "art")))
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "MLmodel").write_text("flavors: {}\n")
    client.log_artifacts(run.info.run_id, str(folder), "model")
    client.create_registered_model("moon_model")
    client.create_model_version("moon_model", f"runs:/{run.info.run_id}/model", run.info.run_id)
    client.set_terminated(run.info.run_id)


@pytest.mark.slow
def test_model_download_goes_through_the_workspaces_mlflow_registry(
    workspace_mlflow: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = f"sqlite:///{tmp_path / 'workspace.db'}"
    registered_model(store, tmp_path)
    workspace_mlflow["uri"] = store
    for reference in ("moon_model:1", "moon_model:latest"):
        out = tmp_path / reference.replace(":", "_")
        # A generous deadline: opening a sqlite store takes seconds on a busy machine.
        overrides = [*OVERRIDES, "azureml.timeout_s=120"]
        code = model_main(["download", reference, "--output", str(out), "tracking=azureml", *overrides])
        printed, err = capsys.readouterr()
        assert code == 0, err
        assert (out / "MLmodel").read_text() == "flavors: {}\n"
        assert f"downloaded {reference} to {out}" in printed
    with pytest.raises(MoonmlError, match="no model moon_model:7 is registered there") as caught:
        azure_model.download_model({**WORKSPACE, "timeout_s": 120}, "moon_model", "7", str(tmp_path / "none"))
    assert "\n" not in str(caught.value)


def test_nothing_imports_azure_ai_ml_for_v1_or_help(tmp_path: Path) -> None:
    """--help and the v1 paths stay light: azure.ai.ml is imported only when v2 is asked for."""
    import subprocess
    import sys

    code = (
        "import sys, runpy; sys.argv = ['moonml', '--help']\n"
        "try:\n    runpy.run_module('moonml', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "from moonml.azure import tracking, dataset, model\n"
        "from hydra_plugins.hydra_azureml_launcher import _core, _submit, _dryrun\n"
        "print(sorted(m for m in sys.modules if m.startswith('azure.ai')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_without_azure_ai_ml_v2_names_the_install_command(block_imports: Any, tmp_path: Path) -> None:
    env = scrubbed_env(PYTHONPATH=block_imports("azure.ai.ml"))
    done = run_python(
        ["-m", "moonml.data", "register", "--name", "moon_dataset", "--path", str(DATA), *OVERRIDES],
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 1
    (line,) = [line for line in done.stderr.splitlines() if line.strip()]
    assert line.startswith("error: sdk=v2 needs azure-ai-ml (")
    assert line.endswith('install the azure extra: pip install -e ".[azure]"')
