"""Where the two-moons data comes from, as one validated train/test split."""

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


def load_split(data_cfg, azureml_settings) -> Split:
    """Load the split that the `data` config group describes."""
    source = data_cfg.source
    if source == "csv":
        from moonml.data.csv import read_split

        return read_split(data_cfg.train_path, data_cfg.test_path)
    if source == "generated":
        from moonml.data.moons import generate_split

        return generate_split(
            n_samples=data_cfg.n_samples,
            noise=data_cfg.noise,
            test_size=data_cfg.test_size,
            seed=data_cfg.seed,
        )
    if source == "azureml":
        from moonml.azure.dataset import load_azureml_split

        return load_azureml_split(data_cfg, azureml_settings)
    raise ValueError(f"unknown data source {source!r}")
