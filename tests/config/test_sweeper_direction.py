"""Every sweeper with a direction is checked against objective.direction: a sweeper minimising
what the objective maximises hunts for the worst model and reports it as the best.

The sweepers' nodes as their Hydra 1.3 plugins define them: Optuna `direction` (an Enum, default
minimize), Nevergrad `optim.maximize` (default false), Ax `ax_config.experiment.minimize`
(default true). Nevergrad's and Ax's plugins cannot be installed beside moonml on Python 3.11.
"""

import enum

import pytest
from omegaconf import OmegaConf

from moonml.config.objective import check_sweeper_direction
from moonml.errors import MoonmlError


class OptunaDirection(enum.Enum):
    minimize = 1
    maximize = 2


SWEEPERS = {
    "optuna": lambda maximize: {
        "direction": OptunaDirection.maximize if maximize else OptunaDirection.minimize
    },
    "nevergrad": lambda maximize: {"optim": {"optimizer": "NGOpt", "maximize": maximize}},
    "ax": lambda maximize: {"ax_config": {"max_trials": 10, "experiment": {"minimize": not maximize}}},
}
FIXES = {
    ("optuna", "maximize"): "add hydra.sweeper.direction=maximize",
    ("optuna", "minimize"): "add hydra.sweeper.direction=minimize",
    ("nevergrad", "maximize"): "add hydra.sweeper.optim.maximize=true",
    ("nevergrad", "minimize"): "add hydra.sweeper.optim.maximize=false",
    ("ax", "maximize"): "add hydra.sweeper.ax_config.experiment.minimize=false",
    ("ax", "minimize"): "add hydra.sweeper.ax_config.experiment.minimize=true",
}


@pytest.mark.parametrize("sweeper", SWEEPERS)
@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_a_sweeper_going_the_other_way_is_refused_with_its_own_fix(sweeper: str, direction: str) -> None:
    objective = OmegaConf.create({"metric": "cv_best_score", "direction": direction})
    agrees = OmegaConf.create(SWEEPERS[sweeper](direction == "maximize"))
    check_sweeper_direction(objective, agrees)
    opposes = OmegaConf.create(SWEEPERS[sweeper](direction != "maximize"))
    with pytest.raises(MoonmlError) as err:
        check_sweeper_direction(objective, opposes)
    assert f"but objective.direction={direction} (cv_best_score)" in str(err.value)
    assert str(err.value).endswith(FIXES[sweeper, direction])


def test_sweepers_without_a_direction_pass() -> None:
    objective = OmegaConf.create({"metric": "cv_best_score", "direction": "maximize"})
    check_sweeper_direction(objective, OmegaConf.create({"max_batch_size": None}))  # Hydra's basic
    check_sweeper_direction(objective, OmegaConf.create({"direction": ["minimize", "maximize"]}))
