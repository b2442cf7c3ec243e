"""Helpers the tests share (fixtures live in the conftest files): subprocess runs of moonml and of
Python, scrubbed environments, a real `mlflow server`, the MLflow 2.22 environment."""

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

# What makes a test end to end (the `e2e` marker, left out of the everyday `pytest`): moonml, an
# MLflow server or an install started as a separate process (13 s or more each on 2 cores), or one
# of the server fixtures of tests/conftest.py. A quick `python -c` probe is not.
END_TO_END_COMMAND = re.compile(
    r"-m\s+(moonml|mlflow|pip|venv)\b"  # python -m ...
    r"|(^|[;&|]\s*|\$\()(\S*/)?(moonml|mlflow)(\s|$)"  # the console scripts, as a command or in a shell line
)

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


def train_tracked(store: str, output: Path, *overrides: str, data: list[str] | None = None) -> None:
    """A small in-process run tracked in `store` (the tutorial's files unless `data`); the
    overrides also name the run, as on a command line."""
    from moonml.config.compose import compose_config
    from moonml.train import train

    common = [*SMALL_GRID, "model.n_jobs=1", "model.cv=2", f"tracking.uri={store}"]
    cfg = compose_config([*(data or data_args()), *common, *overrides])
    train(cfg, output_dir=str(output), overrides=list(overrides))


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


def serve_and_ask(model_uri: str, rows: dict, cwd: Path, env: dict[str, str] | None = None) -> list:
    """What a real `mlflow models serve` process answers for `rows` ({"columns": ..., "data": ...})."""
    port = free_port()
    bin_dir = Path(sys.executable).parent
    mlflow_cli = shutil.which("mlflow", path=str(bin_dir)) or "mlflow"
    server = subprocess.Popen(
        [
            mlflow_cli,
            "models",
            "serve",
            "-m",
            model_uri,
            "--env-manager",
            "local",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=cwd,
        # As in an activated environment: the server starts uvicorn from PATH.
        env=(env or clean_env()) | {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = json.dumps({"dataframe_split": rows}).encode()
        headers = {"Content-Type": "application/json"}
        request = urllib.request.Request(f"http://127.0.0.1:{port}/invocations", data=body, headers=headers)
        return json.loads(wait_for_answer(request, server))["predictions"]
    finally:
        server.terminate()
        server.wait(timeout=30)


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


# The AzureML tests: no Azure account is reachable, so everything stops at the SDK boundary.
DATA = REPO / "data"
SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"

# Anything that could make a test pick real credentials, a real workspace or a real job context.
AZURE_ENV_PREFIXES = ("AZURE_", "AZUREML_", "MSI_", "IDENTITY_", "MLFLOW_")
PROXY_VARS = ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "NO_PROXY", "no_proxy")


def scrubbed_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(AZURE_ENV_PREFIXES) and key not in PROXY_VARS
    }
    env.pop("HYDRA_FULL_ERROR", None)
    env.update(extra)
    return env


def run_python(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        stdin=subprocess.DEVNULL,  # no terminal attached, as in CI or a scheduler
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def moonml_sweep(runner: Any, project: Path, temp_dir: Path, overrides: list[str]) -> Any:
    """Hydra's in-process sweep runner for a moonml sweep through the azureml launcher.

    The command is pinned to `python -m moonml` (pytest is what started this process) and the
    jobs track nothing; `overrides` add the launcher mode, compute and environment under test.
    """
    from moonml.config.schema import CONFIG_DIR, register_schemas

    register_schemas()
    return runner(
        calling_file=None,
        calling_module="moonml",
        task_function=None,
        config_path=CONFIG_DIR,
        config_name="config",
        overrides=[
            "hydra/launcher=azureml",
            f"hydra.launcher.source_dir={project}",
            "hydra.launcher.command='python -m moonml'",
            "tracking=none",
            *overrides,
        ],
        temp_dir=temp_dir,
    )


# The process table (Linux /proc): what a run started, and what it left behind.
def parents() -> dict[int, int]:
    """pid -> parent pid of every process visible in /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # it exited meanwhile
            # The command name (field 2) may hold spaces and parentheses; the rest follows its ')'.
            table[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    return table


def descendants(root: int, table: dict[int, int] | None = None) -> set[int]:
    table = parents() if table is None else table
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in table.items() if parent in frontier} - found
        found |= frontier
    return found


def command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def search_workers(root: int) -> set[int]:
    """The search's workers: forked by moonml's forkserver (joblib's loky ones where there is none)."""
    table = parents()
    return {
        pid
        for pid in descendants(root, table)
        if "loky" in command_line(pid)
        or ("forkserver" in command_line(pid) and "forkserver" in command_line(table.get(pid, 0)))
    }


def session_members(session_id: int) -> dict[int, str]:
    """pid -> command line of the live processes in a session (orphans keep its id).

    A process that is exiting reads an empty command line.
    """
    members = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == session_id and fields[0] != "Z":
                members[int(stat.parent.name)] = (stat.parent / "cmdline").read_text().replace("\0", " ")
        except (OSError, IndexError):
            continue  # it ended while we looked
    return members


# A grid of one tiny candidate: the run's cost is startup and tracking, which is what these test.
TINY_GRID = [
    "model.grid.n_estimators=[5]",
    "model.grid.max_depth=[2]",
    "model.grid.criterion=[gini]",
    "model.cv=2",
]


# A grid that searches for many seconds: long enough to be stopped, or looked at, part-way.
SLOW_GRID = ["model.grid.n_estimators=[300,400,500]", "model.grid.max_depth=[null]"]


def moonml_process(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "moonml", *data_args(), *args],
        cwd=cwd,
        env=env or clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for_line(process: subprocess.Popen, text: str, deadline_s: float = 120) -> None:
    """Read `process`' stdout until a line holds `text` (a moonml_process: stdout piped, text)."""
    deadline = time.monotonic() + deadline_s
    while text not in (line := process.stdout.readline()):
        assert line or process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, f"no {text!r} line"


def store_client(workdir: Path) -> Any:
    """A client of the embedded sqlite store a run in `workdir` created."""
    from mlflow import MlflowClient  # not at import: most tests never open a store

    return MlflowClient(tracking_uri=f"sqlite:///{workdir / 'mlflow.db'}")
