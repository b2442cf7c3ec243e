"""The one validated train/test split every data source yields, and the columns it is read by."""

from dataclasses import dataclass, field

import pandas as pd
from pandas.api.types import is_numeric_dtype


@dataclass(frozen=True)
class Columns:
    """Which columns of a table to learn from (the `data` group's label and features)."""

    label: str = "y"
    features: tuple[str, ...] | None = None  # None: every column but the label
    # Whether the estimator handles missing feature values; else they are refused.
    missing_ok: bool = False


# Label y, every other column a feature: the tutorial's files, and a dataset folder checked before upload.
EVERY_COLUMN = Columns()


@dataclass
class Split:
    train: pd.DataFrame  # the feature columns and the label column
    test: pd.DataFrame
    label: str
    features: list[str]
    # Identifies the data a run saw (file hashes, generator settings); logged as MLflow tags.
    fingerprint: dict[str, str] = field(default_factory=dict)
    # Where the rows came from, for messages about them (a file path, or the generator).
    train_origin: str = "the training data"
    test_origin: str = "the test data"

    def categorical(self) -> list[str]:
        """The features holding text (categories) rather than numbers."""
        return [name for name in self.features if not is_numeric_dtype(self.train[name])]
