"""When the MLflow helper process dies (SIGKILL, the out-of-memory killer): say so, and let the main
process record the run's end itself, since the store may well still be writable.
"""

from concurrent.futures import ProcessPoolExecutor

from moonml.search.lost_process import how_it_ended, oom_kills

# How long a dead helper may take to be reaped, for its exit code.
_REAP_S = 5


class HelperWatch:
    """Knows the helper process of a pool of one, and how it ended once it has."""

    def __init__(self, pool: ProcessPoolExecutor) -> None:
        # pid -> Process, filled as the pool starts its process: CPython's record (since 3.2),
        # the only one of how a worker ended. The pool drops its reference at shutdown; this stays.
        self._processes = pool._processes
        self._oom_kills_before = oom_kills()

    def death(self) -> str | None:
        """E.g. "moonml's MLflow logging process 123 was killed (SIGKILL)..."; None while it lives."""
        for pid, process in list(self._processes.items()):
            process.join(_REAP_S)
            if process.exitcode is not None:
                how, _ = how_it_ended(process.exitcode, self._oom_kills_before)
                return f"moonml's MLflow logging process {pid} {how}"
        return None


def end_run_here(uri: str, run_id: str, status: str) -> None:
    """Record the run's end from this process (MLflow is imported here only for this)."""
    from mlflow import MlflowClient

    MlflowClient(uri).set_terminated(run_id, status)
