"""Run `app hydra/launcher=azureml ...` without -m as a one-job multirun."""

import logging
import sys
from typing import Any

from hydra.core.global_hydra import GlobalHydra
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)


def _refuse_in_process(*_: Any, **__: Any) -> Any:
    raise RuntimeError("the azureml launcher replays a command; it never calls the task in-process")


class PromoteRunToMultirun(Callback):
    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        if config.hydra.mode != RunMode.RUN:
            return
        hydra = GlobalHydra.instance().hydra
        assert hydra is not None
        hydra_overrides = [
            o
            for o in OmegaConf.to_container(config.hydra.overrides.hydra, resolve=False)  # type: ignore[union-attr]
            if not str(o).startswith("hydra.mode=")
        ]
        task_overrides = list(OmegaConf.to_container(config.hydra.overrides.task, resolve=False))  # type: ignore[arg-type]
        log.info("hydra/launcher=azureml: launching this run as a one-job multirun")
        # Exceptions (a failed job, a bad config) propagate to Hydra's error report as usual;
        # on success the process ends here, before Hydra would run the task in this process.
        hydra.multirun(
            config_name=kwargs.get("config_name"),
            task_function=_refuse_in_process,
            overrides=[*task_overrides, *hydra_overrides, "hydra.mode=MULTIRUN"],
        )
        sys.exit(0)
