"""`python -m moonml`: compose the config with Hydra and hand it to `moonml.train.train`.

Only this thin shell knows about Hydra's runtime; the pipeline is a plain function.
Heavy libraries (mlflow, scikit-learn, matplotlib) are imported inside `train`, so that
`--help` and `--cfg job` stay fast.
"""

import logging
import signal
import sys
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from moonml.errors import MoonmlError, full_error_requested
from moonml.schema import CONFIG_DIR, register_schemas

log = logging.getLogger("moonml")
register_schemas()


def _terminate_as_interrupt(signum: int, frame: Any) -> None:
    # A scheduler's SIGTERM then ends the MLflow run KILLED, like Ctrl-C, instead of leaving it RUNNING.
    raise KeyboardInterrupt(f"terminated by signal {signum}")


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def main(cfg: DictConfig) -> dict[str, float]:
    from moonml.train import train

    hydra_cfg = HydraConfig.get()
    signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    try:
        from moonml.azure import check_launcher_mode, use_callers_tracking_store

        check_launcher_mode(
            hydra_cfg.runtime.choices.get("hydra/launcher"), hydra_cfg.mode == RunMode.MULTIRUN
        )
        use_callers_tracking_store()
        return train(
            cfg,
            output_dir=hydra_cfg.runtime.output_dir,
            overrides=list(hydra_cfg.overrides.task),
        )
    except MoonmlError as err:
        if full_error_requested():
            raise
        log.error("error: %s", err)
        if hydra_cfg.mode == RunMode.MULTIRUN:
            raise  # the launcher records this job as failed and goes on with the others
        sys.exit(1)
    except KeyboardInterrupt:
        if full_error_requested() or hydra_cfg.mode == RunMode.MULTIRUN:
            raise
        log.error("interrupted: outputs written so far are kept; a tracked run ends KILLED")
        sys.exit(130)


if __name__ == "__main__":
    main()
