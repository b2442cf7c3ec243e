"""A stand-in for AzureML's MLflow service: a real `mlflow server` behind a proxy on 127.0.0.1.

The proxy answers 404 with an empty body (as AzureML was reported to, Azure/azure-sdk-for-python
#44896) for MLflow 3's logged-models API and for registered-model aliases, which AzureML's
registry does not document; everything else is forwarded. It listens twice: plain HTTP for
`tracking.uri=http://...`, and HTTPS under AzureML's path (`/mlflow/v2.0/subscriptions/...`)
for azureml-mlflow's REST store, where it also answers the workspace lookup of the real
azure-ai-ml MLClient (tests/stand_in_azure.py), so that `tracking=azureml azureml.sdk=v2` finds
its way here.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.stand_in_azure import StandIn, self_signed_certificate

MISSING = (
    re.compile(r"^/api/[0-9.]+/mlflow/logged-models"),
    re.compile(r"^/api/[0-9.]+/mlflow/registered-models/alias"),
)
# What azureml-mlflow puts before MLflow's REST paths.
AZUREML_PREFIX = re.compile(
    r"^/mlflow/v[12]\.0/subscriptions/[^/]+/resourceGroups/[^/]+/providers/[^/]+/workspaces/[^/]+"
)


@dataclass
class AzureMLLikeMlflow:
    upstream: str
    http_port: int = 0
    https_port: int = 0
    certificate: Path | None = None
    refused: list[str] = field(default_factory=list)  # "METHOD path" answered 404
    authorizations: list[str] = field(default_factory=list)  # Authorization headers seen over HTTPS

    @property
    def uri(self) -> str:
        """The plain-HTTP tracking URI."""
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def azureml_uri(self) -> str:
        """The workspace's MLflow URI as AzureML hands it out (MLFLOW_TRACKING_URI in a job)."""
        return StandIn(port=self.https_port).mlflow_uri

    def refused_paths(self) -> set[str]:
        return {entry.split(" ", 1)[1].split("?")[0] for entry in self.refused}

    def forward(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes, str]:
        if any(pattern.match(path) for pattern in MISSING):
            self.refused.append(f"{method} {path}")
            return 404, b"", "text/plain"
        request = urllib.request.Request(self.upstream + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, answer.read(), answer.headers.get("Content-Type", "")
        except urllib.error.HTTPError as err:
            return err.code, err.read(), err.headers.get("Content-Type", "")

    @classmethod
    @contextmanager
    def serving(cls, upstream: str, folder: Path) -> Iterator[AzureMLLikeMlflow]:
        state = cls(upstream)
        cert, key = self_signed_certificate(folder)
        state.certificate = cert
        plain = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state, tls=False))
        secure = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state, tls=True))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        secure.socket = context.wrap_socket(secure.socket, server_side=True)
        state.http_port, state.https_port = plain.server_address[1], secure.server_address[1]
        threads = [threading.Thread(target=server.serve_forever, daemon=True) for server in (plain, secure)]
        for thread in threads:
            thread.start()
        try:
            yield state
        finally:
            for server in (plain, secure):
                server.shutdown()
                server.server_close()


def _handler(state: AzureMLLikeMlflow, tls: bool) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            path = self.path
            if tls:
                state.authorizations.append(self.headers.get("Authorization", ""))
                prefix = AZUREML_PREFIX.match(path)
                if (
                    prefix is None
                ):  # the workspace lookup (MLClient), answered as tests/stand_in_azure.py does
                    code, answer = StandIn(port=state.https_port).answer(self.command, path, body)
                    self._reply(code, json.dumps(answer).encode(), "application/json")
                    return
                path = path[prefix.end() :]
            headers = {"Content-Type": self.headers.get("Content-Type", "application/json")}
            self._reply(*state.forward(self.command, path, body, headers))

        def _reply(self, code: int, body: bytes, content_type: str) -> None:
            self.send_response(code)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

        def log_message(self, *args: Any) -> None:
            pass

    return Handler
