"""Run `app hydra/launcher=azureml ...` without -m as a one-job multirun."""

import logging
import sys
from collections.abc import Callable
from typing import Any, Optional

from hydra._internal.utils import run_and_report  # Hydra 1.3's own error reporting
from hydra.core.global_hydra import GlobalHydra
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)


def _refuse_in_process(*_: Any, **__: Any) -> Any:
    raise RuntimeError("the azureml launcher replays a command; it never calls the task in-process")


def _task_function_of_this_run() -> Optional[Callable[..., Any]]:
    """The app's task function, from the frame of Hydra.run that called this callback.

    The launcher never calls it, but its module tells how the app was started (a console
    script's pkg.__main__); callbacks are not given it, hence the look up the stack.
    """
    frame = sys._getframe(1)
    while frame is not None:
        candidate = frame.f_locals.get("task_function")
        if frame.f_code.co_name == "run" and callable(candidate):
            return candidate  # type: ignore[no-any-return]
        frame = frame.f_back  # type: ignore[assignment]
    return None


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
        # Hydra turns exceptions raised by callbacks into warnings and carries on, which here
        # would run the task in this process: report errors as Hydra's main does and exit.
        # On success the process ends here as well, before the task would run in-process.
        run_and_report(
            lambda: hydra.multirun(
                config_name=kwargs.get("config_name"),
                task_function=_task_function_of_this_run() or _refuse_in_process,
                overrides=[*task_overrides, *hydra_overrides, "hydra.mode=MULTIRUN"],
            )
        )
        sys.exit(0)
