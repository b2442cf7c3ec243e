"""Shared fixtures: subprocess runs of moonml, temporary MLflow stores, a real mlflow server."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TRAIN_CSV = REPO / "data" / "train.csv"
TEST_CSV = REPO / "data" / "test.csv"
# A small grid keeps end-to-end runs quick; the default grid runs in the benchmark and test_e2e.
SMALL_GRID = ["model.grid.n_estimators=[10]", "model.grid.criterion=[gini]", "model.grid.max_depth=[5]"]


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment minus anything that would point moonml at another store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "AZUREML_"))}
    env.pop("HYDRA_FULL_ERROR", None)
    return env | extra


def run_moonml(
    *args: str, cwd: Path, env: dict[str, str] | None = None, module: str = "moonml", timeout: int = 240
) -> subprocess.CompletedProcess:
    """`python -m moonml ARGS` as a user would type it, in `cwd`."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=env or clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def data_args(train: Path = TRAIN_CSV, test: Path = TEST_CSV) -> list[str]:
    return [f"data.train_path={train}", f"data.test_path={test}"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_answer(
    request: str | urllib.request.Request, server: subprocess.Popen, deadline_s: float = 90
) -> bytes:
    """The body of the first answer from a server that is still starting; fail if it dies first."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.read()
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"server did not answer (exit code {server.poll()})")
            time.sleep(0.5)


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `mlflow server` on 127.0.0.1 and a free port, stopped after the session."""
    root = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    mlflow_cli = shutil.which("mlflow", path=str(Path(sys.executable).parent)) or "mlflow"
    server = subprocess.Popen(
        [
            mlflow_cli,
            "server",
            "--backend-store-uri",
            f"sqlite:///{root / 'server.db'}",
            "--artifacts-destination",
            str(root / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        cwd=root,
        env=clean_env(),
        stdout=open(root / "server.log", "w"),  # noqa: SIM115 - lives as long as the server
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for_answer(f"{url}/health", server)
    yield url
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


# Where MLflow keeps its process-wide URIs (checked against mlflow 3.15). A CLI sets them, as its
# process ends with it; in-process tests must not hand them (or the variables that carry them to
# subprocesses) to the tests that follow.
MLFLOW_URI_GLOBALS = (
    ("mlflow.tracking._tracking_service.utils", "_tracking_uri"),
    ("mlflow.tracking._model_registry.utils", "_registry_uri"),
)
MLFLOW_URI_VARS = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


@pytest.fixture(autouse=True)
def mlflow_uris_stay_in_their_test() -> Iterator[None]:
    saved_env = {name: os.environ.get(name) for name in MLFLOW_URI_VARS}
    saved = {spec: getattr(sys.modules.get(spec[0]), spec[1], None) for spec in MLFLOW_URI_GLOBALS}
    yield
    for name, value in saved_env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    for (module_name, attribute), value in saved.items():
        module = sys.modules.get(module_name)
        if module is not None:
            setattr(module, attribute, value)
