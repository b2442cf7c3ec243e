"""The MLflow store survives users: simultaneous first runs, broken stores, and runs that end badly.

Every check is a real `python -m moonml` process against a real sqlite store (or a real HTTP
server on 127.0.0.1); faults are real too: random bytes as the store, an immutable store file,
a full tmpfs under the artifact folder, real signals.
"""

import contextlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from mlflow.entities import ViewType
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
from mlflow.tracking import MlflowClient

from moonml.errors import MoonmlError
from moonml.tracking.store_check import check_store
from moonml.tracking.store_lock import store_lock
from tests.helpers import (
    SLOW_GRID,
    TINY_GRID,
    clean_env,
    data_args,
    moonml_process,
    run_moonml,
    store_client,
    wait_for_line,
)

pytestmark = pytest.mark.e2e


def all_runs(client: MlflowClient) -> list:
    experiments = client.search_experiments(view_type=ViewType.ALL)
    return client.search_runs([e.experiment_id for e in experiments], run_view_type=ViewType.ALL)


def error_lines(stderr: str) -> list[str]:
    """What moonml said on stderr, minus the progress counter a terminal would redraw in place."""
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith("grid search:")]


# 4. Simultaneous first runs in a fresh folder


@pytest.mark.parametrize("trial", range(3))
def test_simultaneous_first_runs_leave_a_healthy_store(trial: int, tmp_path: Path) -> None:
    processes = [moonml_process(*TINY_GRID, f"hydra.run.dir=out{index}", cwd=tmp_path) for index in range(4)]
    outcomes = [(process.wait(timeout=300), process.communicate()[1]) for process in processes]
    for returncode, stderr in outcomes:
        assert returncode == 0, stderr[-3000:]
    later = run_moonml(*data_args(), *TINY_GRID, "hydra.run.dir=later", cwd=tmp_path)
    assert later.returncode == 0, later.stderr[-3000:]
    runs = all_runs(store_client(tmp_path))
    assert len(runs) == 5
    assert {run.info.status for run in runs} == {"FINISHED"}


# 5. Nothing is logged outside the run moonml opened


def test_a_failed_start_creates_no_stray_run(tmp_path: Path) -> None:
    """Opening the run fails (its experiment was deleted): no call may create a run elsewhere."""
    client = store_client(tmp_path)
    client.delete_experiment(client.create_experiment("moonml"))
    result = run_moonml(*data_args(), *TINY_GRID, cwd=tmp_path)
    assert result.returncode == 1
    assert "deleted" in result.stderr and "Traceback" not in result.stderr
    assert all_runs(client) == []


# 6. A broken store or server is reported before the search


@pytest.fixture
def immutable(tmp_path: Path) -> Iterator[Path]:
    """A file even root cannot write to (chattr +i): sqlite opens it read-only, like a 0444 file."""
    path = tmp_path / "mlflow.db"
    store_client(tmp_path).search_experiments()  # a real, initialised store
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", path]).returncode != 0:
        pytest.skip("chattr +i is not available on this filesystem")
    yield path
    subprocess.run(["chattr", "-i", path], check=True)


def test_read_only_store_is_reported_before_the_search(immutable: Path, tmp_path: Path) -> None:
    result = run_moonml(*data_args(), *SLOW_GRID, cwd=tmp_path)
    assert result.returncode == 1
    assert "read-only database" in result.stderr and str(immutable) in result.stderr
    assert len(error_lines(result.stderr)) == 1, result.stderr
    assert "Selected hyper-parameters:" not in result.stdout


def test_corrupted_store_is_reported_before_the_search(tmp_path: Path) -> None:
    (tmp_path / "mlflow.db").write_bytes(os.urandom(64 * 1024))
    result = run_moonml(*data_args(), *SLOW_GRID, cwd=tmp_path)
    assert result.returncode == 1
    assert "not an MLflow store" in result.stderr
    assert len(error_lines(result.stderr)) == 1, result.stderr
    assert "Selected hyper-parameters:" not in result.stdout


class _AnswersRootHangsOnApi(BaseHTTPRequestHandler):
    release = threading.Event()

    def do_GET(self) -> None:
        if self.path.startswith("/api/"):
            self.release.wait(120)  # a wedged backend: the connection stays open, no answer
            return
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"<html>mlflow</html>")

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hanging_api_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AnswersRootHangsOnApi)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    _AnswersRootHangsOnApi.release.set()
    server.shutdown()


