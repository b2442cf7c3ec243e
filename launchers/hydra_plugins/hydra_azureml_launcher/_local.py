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
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Optional

from hydra.core.utils import JobReturn, JobStatus

from . import _snapshot
from ._errors import LauncherError
from ._job import JobSpec

log = logging.getLogger(__name__)

# Set in the job's environment so that the app (or a test) can tell where it runs.
BACKEND_VAR = "HYDRA_AZUREML_LAUNCHER_BACKEND"
# The folder the launcher was started from: the job runs in a temporary copy of the project,
# so an app that keeps state relative to where it was started (a local store, say) finds it here.
CALLER_CWD_VAR = "HYDRA_AZUREML_LAUNCHER_CALLER_CWD"


def job_environment(spec: JobSpec, caller_cwd: Path, base: Mapping[str, str]) -> dict[str, str]:
    env = dict(base)
    # The snapshot, not the caller's checkout, must provide the app: no inherited search path
    # (a PYTHONPATH the job's own settings define is kept).
    env.pop("PYTHONPATH", None)
    if spec.environment is not None:
        env.update(spec.environment.definition.get("env_vars", {}))
    env.update(spec.env_vars)
    env[CALLER_CWD_VAR] = str(caller_cwd)
    env[BACKEND_VAR] = "local"
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
    log.info("local #%d: %s (in %s)", spec.idx, spec.command, snapshot_dir)
    done = subprocess.run(argv, cwd=snapshot_dir, env=dict(env), check=False)
    if done.returncode != 0:
        return spec.job_return(
            JobStatus.FAILED,
            LauncherError(
                f"job #{spec.idx} ({spec.command}) exited with code {done.returncode}; "
                f"its output is above, its files in {spec.job_dir}"
            ),
        )
    return spec.job_return(JobStatus.COMPLETED, read_metrics(spec.job_dir, spec.settings.get("metrics_file")))


def warn_about_checkout_paths(source_dir: Path) -> list[str]:
    """sys.path entries inside the project other than its root: importable here, not there.

    An editable install (a .pth file) can put e.g. <project>/src on every interpreter's path,
    the job's included; on AzureML only the snapshot's root is on the path.
    """
    root = source_dir.resolve()
    inside = []
    for entry in sys.path:
        try:
            path = Path(entry).resolve()
        except (OSError, ValueError):
            continue
        if path != root and path.is_relative_to(root) and path.is_dir():
            inside.append(str(path))
    if inside:
        log.warning(
            "these folders of the project are on this interpreter's sys.path (an editable "
            "install?): %s. The local job can import from them, an AzureML job cannot (only the "
            "snapshot's root is on its path)",
            ", ".join(inside),
        )
    return inside


def run_all(specs: Sequence[JobSpec], snapshot: _snapshot.Snapshot, parallel: int = 1) -> list[JobReturn]:
    caller_cwd = Path.cwd()
    warn_about_checkout_paths(snapshot.root)
    with tempfile.TemporaryDirectory(prefix="azureml-local-") as folder:
        results: list[JobReturn] = []
        # One fresh copy per job: a job that writes into its working dir cannot affect another.
        dirs = [_snapshot.materialise(snapshot, Path(folder) / str(s.idx)) for s in specs]
        envs = [job_environment(s, caller_cwd, os.environ) for s in specs]
        if parallel <= 1:
            results = [run_one(s, d, e) for s, d, e in zip(specs, dirs, envs, strict=True)]
        else:
            with ThreadPoolExecutor(max_workers=parallel) as pool:
                results = list(pool.map(run_one, specs, dirs, envs))
    return results
