"""Shared fixtures: subprocess runs of moonml, temporary MLflow stores, a real mlflow server."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.azureml_like_mlflow import AzureMLLikeMlflow

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


# An MLflow 2.x server, as many teams still run: its own virtual environment, built once per
# machine (SQLAlchemy 2.1 removed a pool class mlflow 2.22 imports at server start).
MLFLOW_2_REQUIREMENTS = ("mlflow==2.22.*", "sqlalchemy<2.1")
TEST_CACHE = Path(os.environ.get("MOONML_TEST_CACHE") or Path.home() / ".cache" / "moonml-tests")


def mlflow_2_python() -> Path:
    """The Python of the cached MLflow 2.22 environment, built first when the machine has none.

    Built in a temporary folder and renamed into place, so an interrupted build or a concurrent
    one never leaves a half-built environment behind the final name.
    """
    home = TEST_CACHE / "mlflow-2.22"
    python = home / "bin" / "python"
    if python.exists():
        return python
    TEST_CACHE.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix="mlflow-2.22.build-", dir=TEST_CACHE))
    try:
        subprocess.run([sys.executable, "-m", "venv", str(build)], check=True, timeout=300)
        subprocess.run(
            [str(build / "bin" / "python"), "-m", "pip", "install", "-q", *MLFLOW_2_REQUIREMENTS],
            check=True,
            timeout=1200,
            capture_output=True,
        )
        # Only `python -m ...` is used: the scripts' shebangs would still name the build folder.
        build.rename(home)
    except OSError:
        if not python.exists():  # not another build that got there first
            raise
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return python


def start_mlflow_server(command: list[str], root: Path, *store_args: str) -> tuple[str, subprocess.Popen]:
    """`mlflow server` (`command`) on 127.0.0.1 with a sqlite store in `root`; its URL once it answers."""
    port = free_port()
    server = subprocess.Popen(
        [
            *command,
            "server",
            "--backend-store-uri",
            f"sqlite:///{root / 'server.db'}",
            *store_args,
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
        start_new_session=True,  # its own process group: stop() ends its workers and job consumers too
    )
    url = f"http://127.0.0.1:{port}"
    # ~15 s on a quiet machine; minutes on a busy one (CI's 2 cores under parallel test runs).
    wait_for_answer(f"{url}/health", server, deadline_s=300)
    return url, server


def stop(server: subprocess.Popen) -> None:
    """End a server started by start_mlflow_server, with every process of its group."""
    os.killpg(server.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)  # helpers that outlived the SIGTERM
    server.wait()


def this_mlflow() -> list[str]:
    return [shutil.which("mlflow", path=str(Path(sys.executable).parent)) or "mlflow"]


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `mlflow server` (the installed MLflow 3) on 127.0.0.1, stopped after the session."""
    root = tmp_path_factory.mktemp("mlflow-server")
    url, server = start_mlflow_server(this_mlflow(), root, "--artifacts-destination", str(root / "artifacts"))
    yield url
    stop(server)


@pytest.fixture(scope="session")
def mlflow_2_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real MLflow 2.22 `mlflow server` (no logged-models API), artifacts served through it."""
    root = tmp_path_factory.mktemp("mlflow-2-server")
    command = [str(mlflow_2_python()), "-m", "mlflow"]
    url, server = start_mlflow_server(command, root, "--artifacts-destination", str(root / "artifacts"))
    yield url
    stop(server)


@pytest.fixture(scope="session")
def azureml_like_mlflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzureMLLikeMlflow]:
    """AzureML's MLflow surface as reported: a real MLflow 3 server behind a proxy that answers
    404 for the logged-models and registered-model alias endpoints. Artifacts go to the run's
    artifact location directly (a folder here, blob storage there), not through the API."""
    root = tmp_path_factory.mktemp("azureml-like-mlflow")
    upstream, server = start_mlflow_server(
        this_mlflow(), root, "--default-artifact-root", str(root / "artifacts"), "--no-serve-artifacts"
    )
    with AzureMLLikeMlflow.serving(upstream, root) as proxy:
        yield proxy
    stop(server)


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
