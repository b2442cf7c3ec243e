"""backend=local: run the exact snapshot and command here, one subprocess per job.

It proves that the job ships what it needs (only the snapshot is on its path, from a fresh
temporary directory) before a cluster is paid for. Differences from AzureML, on purpose: the
interpreter is this one (sys.executable, not the environment's image), and the job writes
into its directory of the local sweep instead of ./outputs, and it is told the folder the
launcher was started from (HYDRA_AZUREML_LAUNCHER_CALLER_CWD) for state it keeps there.
"""

import json
import logging
import os
import shlex
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Optional

from hydra.core.utils import JobReturn, JobStatus

from azureml_launcher.contract import BACKEND_VAR, CALLER_CWD_VAR, LOCAL_BACKEND
from azureml_launcher.errors import LauncherError
from azureml_launcher.job import JobSpec
from azureml_launcher.metric import job_result
from azureml_launcher.snapshot import contents as _snapshot

log = logging.getLogger(__name__)

# How long a job asked to stop (SIGTERM) may take to record its end before it is killed.
STOP_DEADLINE_S = 60


def job_environment(spec: JobSpec, caller_cwd: Path, base: Mapping[str, str]) -> dict[str, str]:
    env = dict(base)
    # The snapshot, not the caller's checkout, must provide the app: no inherited search path
    # (a PYTHONPATH the job's own settings define is kept).
    env.pop("PYTHONPATH", None)
    if spec.environment is not None:
        env.update(spec.environment.definition.get("env_vars", {}))
    env.update(spec.env_vars)
    env[CALLER_CWD_VAR] = str(caller_cwd)
    env[BACKEND_VAR] = LOCAL_BACKEND
    env.update(spec.run_vars)
    return env


def read_metrics(job_dir: Path, metrics_file: Optional[str]) -> Any:
    if not metrics_file:
        return None
    path = job_dir / metrics_file
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        log.warning("job metrics %s unreadable: %s", path, err)
        return None


def run_one(spec: JobSpec, snapshot_dir: Path, env: Mapping[str, str]) -> JobReturn:
    argv = [sys.executable, *spec.argv[1:]] if spec.argv[0] == "python" else list(spec.argv)
    log.info("local #%d: %s (in %s)", spec.idx, shlex.join(spec.argv), snapshot_dir)
    returncode = _run_job(argv, snapshot_dir, env)
    if returncode != 0:
        return spec.job_return(
            JobStatus.FAILED,
            LauncherError(
                f"job #{spec.idx} ({shlex.join(spec.argv)}) exited with code {returncode}; "
                f"its output is above, its files in {spec.job_dir}"
            ),
        )
    metrics = read_metrics(spec.job_dir, spec.settings.get("metrics_file"))
    return spec.job_return(*job_result(metrics, spec.settings.get("return_metric"), f"job #{spec.idx}"))


class _RunningJobs:
    """The job processes running now, so that an interrupted launcher stops them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.processes: set[subprocess.Popen] = set()

    def add(self, process: subprocess.Popen) -> None:
        with self._lock:
            self.processes.add(process)

    def discard(self, process: subprocess.Popen) -> None:
        with self._lock:
            self.processes.discard(process)

    def stop(self) -> None:
        """SIGTERM each (the app records its end, e.g. a run KILLED), SIGKILL what outlives the deadline."""
        with self._lock:
            processes = list(self.processes)
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=STOP_DEADLINE_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


_running = _RunningJobs()


def _run_job(argv: list[str], cwd: Path, env: Mapping[str, str]) -> int:
    # Not subprocess.run: interrupted, it kills the job outright, which cannot record its end.
    process = subprocess.Popen(argv, cwd=cwd, env=dict(env))
    _running.add(process)
    try:
        return process.wait()
    finally:
        _running.discard(process)


def warn_about_checkout_paths(snapshot: _snapshot.Snapshot, job_pythonpath: str) -> list[str]:
    """Modules importable here from project folders on sys.path that an AzureML job cannot import.

    An editable install (a .pth file) can put e.g. <project>/src on every interpreter's path, the
    local job's included; an AzureML job's path is the snapshot's root plus the relative entries
    of its own PYTHONPATH, and holds only the snapshot's files. A module is named only when no
    folder on the job's path has it in the snapshot.
    """
    root = snapshot.root.resolve()
    job_folders = [
        "",
        *(e.strip("/") for e in job_pythonpath.split(os.pathsep) if e and not os.path.isabs(e)),
    ]
    # A virtual environment made inside the checkout (the usual .venv) is this interpreter's,
    # not the project's: the job's environment installs its own packages.
    interpreter = {Path(sys.prefix).resolve(), Path(sys.exec_prefix).resolve()}
    missing = []
    for entry in sys.path:
        try:
            path = Path(entry).resolve()
        except (OSError, ValueError):
            continue
        if path == root or not path.is_relative_to(root) or not path.is_dir():
            continue
        if any(path.is_relative_to(prefix) for prefix in interpreter):
            continue
        for name in _top_level_modules(path):
            if not any(_ships(snapshot.paths, folder, name) for folder in job_folders):
                missing.append(f"{name} (from {path})")
    if missing:
        log.warning(
            "the local job can import %s from this checkout (a folder of the project on this "
            "interpreter's sys.path, e.g. by an editable install); an AzureML job cannot: add the "
            "folder to the job's PYTHONPATH or ship the module at the snapshot's root",
            ", ".join(missing),
        )
    return missing


def _top_level_modules(folder: Path) -> list[str]:
    """Names `import` finds in a folder: modules, and packages (regular or namespace)."""
    names = [p.stem for p in folder.glob("*.py")]
    names += [
        p.name for p in folder.iterdir() if p.is_dir() and p.name.isidentifier() and any(p.glob("*.py"))
    ]
    return sorted(names)


def _ships(snapshot_paths: set[str], folder: str, name: str) -> bool:
    prefix = f"{folder}/{name}" if folder else name
    return f"{prefix}.py" in snapshot_paths or any(p.startswith(f"{prefix}/") for p in snapshot_paths)


def run_all(specs: Sequence[JobSpec], snapshot: _snapshot.Snapshot, parallel: int = 1) -> list[JobReturn]:
    caller_cwd = Path.cwd()
    envs = [job_environment(s, caller_cwd, os.environ) for s in specs]
    for pythonpath in sorted({env.get("PYTHONPATH", "") for env in envs}):
        warn_about_checkout_paths(snapshot, pythonpath)
    with tempfile.TemporaryDirectory(prefix="azureml-local-") as folder:
        results: list[JobReturn] = []
        # One fresh copy per job: a job that writes into its working dir cannot affect another.
        dirs = [_snapshot.materialise(snapshot, Path(folder) / str(s.idx)) for s in specs]
        try:
            if parallel <= 1:
                results = [run_one(s, d, e) for s, d, e in zip(specs, dirs, envs, strict=True)]
            else:
                with ThreadPoolExecutor(max_workers=parallel) as pool:
                    try:
                        results = list(pool.map(run_one, specs, dirs, envs))
                    except BaseException:
                        pool.shutdown(wait=False, cancel_futures=True)  # no job starts any more
                        _running.stop()  # before the pool waits for its threads
                        raise
        except BaseException:
            # Ctrl-C, SIGTERM (raised as an exception by the app's handler): the jobs end before
            # their temporary copies are removed.
            _running.stop()
            raise
    return results
