"""A stand-in for the AzureML services on https://127.0.0.1, for the real azure-ai-ml MLClient.

AzureML's developer variable AZUREML_DEV_URL_MFE points the SDK's management endpoint here; the
workspace it describes names this server as its MLflow host too, so azureml-mlflow's REST store
talks to it as well. Only the token request, which would go to the login service, is doubled.
It answers what the tests need: the workspace, job status, and an MLflow run's metrics.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
WORKSPACE_PATH = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/moon-rg/providers/"
    "Microsoft.MachineLearningServices/workspaces/moon-ws"
)
TOKEN = "stand-in-token"
HISTORY = f"/history/v1.0{WORKSPACE_PATH}/"  # the run history service


@dataclass
class StandIn:
    port: int = 0
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    statuses: dict[str, list[str]] = field(default_factory=dict)  # job name -> statuses to report
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)  # MLflow run id -> metrics
    # --- waiting: run history errors, unavailable answers, cancel requests ---
    errors: dict[str, str] = field(default_factory=dict)  # job name -> the service's error message
    unavailable: dict[str, int] = field(default_factory=dict)  # job name -> 503s to answer first
    new_jobs: list[str] = field(default_factory=list)  # statuses of jobs it was not told of
    cancelled: list[str] = field(default_factory=list)  # job names, in the order cancelled
    cancels_to_refuse: int = 0  # the first cancel requests answered 400

    @property
    def mlflow_uri(self) -> str:
        return f"azureml://127.0.0.1:{self.port}/mlflow/v1.0{WORKSPACE_PATH}"

    def answer(self, path: str) -> tuple[int, dict[str, Any]]:
        url = urlparse(path)
        if url.path == WORKSPACE_PATH:
            workspace = {"mlFlowTrackingUri": self.mlflow_uri, "discoveryUrl": f"{self.base}/discovery"}
            return 200, {
                "id": WORKSPACE_PATH,
                "name": "moon-ws",
                "location": "westeurope",
                "properties": workspace,
            }
        if url.path == "/operations/done":  # a cancel's progress (azure-core's LRO poller)
            return 200, {"status": "Succeeded"}
        if url.path == "/discovery":
            keys = ("api", "history", "experimentation", "hyperdrive", "modelmanagement", "studio")
            return 200, {key: self.base for key in keys}
        if url.path.startswith(HISTORY) and url.path.endswith("/details"):  # v1 and v2 alike
            name = url.path.split("/")[-2]
            said = self.errors.get(name)
            error = {"error": {"code": "UserError", "message": said}} if said else None
            status = self.statuses.get(name, ["?"])[0]
            return 200, {"runId": name, "status": status, "error": error, "logFiles": {}}
        if url.path.startswith(WORKSPACE_PATH + "/jobs/"):
            name = url.path.rsplit("/", 1)[1]
            code, status = self.next_status(name)
            return code, job_body(name, status) if code == 200 else self.refusal(code, name)
        if url.path.startswith(HISTORY) or url.path.startswith("/artifact/v2.0/"):
            return self.answer_v1(url.path)
        if url.path.endswith("/api/2.0/mlflow/runs/get"):
            run_id = parse_qs(url.query)["run_id"][0]
            if run_id not in self.metrics:
                return 404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"run {run_id} not found"}
            values = [
                {"key": k, "value": v, "timestamp": 0, "step": 0} for k, v in self.metrics[run_id].items()
            ]
            info = {"run_id": run_id, "run_uuid": run_id, "experiment_id": "1", "status": "FINISHED"}
            return 200, {"run": {"info": info, "data": {"metrics": values, "params": [], "tags": []}}}
        return 404, {"error": {"code": "NotFound", "message": f"no stand-in for {url.path}"}}

    def next_status(self, name: str) -> tuple[int, str]:
        """(HTTP code, status) of a job or run: 503 while unavailable, 404 if unknown."""
        if self.unavailable.get(name):
            self.unavailable[name] -= 1
            return 503, ""
        if name not in self.statuses and self.new_jobs:
            self.statuses[name] = list(self.new_jobs)
        if name not in self.statuses:
            return 404, ""
        statuses = self.statuses[name]
        return 200, statuses.pop(0) if len(statuses) > 1 else statuses[0]

    @staticmethod
    def refusal(code: int, name: str) -> dict[str, Any]:
        if code == 503:
            return {"error": {"code": "ServiceUnavailable", "message": "try again"}}
        return {"error": {"code": "NotFound", "message": f"job {name} not found"}}

    def answer_v1(self, path: str) -> tuple[int, dict[str, Any]]:
        """SDK v1 (azureml-core): the experiment, a run's record, its (no) log files."""
        if path.startswith("/artifact/v2.0/"):
            return 200, {"value": []}
        if "/experiments/" in path and "/runs/" not in path:
            return 200, {"experimentId": "e1", "name": path.rsplit("/", 1)[1]}
        if "/runs/" in path and path.endswith("/metricsingest/wait"):
            return 200, {}
        if "/experimentids/" in path and "/runs/" in path:
            name = path.rsplit("/", 1)[1]
            code, status = self.next_status(name)
            if code != 200:
                return code, self.refusal(code, name)
            run = {"runId": name, "rootRunId": name, "runNumber": 1, "experimentId": "e1", "status": status}
            return 200, {**run, "cancelUri": f"{self.base}/execution/cancel/{name}"}
        return 404, {"error": {"code": "NotFound", "message": f"no stand-in for {path}"}}

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def answer_post(self, path: str) -> tuple[int, dict[str, Any]]:
        """A cancel (v2: POST .../jobs/NAME/cancel; v1: the run's cancelUri): accepted; the job
        then reports CancelRequested. v1 also creates its experiment with a POST."""
        url = urlparse(path)
        if url.path.startswith(HISTORY) and "/experiments/" in url.path:
            return self.answer_v1(url.path)
        v2_cancel = url.path.startswith(WORKSPACE_PATH + "/jobs/") and url.path.endswith("/cancel")
        if v2_cancel or url.path.startswith("/execution/cancel/"):
            name = url.path.split("/")[-2 if v2_cancel else -1]
            if self.cancels_to_refuse:
                self.cancels_to_refuse -= 1
                return 400, {"error": {"code": "UserError", "message": f"{name} cannot be canceled now"}}
            self.cancelled.append(name)
            self.statuses[name] = ["CancelRequested", "Canceled"]
            return 202, {}
        return 404, {"error": {"code": "NotFound", "message": f"no stand-in for POST {url.path}"}}