def test_server_whose_api_hangs_is_reported_before_the_search(
    hanging_api_server: str, tmp_path: Path
) -> None:
    result = run_moonml(
        *data_args(), *SLOW_GRID, f"tracking.uri={hanging_api_server}", cwd=tmp_path, timeout=120
    )
    assert result.returncode == 1
    assert f"the server at {hanging_api_server} answers but its API does not respond" in result.stderr
    assert len(error_lines(result.stderr)) == 1, result.stderr
    assert "Hyper-parameters:" not in result.stdout


# 7. How runs end


@pytest.fixture
def full_artifact_disk(tmp_path: Path) -> Iterator[Path]:
    """./mlruns (where the embedded store puts artifacts) on a tiny tmpfs that is already full."""
    store_client(tmp_path).search_experiments()
    mlruns = tmp_path / "mlruns"
    mlruns.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mlruns], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        _fill(mlruns / "filler")
        yield mlruns
    finally:
        subprocess.run(["umount", "-l", mlruns], check=True)


def _fill(path: Path) -> None:
    try:
        with open(path, "wb") as filler:
            while True:
                filler.write(b"\0" * 4096)
                filler.flush()
    except OSError:
        return  # full


def test_full_disk_ends_the_run_failed_in_one_line(full_artifact_disk: Path, tmp_path: Path) -> None:
    result = run_moonml(*data_args(), *TINY_GRID, "hydra.run.dir=out", cwd=tmp_path)
    assert result.returncode == 1
    assert "No space left on device" in result.stderr
    assert len(error_lines(result.stderr)) == 1, result.stderr
    client = store_client(tmp_path)
    (run,) = all_runs(client)
    assert run.info.status == "FAILED"
    assert client.search_model_versions("name='moon_model'") == []
    assert (tmp_path / "out" / "model.joblib").is_file()  # outputs already written stay


