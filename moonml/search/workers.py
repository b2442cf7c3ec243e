"""The processes the shared-forest search runs its folds in: forked from a warm forkserver.

joblib's loky workers start as fresh interpreters that import scikit-learn before their first
task: on the tutorial data about 1.5 s of both cores at the start of every search. Forking the
workers from this process instead would be unsafe once it has threads (the MLflow helper's
queues, BLAS pools). A forkserver is a clean single-threaded process: started as the run starts
(`start_early`), it imports scikit-learn on the core this process leaves idle while it starts up,
and every worker forked from it starts warm. Only `python -m moonml` starts it, and only when
the workers will not import the main module: a worker prepares itself like a spawned process,
which re-imports a main script (one without an `if __name__ == "__main__"` guard would run
again); `python -m pkg` mains are not re-imported. Elsewhere (a script calling `train(cfg)`, the
`moonml` console script, Windows, which has no forkserver) joblib runs the tasks as before.

The data and folds every task shares reach the workers as one file each maps read-only, as
joblib's own workers receive large arrays: a copy per worker made moonml's search take more
memory than the plain script's at a million rows.
"""

import atexit
import contextlib
import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from moonml.errors import MoonmlError
from moonml.search.lifeline import exit_with, serve_as_worker_of, share_parent_pages
from moonml.search.lost_process import how_it_ended, oom_kills

# What the forkserver imports once, for every worker it forks; the first makes it ignore Ctrl-C.
PRELOAD = ["moonml.search.forkserver_signals", "moonml.search.forests"]
# In a worker: the arguments every task of the search shares, mapped once (the data, the folds).
_shared: tuple = ()
# The shared file's folder: this prefix, then the pid of the moonml that wrote it.
SHARED_PREFIX = "moonml-search-"
# In moonml's process: whether the entry point started the forkserver.
_started = {"forkserver": False}


def start_early() -> None:
    """Start the forkserver now, so that its imports overlap this process' own start-up."""
    context = _forkserver()
    if context is None or not _main_is_not_reimported():
        return
    from multiprocessing import forkserver

    context.set_forkserver_preload(PRELOAD)
    forkserver.ensure_running()
    _started["forkserver"] = True
    atexit.register(_kill_forkserver)


def run_tasks(
    task: Callable[..., Any], shared: tuple, items: Sequence[tuple], n_jobs: int | None
) -> Iterator[Any]:
    """task(*shared, *item) for each item, yielded in order as they finish.

    n_jobs as in scikit-learn (None: one, unless joblib's parallel_config says otherwise; -1:
    every core). Ctrl-C ends the workers: they ignore it, and the pool is terminated. A worker
    that dies (the out-of-memory killer, say) fails the search with a MoonmlError naming it.
    """
    from joblib import Parallel, delayed, effective_n_jobs  # not at import: --help stays fast

    context = _forkserver() if _started["forkserver"] else None
    workers = min(effective_n_jobs(n_jobs), len(items))
    if context is None or workers <= 1:
        with lost_workers_fail_the_search():
            yield from Parallel(n_jobs=n_jobs, return_as="generator")(
                delayed(task)(*shared, *item) for item in items
            )
        return
    yield from _in_pool(context, workers, [(task, item) for item in items], shared)


@contextlib.contextmanager
def _shared_file(shared: tuple) -> Iterator[str]:
    """`shared` written once for the workers to map: its arrays are then one copy in memory."""
    import joblib

    _remove_orphaned_files()
    with tempfile.TemporaryDirectory(prefix=f"{SHARED_PREFIX}{os.getpid()}-") as folder:
        path = os.path.join(folder, "shared.joblib")
        joblib.dump(shared, path)
        yield path