def job_body(name: str, status: str) -> dict[str, Any]:
    """A command job as the jobs REST API describes it (the fields the SDK's entity needs)."""
    return {
        "id": f"{WORKSPACE_PATH}/jobs/{name}",
        "name": name,
        "type": "Microsoft.MachineLearningServices/workspaces/jobs",
        "properties": {
            "jobType": "Command",
            "status": status,
            "command": "python -m app",
            "environmentId": "azureml:env:1",
            "computeId": f"{WORKSPACE_PATH}/computes/cpu-cluster",
            "experimentName": "moonml",
            "services": {
                "Studio": {"jobServiceType": "Studio", "endpoint": f"https://ml.azure.com/runs/{name}"}
            },
        },
    }


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
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
    cert_path, key_path = folder / "stand-in-cert.pem", folder / "stand-in-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def double_the_login(monkeypatch: pytest.MonkeyPatch) -> None:
    """The service principal's token request would go to the login service: answer it here."""
    from azure.core.credentials import AccessToken
    from azure.identity import ClientSecretCredential

    monkeypatch.setenv("AZURE_TENANT_ID", "00000000-0000-0000-0000-00000000000a")
    monkeypatch.setenv("AZURE_CLIENT_ID", "00000000-0000-0000-0000-00000000000b")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-a-secret")
    monkeypatch.setattr(
        ClientSecretCredential, "get_token", lambda self, *scopes, **kw: AccessToken(TOKEN, 2**31)
    )


class StaticToken:
    """An azure-identity credential whose token the stand-in accepts."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(TOKEN, 2**31)


def v1_workspace() -> Any:
    """A real azureml-core Workspace whose services are the stand-in (found through its discovery
    URL): what _workspace.connect returns once ARM, which the stand-in is not, has found it."""
    from azureml._restclient.service_context import ServiceContext
    from azureml.core import Workspace
    from hydra_plugins.hydra_azureml_launcher._workspace import credential_auth

    discovery = os.environ["AZUREML_DEV_URL_MFE"] + "/discovery"
    auth = credential_auth(StaticToken())
    context = ServiceContext(SUBSCRIPTION, "moon-rg", "moon-ws", "wsid-1", discovery, auth)
    return Workspace._from_service_context(context, "westeurope")


@contextmanager
def stand_in_azure(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Iterator[StandIn]:
    state = StandIn()
    cert, key = self_signed_certificate(folder)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append((self.command, self.path, self.headers.get("Authorization", "")))
            if self.command in ("POST", "PATCH"):  # PATCH: v1 names a run
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.command == "POST":
                code, answer = state.answer_post(self.path)
            else:
                code, answer = state.answer(self.path)
            body = json.dumps(answer).encode()
            self.send_response(code)
            if code in (202, 503):  # where to see the cancel's progress; when to try again: now
                self.send_header("Location", f"{state.base}/operations/done")
                self.send_header("Retry-After", "0")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_PATCH = do_GET

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AZUREML_DEV_URL_MFE", f"https://127.0.0.1:{state.port}")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    double_the_login(monkeypatch)
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
