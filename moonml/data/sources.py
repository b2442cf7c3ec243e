"""Load the split that the `data` config group describes."""

from typing import Any

from moonml.data.azureml import load_azureml_split
from moonml.data.csv import read_split
from moonml.data.moons import generate_split
from moonml.data.split import Split


def load_split(data_cfg: Any, azureml_settings: Any) -> Split:
    """The split of `data.source`: CSV files, generated moons, or a registered AzureML dataset."""
    source = data_cfg.source
    if source == "csv":
        return read_split(data_cfg.train_path, data_cfg.test_path)
    if source == "generated":
        return generate_split(
            n_samples=data_cfg.n_samples,
            noise=data_cfg.noise,
            test_size=data_cfg.test_size,
            seed=data_cfg.seed,
        )
    if source == "azureml":
        return load_azureml_split(data_cfg, azureml_settings)
    raise ValueError(f"unknown data source {source!r}")
