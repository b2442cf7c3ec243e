"""The objective: the one logged metric a run returns to Hydra and ranks models by.

Hydra's sweepers (Optuna, Nevergrad, Ax) read the task function's return value as a float;
the registry's champion is chosen by the same metric, so a sweep and the registry agree.
"""

from collections.abc import Callable, Mapping

from omegaconf import DictConfig, OmegaConf

from moonml.errors import MoonmlError
from moonml.evaluation.names import BINARY, CV_BEST_SCORE, MULTICLASS

# Every metric a run may log: the test-set metrics of moonml.evaluation.metrics (those for two
# classes or for more: moonml.evaluation.label_checks checks the choice against the data) and the
# search's best CV score.
METRICS = (*dict.fromkeys(BINARY + MULTICLASS), CV_BEST_SCORE)
DIRECTIONS = ("maximize", "minimize")


def objective_problems(objective: DictConfig) -> list[str]:
    problems = []
    if objective.metric not in METRICS:
        problems.append(
            f"objective.metric: {objective.metric!r} is not a metric a run logs "
            f"(choose one of: {', '.join(METRICS)})"
        )
    if objective.direction not in DIRECTIONS:
        problems.append(f"objective.direction: {objective.direction!r} is neither {' nor '.join(DIRECTIONS)}")
    return problems


def objective_value(objective: DictConfig, metrics: Mapping[str, float]) -> float:
    return float(metrics[objective.metric])


def beats(candidate: float, incumbent: float, direction: str) -> bool:
    """Strictly better: a tie keeps the incumbent."""
    return candidate > incumbent if direction == "maximize" else candidate < incumbent


def check_sweeper_direction(objective: DictConfig, sweeper: DictConfig) -> None:
    """A sweeper that minimises what the objective maximises would hunt for the worst model.

    Checked for the sweepers that have a direction: Optuna (`direction`, default minimize),
    Nevergrad (`optim.maximize`, default false) and Ax (`ax_config.experiment.minimize`, default
    true); others are left alone.
    """
    found = _sweeper_direction(sweeper)
    if found is None:
        return
    direction, setting = found
    if direction != objective.direction:
        raise MoonmlError(
            f"{setting(direction)} but objective.direction={objective.direction} "
            f"({objective.metric}): add {setting(objective.direction)}"
        )


def _sweeper_direction(sweeper: DictConfig) -> tuple[str, Callable[[str], str]] | None:
    """(the direction the sweeper optimises, how its setting is written for a direction)."""
    if "direction" in sweeper:
        direction = sweeper.direction
        direction = getattr(direction, "name", direction)  # Optuna's schema holds an Enum
        if isinstance(direction, str):  # a list: a multi-objective study
            return direction, lambda d: f"hydra.sweeper.direction={d}"
    maximize = OmegaConf.select(sweeper, "optim.maximize")
    if isinstance(maximize, bool):
        return _of(maximize), lambda d: f"hydra.sweeper.optim.maximize={str(d == 'maximize').lower()}"
    minimize = OmegaConf.select(sweeper, "ax_config.experiment.minimize")
    if isinstance(minimize, bool):
        return _of(not minimize), (
            lambda d: f"hydra.sweeper.ax_config.experiment.minimize={str(d == 'minimize').lower()}"
        )
    return None


def _of(maximize: bool) -> str:
    return "maximize" if maximize else "minimize"