def _remove_orphaned_files() -> None:
    """Remove the shared files of searches whose moonml was killed (it could not remove them)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SHARED_PREFIX}*-*"):
        pid = folder.name.removeprefix(SHARED_PREFIX).partition("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # sends nothing: only asks whether it exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _in_pool(context: Any, workers: int, calls: list[tuple], shared: tuple) -> Iterator[Any]:
    with _shared_file(shared) as shared_path:
        yield from _in_pool_sharing(context, workers, calls, shared_path)


def _in_pool_sharing(context: Any, workers: int, calls: list[tuple], shared_path: str) -> Iterator[Any]:
    # concurrent.futures' pool, not multiprocessing.Pool: that one replaces a dead worker and
    # waits forever for the task it had; this one fails every pending task at once.
    oom_kills_before = oom_kills()
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_serve, initargs=(shared_path, os.getpid())
    )
    processes: dict[int, Any] = {}
    try:
        futures = [pool.submit(_call, call) for call in calls]
        # pid -> Process: the only record of which worker died and how (CPython's, since 3.2).
        processes = pool._processes
        for future in futures:
            yield future.result()
    except BrokenProcessPool:
        pool.shutdown(wait=True)  # the pool ends the other workers: then every exit code is known
        raise _lost_worker_error(*_first_lost(processes), oom_kills_before) from None
    except BaseException:
        for process in list(processes.values()):
            process.kill()  # an interrupted search's workers would finish their tasks first
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _first_lost(processes: dict[int, Any]) -> tuple[int | None, int | None]:
    """The worker that died first: once one is lost, the pool terminates (SIGTERM) the others."""
    if not processes:
        return None, None
    pid, process = min(processes.items(), key=lambda item: item[1].exitcode == -signal.SIGTERM)
    return pid, process.exitcode


@contextlib.contextmanager
def lost_workers_fail_the_search() -> Iterator[None]:
    """A worker of joblib's pool (loky's) that dies fails the search with a MoonmlError."""
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    oom_kills_before = oom_kills()
    try:
        yield
    except TerminatedWorkerError as err:
        # loky names no pid, only the exit codes: "... are {SIGKILL(-9)}".
        codes = re.findall(r"\((-?\d+)\)", str(err))
        raise _lost_worker_error(None, int(codes[0]) if codes else None, oom_kills_before) from None


def _lost_worker_error(pid: int | None, exitcode: int | None, oom_kills_before: int | None) -> MoonmlError:
    how, out_of_memory = how_it_ended(exitcode, oom_kills_before)
    worker = f"its worker process {pid}" if pid is not None else "one of its worker processes"
    remedy = (
        "lower model.n_jobs (each worker copies its folds' rows and grows its forests) or train on fewer rows"
        if out_of_memory
        else "run again"
    )
    return MoonmlError(f"grid search failed: {worker} {how}; {remedy}")


def _kill_forkserver() -> None:
    """At exit: end the forkserver now, and wait for it.

    Left to notice that this process is gone, it unloads scikit-learn first (0.4 s) with this
    process' stdout and stderr still open: whoever reads them (a shell pipeline, CI) waits.
    It has nothing else to do: killing it loses nothing. (multiprocessing has no public way to
    stop it; without these private names, it just ends the slow way.)
    """
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    pid = getattr(server, "_forkserver_pid", None)
    if pid is None or not hasattr(server, "_stop"):
        return
    with contextlib.suppress(OSError):  # it died already
        os.kill(pid, signal.SIGKILL)
        server._stop()  # reaps it, removes its socket


def _forkserver() -> Any:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("forkserver")


def _main_is_not_reimported() -> bool:
    """True when a spawned worker skips the main module (multiprocessing's spawn.prepare)."""
    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if name is not None:
        return name == "__main__" or name.endswith(".__main__")
    return getattr(main, "__file__", None) is None  # an interactive session


def _serve(shared_path: str, moonml_pid: int) -> None:
    global _shared
    share_parent_pages()  # first: before a collection scans what the forkserver imported
    import joblib

    serve_as_worker_of(os.getppid())  # the forkserver
    # The forkserver exits once nothing holds its "alive" pipe, which every worker it forks does
    # (so they can fork too): the workers watch moonml itself, or a killed moonml left them all.
    exit_with(moonml_pid)
    _shared = joblib.load(shared_path, mmap_mode="r")  # arrays read-only, mapped from the file


def _call(task_and_item: tuple[Callable[..., Any], tuple]) -> Any:
    task, item = task_and_item
    return task(*_shared, *item)
