"""What the SDKs print to stderr outside their logs: hidden unless hydra.verbose asks for it."""

import io
import sys

from azureml_launcher.sdk_logs import sdk_prints_hidden

RESET = "\x1b[39m"  # colorama's RESET


def test_bare_colour_resets_are_dropped_and_everything_else_shows() -> None:
    err = io.StringIO()
    sys_stderr, sys.stderr = sys.stderr, err
    try:
        with sdk_prints_hidden(True):
            print(RESET + "\n", file=sys.stderr)  # what azure-ai-ml prints after an upload
            print("a line of its own", file=sys.stderr)
            print(RESET + "\n", file=sys.stderr)
            print(file=sys.stderr)  # a blank line on its own is the writer's choice: kept
            sys.stderr.write("a warning, ")
            sys.stderr.write("in two writes\n")
    finally:
        sys.stderr = sys_stderr
    shown = err.getvalue()
    assert "\x1b" not in shown
    assert shown.startswith("a line of its own\n\n")
    assert shown.endswith("\na warning, in two writes\n")


def test_nothing_is_dropped_when_shown() -> None:
    err = io.StringIO()
    sys_stderr, sys.stderr = sys.stderr, err
    try:
        with sdk_prints_hidden(False):
            print(RESET + "\n", file=sys.stderr)
    finally:
        sys.stderr = sys_stderr
    assert err.getvalue() == RESET + "\n\n"
