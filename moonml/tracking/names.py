"""The names moonml records runs and models under, which the registry reads back."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Every run of one sweep carries this tag (the sweep's directory), so the MLflow UI can filter
# them and the sweep's end (or `python -m moonml.model register-best`) finds them.
SWEEP_TAG = "moonml.sweep"
MODEL_PATH = "model"  # the name of the run's model (its artifact path where logged as artifacts)
# MLflow refuses longer run names.
MAX_RUN_NAME = 250
# The AzureML dataset of the moon data is moon_dataset (the tutorial's name), its model moon_model.
DATASET_SUFFIX = "_dataset"
# tracking.register: which runs get a model version (moonml.tracking.registry); the first is the default.
REGISTER_CHOICES = ("champion", "always")


def data_name(data: Mapping[str, Any]) -> str:
    """What the data is called: `data.name` (an AzureML dataset's without `_dataset`), else its file.

    Without a name: one table file (`data.path`) gives its file name, a train/test pair the
    folder holding the train file. The tutorial's options say `moon`.
    """
    name = data.get("name")
    if name:
        return str(name).removesuffix(DATASET_SUFFIX) or str(name)
    if data.get("path"):
        return Path(str(data["path"])).stem
    if data.get("train_path"):
        return Path(str(data["train_path"])).absolute().parent.name
    raise ValueError(
        "data.name: the data has no name to call its experiment and registered model after; "
        "set data.name (e.g. data.name=churn), or tracking.experiment_name and tracking.register_model"
    )


def experiment_name(data: Mapping[str, Any]) -> str:
    """`<data name>ml`: moonml for the tutorial's moon data."""
    return f"{data_name(data)}ml"


def model_name(data: Mapping[str, Any]) -> str:
    """`<data name>_model`: moon_model for the tutorial's moon data."""
    return f"{data_name(data)}_model"


def run_name(overrides: list[str], fallback: str) -> str:
    """`seed=2,max_depth=[10]` from the job's overrides: last key part, file names not paths."""
    parts = []
    for override in overrides:
        key, sep, value = override.lstrip("+~").partition("=")
        short_value = Path(value).name if "/" in value and not value.startswith("[") else value
        parts.append(f"{key.rsplit('.', 1)[-1]}{sep}{short_value}")
    name = ",".join(parts) or fallback
    return name if len(name) <= MAX_RUN_NAME else name[: MAX_RUN_NAME - 3] + "..."


def registers_always(tracking: Mapping[str, Any]) -> bool:
    """Whether every run gets a model version (tracking.register=always), not only a new champion."""
    return tracking.get("register") == "always"


def naming_problems(tracking: Mapping[str, Any]) -> list[str]:
    """Why the run's experiment or model name cannot be had from the data, or its model cannot be
    registered as tracking.register says (a config check)."""
    for key in ("experiment_name", "register_model"):
        try:
            tracking.get(key)
        except ValueError as err:  # OmegaConf's error around data_name's, which says it in one line
            return [str(err.__cause__ or err)]
    if tracking.get("backend") == "none" or not tracking.get("register_model"):
        return []
    register = tracking.get("register")
    if register not in REGISTER_CHOICES:
        return [
            f"tracking.register: {register!r} is not one of {', '.join(REGISTER_CHOICES)} "
            "(tracking.register_model=null registers nothing)"
        ]
    if register == "champion" and not tracking.get("champion_alias"):
        return [
            "tracking.register=champion needs tracking.champion_alias (it is null): name an alias, "
            "or set tracking.register=always"
        ]
    return []