def wait_for_open_run(client: MlflowClient, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while not (client.get_experiment_by_name("moonml") and all_runs(client)):
        assert process.poll() is None and time.monotonic() < deadline, "the run never opened"
        time.sleep(0.5)


def test_server_killed_mid_run_is_one_line(tmp_path: Path) -> None:
    from tests.helpers import free_port, wait_for_answer

    port = free_port()
    mlflow_cli = shutil.which("mlflow", path=str(Path(sys.executable).parent)) or "mlflow"
    server = subprocess.Popen(
        [
            *(mlflow_cli, "server", "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}"),
            *("--host", "127.0.0.1", "--port", str(port), "--workers", "1"),
        ],
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_answer(f"{url}/health", server)
        process = moonml_process(*SLOW_GRID, f"tracking.uri={url}", cwd=tmp_path)
        wait_for_line(process, "Hyper-parameters:")
        wait_for_open_run(MlflowClient(tracking_uri=url), process)
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    _, stderr = process.communicate(timeout=240)
    assert process.returncode == 1
    lines = error_lines(stderr)
    assert len(lines) == 1, stderr
    assert url in lines[0] and "could not be marked FAILED" in lines[0]


@pytest.mark.parametrize("delay_s", [0.0, 0.4, 0.8, 1.2, 1.6])
def test_interrupt_at_the_end_records_what_the_exit_code_says(delay_s: float, tmp_path: Path) -> None:
    """Ctrl-C anywhere in the final logging: exit 0 with a FINISHED run and its registered model,
    or exit 130 with a KILLED run and nothing registered; never a mix."""
    process = moonml_process(*TINY_GRID, "hydra.run.dir=out", cwd=tmp_path)
    wait_for_line(process, "Metrics:")
    time.sleep(delay_s)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    client = store_client(tmp_path)
    (run,) = all_runs(client)
    registered = [v for v in client.search_model_versions("name='moon_model'")]
    assert "Traceback" not in stderr
    if process.returncode == 0:
        assert run.info.status == "FINISHED"
        assert [v.run_id for v in registered] == [run.info.run_id]
    else:
        assert process.returncode == 130, stderr
        assert run.info.status == "KILLED"
        assert registered == []


# 8. A store is created whole: a first run killed at any point of its creation breaks nothing


def store_files(workdir: Path) -> list[str]:
    """Files of the store beside its lock: the store, or the draft it is being created as."""
    return [
        p.name for p in workdir.iterdir() if p.name.startswith("mlflow.db") and p.name != "mlflow.db.lock"
    ]


@pytest.mark.parametrize("delay_s", [0.0, 0.2, 0.5, 1.0, 2.0])
def test_a_first_run_killed_while_it_creates_the_store_breaks_no_later_run(
    delay_s: float, tmp_path: Path
) -> None:
    first = moonml_process(*TINY_GRID, "hydra.run.dir=first", cwd=tmp_path)
    deadline = time.monotonic() + 120
    while not store_files(tmp_path):  # the creation has begun
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()[1][-3000:]
        time.sleep(0.005)
    time.sleep(delay_s)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    later = run_moonml(*data_args(), *TINY_GRID, "hydra.run.dir=later", cwd=tmp_path)
    assert later.returncode == 0, later.stderr[-3000:]
    assert [run.info.status for run in all_runs(store_client(tmp_path))].count("FINISHED") == 1


# 9. A store left half-made (by moonml before, or by MLflow itself) is found before the search


def made_store(workdir: Path, runs: int) -> sqlite3.Connection:
    client = store_client(workdir)
    for _ in range(runs):
        client.create_run(client.get_experiment_by_name("Default").experiment_id)
    return sqlite3.connect(workdir / "mlflow.db")


# Killed in MLflow's batch migration of a table: a temporary copy left, the version one behind.
MID_MIGRATION = (
    "UPDATE alembic_version SET version_num = '451aebb31d03'; CREATE TABLE _alembic_tmp_runs (x INTEGER)"
)


@pytest.mark.parametrize(
    "break_it",
    [
        "DROP TABLE alembic_version",  # killed before the first migration was recorded
        "UPDATE alembic_version SET version_num = '451aebb31d03'",  # killed between migrations
        MID_MIGRATION,
    ],
)
def test_a_half_made_store_holding_nothing_is_made_again(break_it: str, tmp_path: Path) -> None:
    with contextlib.closing(made_store(tmp_path, runs=0)) as store, store:
        store.executescript(break_it)
    # Spelled anew, so that no store or engine MLflow cached in this process for the first
    # spelling opens it: MLflow checks the schema as a new process would.
    uri = f"sqlite:///{tmp_path}/./mlflow.db"
    check_store(uri, 4)
    with store_lock(uri):
        SqlAlchemyStore(uri, str(tmp_path / "mlruns")).create_experiment("moonml")  # the store works


@pytest.mark.parametrize(
    ("break_it", "fragment"),
    [
        (MID_MIGRATION, "is half-migrated"),
        ("UPDATE alembic_version SET version_num = '451aebb31d03'", "has an older schema (451aebb31d03)"),
        ("UPDATE alembic_version SET version_num = 'ffffffffffff'", "was made by a newer MLflow"),
    ],
)
def test_a_half_made_store_holding_runs_is_refused_and_kept(
    break_it: str, fragment: str, tmp_path: Path
) -> None:
    with contextlib.closing(made_store(tmp_path, runs=1)) as store, store:
        store.executescript(break_it)
    before = (tmp_path / "mlflow.db").read_bytes()
    with pytest.raises(MoonmlError, match=re.escape(fragment)):
        check_store(f"sqlite:///{tmp_path / 'mlflow.db'}", 4)
    assert (tmp_path / "mlflow.db").read_bytes() == before


# 10. Tracking URIs that cannot work are refused before the search, in one line


def damaged_page_store(workdir: Path) -> str:
    """A real store with a run whose table's first page is overwritten with garbage."""
    with contextlib.closing(made_store(workdir, runs=3)) as store:
        page_size = store.execute("PRAGMA page_size").fetchone()[0]
        (root,) = store.execute("SELECT rootpage FROM sqlite_master WHERE name = 'runs'").fetchone()
    with open(workdir / "mlflow.db", "r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(os.urandom(page_size))
    return f"sqlite:///{workdir / 'mlflow.db'}"


@pytest.mark.parametrize(
    ("uri", "fragment"),
    [
        ("ftp://127.0.0.1/store", "(ftp://...) is no kind of store MLflow tracks to"),
        ("sqlite:////proc/x.db", "cannot use the MLflow store /proc/x.db: cannot create files in /proc"),
        ("damaged", "is a damaged SQLite file"),
    ],
)
def test_a_store_that_cannot_work_is_refused_before_the_search(
    uri: str, fragment: str, tmp_path: Path
) -> None:
    if uri == "damaged":
        uri = damaged_page_store(tmp_path)
    started = time.monotonic()
    result = run_moonml(*data_args(), *SLOW_GRID, f"tracking.uri={uri}", cwd=tmp_path, timeout=120)
    assert result.returncode == 1
    assert fragment in result.stderr
    assert len(error_lines(result.stderr)) == 1, result.stderr
    assert "Hyper-parameters:" not in result.stdout
    assert time.monotonic() - started < 60
