"""A Hydra plugin that fails to load, as hydra-nevergrad-sweeper 1.2.0 does on Python 3.11:
its config dataclass has a dataclass instance as a field's default, which 3.11 refuses."""

from dataclasses import dataclass


@dataclass
class OptimConf:
    budget: int = 80


@dataclass
class BrokenSweeperConf:
    optim: OptimConf = OptimConf()  # noqa: RUF009  (the fault itself: ValueError, mutable default)
