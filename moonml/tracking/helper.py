"""The MLflow helper: the one process that makes a run's MLflow calls, in the order they were made.

While the search runs it has nothing to do, yet it holds MLflow's modules and the open store:
about 165 MB of its own, which on large data put moonml's peak memory above the plain script's.
So it can rest: once the calls made before the search are done, its process exits, and the next
call forks a new one that first takes the run over (about 2 s of CPU, so only on large data).
"""

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, wait
from typing import Any

from moonml.tracking.lost_helper import HelperWatch

# The call a new process makes before any other: (function, *arguments).
Call = tuple[Callable[..., Any], ...]


class Helper:
    """A pool of one process that can be ended while idle and started again by the next call."""

    def __init__(self, start_method: str, initializer: Callable[..., None], initargs: tuple) -> None:
        self._context = multiprocessing.get_context(start_method)
        self._initializer, self._initargs = initializer, initargs
        self._lock = threading.Lock()
        self._submitted = 0  # calls so far: one made after rest() was asked cancels the rest
        self._take_over: Call | None = None  # what the next process does first
        self._ended: list[ProcessPoolExecutor] = []
        self._closed = False
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # The process starts with the first call: after the caller's imports, which it shares.
        pool = ProcessPoolExecutor(
            max_workers=1, mp_context=self._context, initializer=self._initializer, initargs=self._initargs
        )
        self._watch = HelperWatch(pool)
        return pool

    def submit(self, call: Callable[..., Any], *args: Any) -> Future:
        """Run call(*args) in the helper process, after every call submitted before it."""
        with self._lock:
            self._submitted += 1
            if self._take_over is not None:
                # If taking the run over fails, the calls after it say why (mlflow_calls).
                self._pool.submit(*self._take_over)
                self._take_over = None
            return self._pool.submit(call, *args)

    def rest(self, calls: list[Future], take_over: Callable[[], Call]) -> None:
        """Once `calls` have all succeeded, end the process, unless another call came meanwhile;
        the next call then starts a new one that first makes the call `take_over()` returns.

        Waits in a thread: the caller goes on at once (with the search). A failed call keeps the
        process, which knows what failed (an unreachable server, say) and reports it as before.
        """
        asked_at = self._submitted

        def when_done() -> None:
            wait(calls)
            with self._lock:
                if self._closed or self._submitted != asked_at or any(call.exception() for call in calls):
                    return
                self._take_over = take_over()
                self._ended.append(self._pool)
                self._pool.shutdown(wait=False)  # it has nothing left to do: it exits now
                self._pool = self._new_pool()

        threading.Thread(target=when_done, daemon=True, name="mlflow-helper-rest").start()

    def death(self) -> str | None:
        """How the current process died (SIGKILL, out of memory); None while it lives."""
        return self._watch.death()

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            pools = [*self._ended, self._pool]
        for pool in pools:
            pool.shutdown(wait=True, cancel_futures=True)
