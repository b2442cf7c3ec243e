"""`python -m moonml` and the `moonml` command: the Hydra app of `moonml.app.main`.

Heavy libraries (mlflow, scikit-learn, matplotlib) are imported inside the pipeline, so that
`--help` and `--cfg job` stay fast.
"""

import signal

from moonml.app.interrupt import end_before_start

# Before anything else: the imports and Hydra's start take seconds on a busy machine, and a
# SIGTERM meanwhile must end the process as a later one does, not kill it without a word.
signal.signal(signal.SIGTERM, end_before_start)

from moonml.app.main import exit_now, main  # noqa: E402

__all__ = ["main"]

if __name__ == "__main__":
    main()
    exit_now()
