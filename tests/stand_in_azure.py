"""A stand-in for the AzureML services on https://127.0.0.1, for the real azure-ai-ml MLClient.

AzureML's developer variable AZUREML_DEV_URL_MFE points the SDK's management endpoint here; the
workspace it describes names this server as its MLflow host too, so azureml-mlflow's REST store
talks to it as well. Only the token request, which would go to the login service, is doubled.
It answers what azure-ai-ml 1.35 asks while submitting a job and waiting for it: the workspace;
data and environment containers and versions (latest, list, get; environments also created);
anonymous code assets (looked up by hash, uploaded through a SAS URI into path-style blob
storage on this server, then registered); job creation and status; an MLflow run's metrics.
Every request is recorded, with the JSON body of each PUT/POST, so tests assert on what the
service would receive.
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


STORAGE_ACCOUNT = "moonstorage"  # blob paths are path-style: /<account>/<container>/<blob>
CONTAINER = "azureml-blobstore-0001"
CREATED_AT = "2026-11-01T00:00:00.000000+00:00"


@dataclass
class StandIn:
    """What the service holds and what it was sent.

    `data` and `environments` are the registered assets the SDK resolves references against
    (name -> version -> the REST `properties`); `blobs` what was uploaded, by path; `sent` the
    JSON body of every PUT/POST, in order, as (method, path without query, body).
    """

    port: int = 0
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    statuses: dict[str, list[str]] = field(default_factory=dict)  # job name -> statuses to report
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)  # MLflow run id -> metrics
    data: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    environments: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)  # code version -> its body
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)  # job name -> the body received
    blobs: dict[str, bytes] = field(default_factory=dict)
    sent: list[tuple[str, str, Any]] = field(default_factory=list)
    # Each new job takes the next plan: the statuses it reports, the metrics its MLflow run holds.
    job_plans: list[tuple[list[str], dict[str, float]]] = field(default_factory=list)
    # While set and not released, job submissions get no answer (a transfer that does not progress).
    hold_jobs: threading.Event | None = None
    # --- waiting: run history errors, unavailable answers, cancel requests ---
    errors: dict[str, str] = field(default_factory=dict)  # job name -> the service's error message
    unavailable: dict[str, int] = field(default_factory=dict)  # job name -> 503s to answer first
    new_jobs: list[str] = field(default_factory=list)  # statuses of jobs it was not told of
    cancelled: list[str] = field(default_factory=list)  # job names, in the order cancelled
    cancels_to_refuse: int = 0  # the first cancel requests answered 400

    @property
    def mlflow_uri(self) -> str:
        return f"azureml://127.0.0.1:{self.port}/mlflow/v1.0{WORKSPACE_PATH}"

    @property
    def blob_root(self) -> str:
        return f"https://127.0.0.1:{self.port}/{STORAGE_ACCOUNT}"

    def register_data(self, name: str, version: str, data_type: str = "uri_folder") -> None:
        """A data asset version as `moonml.data register` leaves it (files on the default datastore)."""
        uri = f"azureml://{WORKSPACE_PATH[1:]}/datastores/workspaceblobstore/paths/datasets/{name}/{version}/"
        self.data.setdefault(name, {})[version] = {
            "dataType": data_type,
            "dataUri": uri,
            "isAnonymous": False,
            "isArchived": False,
            "tags": {},
            "properties": {},
        }

    def register_environment(self, name: str, version: str, image: str) -> None:
        self.environments.setdefault(name, {})[version] = {
            "image": image,
            "osType": "Linux",
            "isAnonymous": False,
            "isArchived": False,
            "autoRebuild": "OnBaseImageUpdate",
            "tags": {},
            "properties": {},
        }

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        """(status, JSON answer) of one request; None answers with headers only."""
        url = urlparse(path)
        if url.path == "/operations/done":  # a cancel's progress (azure-core's LRO poller)
            return 200, {"status": "Succeeded"}
        if url.path == "/discovery":
            keys = ("api", "history", "experimentation", "hyperdrive", "modelmanagement", "studio")
            return 200, {key: self.base for key in keys}
        if url.path.startswith("/execution/cancel/"):  # v1: the run's cancelUri
            return self._cancel(url.path.rsplit("/", 1)[1])
        if url.path.startswith(HISTORY) and url.path.endswith("/details"):  # v1 and v2 alike
            name = url.path.split("/")[-2]
            said = self.errors.get(name)
            error = {"error": {"code": "UserError", "message": said}} if said else None
            status = self.statuses.get(name, ["?"])[0]
            return 200, {"runId": name, "status": status, "error": error, "logFiles": {}}
        if url.path.startswith(HISTORY) or url.path.startswith("/artifact/v2.0/"):
            return self.answer_v1(url.path)
        if url.path.startswith(f"/{STORAGE_ACCOUNT}/"):
            return self._blob(method, url.path, parse_qs(url.query), body)
        if url.path.startswith(WORKSPACE_PATH):
            relative = url.path[len(WORKSPACE_PATH) :].strip("/").split("/")
            return self._workspace(method, relative, parse_qs(url.query), body)
        if url.path.endswith("/api/2.0/mlflow/runs/get"):
            run_id = parse_qs(url.query)["run_id"][0]
            if run_id not in self.metrics:
                return 404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"run {run_id} not found"}
            values = [
                {"key": k, "value": v, "timestamp": 0, "step": 0} for k, v in self.metrics[run_id].items()
            ]
            info = {"run_id": run_id, "run_uuid": run_id, "experiment_id": "1", "status": "FINISHED"}
            return 200, {"run": {"info": info, "data": {"metrics": values, "params": [], "tags": []}}}
        return not_found(url.path)

    def _workspace(
        self, method: str, parts: list[str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        if parts == [""]:
            workspace = {"mlFlowTrackingUri": self.mlflow_uri, "discoveryUrl": f"{self.base}/discovery"}
            return 200, {
                "id": WORKSPACE_PATH,
                "name": "moon-ws",
                "location": "westeurope",
                "properties": workspace,
            }
        kind, rest = parts[0], parts[1:]
        if kind == "jobs" and len(rest) == 1:
            return self._job(method, rest[0], body)
        if kind == "jobs" and rest[1:] == ["cancel"] and method == "POST":
            return self._cancel(rest[0])
        if kind in ("data", "environments"):
            return self._asset(kind, self.data if kind == "data" else self.environments, method, rest, body)
        if kind == "codes":
            return self._code(method, rest, query, body)
        if kind == "datastores" and rest == ["workspaceblobstore"]:
            return 200, arm(
                "datastores",
                "workspaceblobstore",
                {
                    "datastoreType": "AzureBlob",
                    "accountName": STORAGE_ACCOUNT,
                    "containerName": CONTAINER,
                    "endpoint": "core.windows.net",
                    "protocol": "https",
                    "isDefault": True,
                    "credentials": {"credentialsType": "None"},
                },
            )
        return not_found("/".join(parts))

    def _job(self, method: str, name: str, body: Any) -> tuple[int, Any]:
        if method == "PUT":
            if self.hold_jobs is not None:
                self.hold_jobs.wait(60)
            # What the service would receive; it answers with the job as it filed it.
            self.jobs[name] = body
            if name not in self.statuses:
                statuses, metrics = self.job_plans.pop(0) if self.job_plans else (["NotStarted"], {})
                self.statuses[name], self.metrics[name] = list(statuses), dict(metrics)
        if method == "GET":
            code, status = self.next_status(name)
            if code != 200:
                return code, self.refusal(code, name)
        elif name in self.statuses:
            status = self.statuses[name][0]
        else:
            return 404, self.refusal(404, name)
        answer = job_body(name, status)
        if name in self.jobs:
            services = answer["properties"]["services"]
            answer["properties"] = {**self.jobs[name]["properties"], "status": status, "services": services}
        return (201 if method == "PUT" else 200), answer

    def _asset(
        self, kind: str, store: dict[str, dict[str, dict[str, Any]]], method: str, rest: list[str], body: Any
    ) -> tuple[int, Any]:
        name = rest[0]
        versions = store.get(name, {})
        if method == "PUT" and len(rest) == 3:
            versions = store.setdefault(name, {})
            versions[rest[2]] = dict(body["properties"])
        if not versions:
            return 404, {"error": {"code": "UserError", "message": f"{kind} {name} not found"}}
        if len(rest) == 1:  # the container: which version is the latest
            latest = max(versions, key=version_order)
            return 200, arm(kind, name, {"latestVersion": latest, "nextVersion": str(int(latest) + 1)})
        if len(rest) == 2:  # the version list, newest first
            newest_first = sorted(versions, key=version_order, reverse=True)
            return 200, {"value": [arm(f"{kind}/{name}/versions", v, versions[v]) for v in newest_first]}
        version = rest[2]
        if version not in versions:
            return 404, {"error": {"code": "UserError", "message": f"{kind} {name}:{version} not found"}}
        return (201 if method == "PUT" else 200), arm(f"{kind}/{name}/versions", version, versions[version])

    def _code(self, method: str, rest: list[str], query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        # Anonymous code assets: looked up by content hash, else uploaded through a SAS URI.
        if method == "GET" and len(rest) == 2:
            wanted = query.get("hash", [None])[0]
            found = [
                b for b in self.codes.values() if b["properties"].get("properties", {}).get("hash") == wanted
            ]
            return 200, {"value": found}
        name, version = rest[0], rest[2]
        if method == "POST" and rest[3:] == ["startPendingUpload"]:
            container = f"{self.blob_root}/{CONTAINER}"
            return 200, {
                "blobReferenceForConsumption": {
                    "blobUri": container,
                    "credential": {
                        "credentialType": "SAS",
                        "sasUri": f"{container}?sv=2021-08-06&sig=stand-in",
                    },
                },
                "pendingUploadId": version,
                "pendingUploadType": "TemporaryBlobReference",
            }
        if method == "PUT":
            self.codes[version] = arm(f"codes/{name}/versions", version, body["properties"])
        if version not in self.codes:
            return 404, {"error": {"code": "UserError", "message": f"code {name}:{version} not found"}}
        return (201 if method == "PUT" else 200), self.codes[version]

    def _blob(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        blob = path.split("/", 3)[3] if path.count("/") >= 3 else ""
        if method == "PUT" and query.get("comp") == ["metadata"]:
            return (200, None) if blob in self.blobs else (404, None)
        if method == "PUT":
            self.blobs[blob] = body
            return 201, None
        if method == "HEAD" and blob in self.blobs:
            return 200, None
        if method == "GET" and not blob:  # list blobs: none held yet under the asked prefix
            return (
                200,
                b'<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Blobs /></EnumerationResults>',
            )
        return 404, None

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

    def _cancel(self, name: str) -> tuple[int, Any]:
        """A cancel (v2: POST .../jobs/NAME/cancel; v1: the run's cancelUri): accepted; the job
        then reports CancelRequested."""
        if self.cancels_to_refuse:
            self.cancels_to_refuse -= 1
            return 400, {"error": {"code": "UserError", "message": f"{name} cannot be canceled now"}}
        self.cancelled.append(name)
        self.statuses[name] = ["CancelRequested", "Canceled"]
        return 202, {}


def version_order(version: str) -> tuple[int, str]:
    return (int(version), version) if version.isdigit() else (0, version)


def arm(kind: str, name: str, properties: dict[str, Any]) -> dict[str, Any]:
    """An ARM resource of the workspace as the service returns it (id, name, type, systemData)."""
    return {
        "id": f"{WORKSPACE_PATH}/{kind}/{name}",
        "name": name,
        "type": f"Microsoft.MachineLearningServices/workspaces/{kind.split('/')[0]}",
        "properties": properties,
        "systemData": {
            "createdAt": CREATED_AT,
            "createdBy": "moonml tests",
            "createdByType": "User",
            "lastModifiedAt": CREATED_AT,
        },
    }


def not_found(path: str) -> tuple[int, Any]:
    return 404, {"error": {"code": "NotFound", "message": f"no stand-in for {path}"}}


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
    from azureml_launcher.workspace import credential_auth

    discovery = os.environ["AZUREML_DEV_URL_MFE"] + "/discovery"
    auth = credential_auth(StaticToken())
    context = ServiceContext(SUBSCRIPTION, "moon-rg", "moon-ws", "wsid-1", discovery, auth)
    return Workspace._from_service_context(context, "westeurope")


@contextmanager
def stand_in_azure(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Iterator[StandIn]:
    state = StandIn()
    cert, key = self_signed_certificate(folder)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's connection pools expect

        def handle_any(self) -> None:
            state.requests.append((self.command, self.path, self.headers.get("Authorization", "")))
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body: Any = raw
            if raw and "json" in (self.headers.get("Content-Type") or ""):
                body = json.loads(raw)
                state.sent.append((self.command, urlparse(self.path).path, body))
            code, answer = state.answer(self.command, self.path, body)
            payload = (
                answer
                if isinstance(answer, bytes)
                else b""
                if answer is None
                else json.dumps(answer).encode()
            )
            self.send_response(code)
            if payload:
                kind = "application/xml" if isinstance(answer, bytes) else "application/json"
                self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            if code in (202, 503):  # where to see the cancel's progress; when to try again: now
                self.send_header("Location", f"{state.base}/operations/done")
                self.send_header("Retry-After", "0")
            if code == 404 and urlparse(self.path).path.startswith(f"/{STORAGE_ACCOUNT}/"):
                self.send_header("x-ms-error-code", "BlobNotFound")  # how storage says it
            # What storage answers with every blob write (the storage client reads them back).
            self.send_header("ETag", '"0x8DC0000000000001"')
            self.send_header("Last-Modified", "Sun, 01 Nov 2026 00:00:00 GMT")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_PUT = do_POST = do_HEAD = do_PATCH = do_DELETE = handle_any

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
