"""Put on PYTHONPATH by tests/app/test_run_start.py: Python imports it before moonml.

It sends this process a signal at an exact moment: while the C extension named in
MOONML_TEST_SIGNAL_MODULE initialises, at the Nth Python function its init calls
(MOONML_TEST_SIGNAL_CALL). A signal there is what a scheduler's SIGTERM or a Ctrl-C in the
first seconds of a run meets at random; this makes it happen every time.
"""

import os
import signal
import sys

_MODULE = os.environ.get("MOONML_TEST_SIGNAL_MODULE")
_SIGNAL = getattr(signal, os.environ.get("MOONML_TEST_SIGNAL", "SIGTERM"))
_NTH_CALL = int(os.environ.get("MOONML_TEST_SIGNAL_CALL", "1"))
_calls = 0


def _initialising(frame) -> bool:
    # The extension loader's create_module calls the extension's C init, which calls Python.
    while frame is not None:
        if frame.f_code.co_name == "create_module":
            spec = frame.f_locals.get("spec")
            if spec is not None and spec.name == _MODULE:
                return True
        frame = frame.f_back
    return False


def _signal_inside_init(frame, event, arg) -> None:
    global _calls
    if event != "call" or not _initialising(frame.f_back):
        return
    _calls += 1
    if _calls == _NTH_CALL:
        sys.setprofile(None)
        os.kill(os.getpid(), _SIGNAL)


if _MODULE:
    sys.setprofile(_signal_inside_init)
