"""`python -m moonml` and the `moonml` command: the thin `@hydra.main` shell of moonml.app.main.

The task function stays in this module: the azureml launcher starts a shipped job again as
`python -m` the package whose `__main__` holds it. Heavy libraries (mlflow, scikit-learn,
matplotlib) are imported inside the pipeline, so that `--help` and `--cfg job` stay fast.
"""

from moonml.app.interrupt import end_at_once_on_signals

# Before anything else: the imports and Hydra's start take seconds on a busy machine, and a
# SIGTERM or Ctrl-C meanwhile must end the process as a later one does, not kill it without a
# word (SIGTERM) or with a traceback from inside an import (Ctrl-C).
end_at_once_on_signals()

import hydra  # noqa: E402
from omegaconf import DictConfig  # noqa: E402

from moonml.app.main import exit_now, run_job, start  # noqa: E402
from moonml.config.schema import CONFIG_DIR  # noqa: E402


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def run(cfg: DictConfig) -> float:
    """Train; return the objective (`objective.metric`), the float Hydra's sweepers optimise."""
    return run_job(cfg)


def main() -> None:
    """The `moonml` command."""
    start(run)


if __name__ == "__main__":
    main()
    exit_now()
