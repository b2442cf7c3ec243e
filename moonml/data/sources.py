"""Load the split that the `data` config group describes."""

from typing import Any

from moonml.data.azureml import load_azureml_split
from moonml.data.csv import read_split, split_file
from moonml.data.moons import generate_split
from moonml.data.split import Columns, Split


def load_split(data_cfg: Any, azureml_settings: Any, seed: int, missing_ok: bool = False) -> Split:
    """The split of `data.source`: table files, generated moons, or a registered AzureML dataset.

    `seed` splits a single table file; `missing_ok`: the estimator handles missing feature values.
    """
    source = data_cfg.source
    if source == "generated":
        return generate_split(
            n_samples=data_cfg.n_samples,
            noise=data_cfg.noise,
            test_size=data_cfg.test_size,
            seed=data_cfg.seed,
        )
    # Table files, on this machine or in a registered dataset, are read by the same settings.
    features = data_cfg.features
    columns = Columns(data_cfg.label, None if features is None else tuple(features), missing_ok)
    if source == "csv":
        if data_cfg.path is not None:
            return split_file(data_cfg.path, columns, data_cfg.test_size, seed)
        return read_split(data_cfg.train_path, data_cfg.test_path, columns)
    if source == "azureml":
        return load_azureml_split(data_cfg, azureml_settings, columns, seed)
    raise ValueError(f"unknown data source {source!r}")
