"""The MLflow helper: the one process that makes a run's MLflow calls, in the order they were made.

While the search runs it has nothing to do, yet it holds MLflow's modules and the open store:
about 165 MB of its own, which on large data put moonml's peak memory above the plain script's.
So it can rest: once the calls made before the search are done, its process exits, and the next
call forks a new one that first takes the run over (about 2 s of CPU, so only on large data).
"""

import multiprocessing
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
        self._take_over: Call | None = None  # what the next process does first
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
        if self._take_over is not None:
            # If taking the run over fails, the calls after it say why (mlflow_calls).
            self._pool.submit(*self._take_over)
            self._take_over = None
        return self._pool.submit(call, *args)

    def rest(self, calls: list[Future], take_over: Callable[[], Call]) -> None:
        """Wait for `calls`; if they all succeeded, end the process now. The next call starts a
        new one that first makes the call `take_over()` returns.

        Waiting (about 2 s, MLflow's import among them) is what makes the memory sure to be free
        when the search starts. A failed call keeps the process, which knows what failed (an
        unreachable server, say) and reports it as before.
        """
        wait(calls)
        if any(call.exception() for call in calls):
            return
        self._take_over = take_over()
        self._pool.shutdown(wait=True)  # it has nothing left to do: it exits now
        self._pool = self._new_pool()

    def death(self) -> str | None:
        """How the current process died (SIGKILL, out of memory); None while it lives."""
        return self._watch.death()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
