"""Processes moonml starts end when moonml does, even when it is killed outright (SIGKILL, OOM).

A killed process cannot clean up, and neither the MLflow helper nor joblib's loky workers notice
on their own: a loky worker busy with a fit, or idle for up to joblib's 300 s idle timeout, stays
alive, and with it the resource trackers that hold the other end of its pipes (they were still
there 23 minutes later). So each such process watches its parent and exits once it is gone.
"""

import gc
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

# How often a child looks for its parent: a dead moonml's children are gone within this.
POLL_S = 0.5


def exit_with_parent(parent_pid: int) -> None:
    """In a child process: exit as soon as `parent_pid` stops being this process' parent."""
    threading.Thread(target=_watch, args=(parent_pid,), daemon=True, name="exit-with-parent").start()


def _watch(parent_pid: int) -> None:
    # An orphan is re-parented (to init or a subreaper), so its parent pid changes.
    while os.getppid() == parent_pid:
        time.sleep(POLL_S)
    os._exit(1)


def share_parent_pages() -> None:
    """In a forked child: keep the objects it inherited out of its garbage collections.

    A collection writes to each object it scans, and in a forked child a write copies the page
    the object lies on: the parent's imports and objects would be copied bit by bit. Frozen,
    they are never scanned, and their pages stay shared with the parent.
    """
    gc.freeze()


def exit_with(pid: int) -> None:
    """In a process that is not `pid`'s child: exit as soon as process `pid` has ended."""
    threading.Thread(target=_watch_pid, args=(pid,), daemon=True, name="exit-with").start()


def _watch_pid(pid: int) -> None:
    while True:
        try:
            os.kill(pid, 0)  # sends nothing: only asks whether it exists
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:
            pass  # it exists, as another user's process
        time.sleep(POLL_S)


@contextmanager
def workers_exit_with_this_process() -> Iterator[None]:
    """Parallel scikit-learn/joblib work in the block runs in loky workers that watch this process.

    Inside a joblib task already (a job of hydra/launcher=joblib), the sweep's jobs are the
    parallel work and each job searches on one core. A pool of processes there outlived each job
    (loky warned of its leaked semaphores and folders as the sweep ended), and joblib's threads
    raced in scikit-learn's warning filters (its "`sklearn.utils.parallel.delayed` should be
    used with ..." UserWarning, now and then).
    """
    from joblib import parallel_config
    from joblib.parallel import get_active_backend

    if get_active_backend()[0].nesting_level:
        with parallel_config(backend="sequential"):
            yield
        return
    with parallel_config(backend="loky", initializer=serve_as_worker_of, initargs=(os.getpid(),)):
        yield


def serve_as_worker_of(parent_pid: int) -> None:
    """In a search worker: ignore Ctrl-C and exit once `parent_pid` is gone."""
    # Ctrl-C reaches the whole process group; the parent stops the search and ends the workers,
    # so a worker's own KeyboardInterrupt would only print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent(parent_pid)
