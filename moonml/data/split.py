"""The one validated train/test split every data source yields."""

from dataclasses import dataclass, field

import pandas as pd

FEATURES = ["x1", "x2"]
LABEL = "y"


@dataclass
class Split:
    train: pd.DataFrame  # columns x1, x2, y
    test: pd.DataFrame
    # Identifies the data a run saw (file hashes, generator settings); logged as MLflow tags.
    fingerprint: dict[str, str] = field(default_factory=dict)
    # Where the training rows came from, for messages about them (a file path, or the generator).
    train_origin: str = "the training data"
