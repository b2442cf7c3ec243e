"""Fixtures for the AzureML tests: no Azure account is reachable, so everything stops at the SDK
boundary: real azureml-core objects built offline, a local port that never answers, and
environments scrubbed of any real credentials."""

from __future__ import annotations

import os
import socket
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import AZURE_ENV_PREFIXES, PROXY_VARS


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith(AZURE_ENV_PREFIXES) or key in PROXY_VARS:
            monkeypatch.delenv(key)
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    # A config.json in a parent of the checkout must not leak into the discovery tests.
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A 127.0.0.1 port that accepts connections and never sends a byte: a dropping network."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    for conn in accepted:
        conn.close()
    server.close()


@pytest.fixture
def closed_port() -> int:
    """A 127.0.0.1 port nobody listens on: connections are refused at once."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@pytest.fixture
def offline_datastore(offline_workspace):
    """The workspace's default blob datastore, as the service would describe it."""
    from azureml.data.azure_storage_datastore import AzureBlobDatastore

    return AzureBlobDatastore(
        offline_workspace, "workspaceblobstore", "azureml-blobstore-1234", "moonstorage"
    )


@pytest.fixture
def block_imports(tmp_path: Path):
    """Make a directory whose sitecustomize makes the given packages fail to import, as on a
    machine where they are not installed; returns the PYTHONPATH value for a subprocess."""

    def make(*prefixes: str) -> str:
        shim = tmp_path / "shim"
        shim.mkdir(exist_ok=True)
        (shim / "sitecustomize.py").write_text(
            textwrap.dedent(
                f"""
                import sys
                BLOCKED = {prefixes!r}

                class Blocker:
                    def find_spec(self, name, path=None, target=None):
                        if any(name == p or name.startswith(p + ".") for p in BLOCKED):
                            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
                        return None

                sys.meta_path.insert(0, Blocker())
                """
            )
        )
        return str(shim)

    return make
