"""What the pipeline logs a run through (`Tracker`), and tracking=none's session, which records nothing."""

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import pandas as pd

from moonml.data.split import Split


class Tracker:
    """tracking=none: accepts every call and records nothing."""

    where = "not tracked (tracking=none)"

    def log_params(self, params: dict[str, Any]) -> None:
        pass

    def log_metrics(self, metrics: dict[str, float]) -> None:
        pass

    def set_tags(self, tags: dict[str, str]) -> None:
        pass

    def log_artifact(self, path: Path) -> None:
        pass

    def log_dict(self, content: Any, name: str) -> None:
        pass

    def log_tables(self, split: Split, data_name: str) -> None:
        pass

    def log_model(self, model: Any, example: pd.DataFrame, register: bool = True) -> None:
        pass

    def during_search(self, rows: int) -> AbstractContextManager[None]:
        """Around the search on `rows` training rows (MLflow: stopped if opening the run fails)."""
        return nullcontext()


class UntrackedSession:
    """tracking=none: runs that record nothing."""

    @contextmanager
    def run(self, run_name: str | None, started_s: float) -> Iterator[Tracker]:
        yield Tracker()
