"""Typed schemas for every config group, registered in Hydra's ConfigStore.

Each YAML option pulls its schema in with ``- /schema/<group>/<name>@_here_``, so a typo or a
wrong type fails at composition and names the key. Schemas live in the ``schema`` group, which
keeps them out of the options a user picks from.
"""

import warnings
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

from moonml.tracking.names import experiment_name, model_name


def _config_dir() -> str:
    """The folder of moonml's own configs: conf/ in the package, else conf/ beside it.

    One project folder, two layouts: a wheel maps the project's top-level conf/ into the package
    at build time (pyproject.toml), while a checkout, an editable install and a snapshot shipped
    from a checkout keep it beside the package. Whichever holds config.yaml is the one.
    """
    package = Path(__file__).resolve().parents[1]
    inside = package / "conf"
    return str(inside if (inside / "config.yaml").is_file() else package.parent / "conf")


CONFIG_DIR = _config_dir()


@dataclass
class CsvData:
    """A table of your own: a train file and a test file, or one file split by test_size."""

    source: str = "csv"  # CSV files, or Parquet (a .parquet or .pq extension)
    train_path: Optional[str] = None
    test_path: Optional[str] = None
    path: Optional[str] = None  # one file, split in two; given, it replaces train_path and test_path
    test_size: float = 0.2  # with `path`: the fraction of rows held out (stratified, seeded by `seed`)
    label: str = "y"  # the column holding the classes (numbers, text or true/false; two or more)
    features: Optional[list[str]] = None  # the columns learned from; None: every other column
    name: Optional[str] = None  # names the experiment and model; None: from the data file or its folder


@dataclass
class GeneratedData:
    source: str = "generated"
    n_samples: int = 1000  # train + test rows
    noise: float = 0.2  # standard deviation of the Gaussian noise added by make_moons
    test_size: float = 0.2  # fraction of rows held out for the test set
    seed: int = 42  # conf/data/generated.yaml sets the top-level seed
    name: Optional[str] = None  # names the experiment and model (conf/data/generated.yaml: moon)


@dataclass
class AzureMLData:
    source: str = "azureml"
    # The registered file dataset; without `_dataset`, it names the experiment and model (moon).
    name: str = "moon_dataset"
    version: Optional[str] = None  # None: the latest version
    mode: str = "mount"  # how an AzureML job receives it: mount (read on demand) | download (copied first)
    # The SDK that registered it (moonml.data register uses azureml.sdk, v1 unless set): an SDK v2
    # job consumes a v1 file dataset as mltable (eval_mount/eval_download), a v2 one as uri_folder.
    registered_with: str = "v1"
    download_dir: str = "data/azureml"  # where the files land when run outside an AzureML job
    # The tables in the dataset folder (CSV, or Parquet by a .parquet or .pq extension), read as
    # data=moons reads its files: train_file and test_file, or one `file` split by test_size.
    train_file: str = "train.csv"
    test_file: str = "test.csv"
    file: Optional[str] = None  # one table, split in two; given, it replaces train_file and test_file
    test_size: float = 0.2  # with `file`: the fraction of rows held out (stratified, seeded by `seed`)
    label: str = "y"  # the column holding the classes (numbers, text or true/false; two or more)
    features: Optional[list[str]] = None  # the columns learned from; None: every other column
    # Job inputs the azureml launcher attaches: {input name: {dataset, version, mode, registered_with}}
    azureml_inputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class EstimatorModel:
    estimator: str = MISSING  # import path of a scikit-learn classifier
    scale: bool = False  # standardise the numeric columns first (in the model's pipeline)
    params: dict[str, Any] = field(default_factory=dict)  # fixed constructor arguments
    grid: dict[str, list[Any]] = field(default_factory=dict)  # values tried for each parameter
    cv: int = 5  # cross-validation folds
    scoring: str = "accuracy"  # scikit-learn scorer name used to pick the best candidate
    n_jobs: int = -1  # search worker processes; -1 = every core


@dataclass
class NoTracking:
    backend: str = "none"


# Named after the data (moonml.tracking.names): moonml and moon_model for the tutorial's moon data,
# churnml and churn_model for data named churn.
EXPERIMENT_NAME = "${moonml.experiment_name:${data}}"
MODEL_NAME = "${moonml.model_name:${data}}"
# From this many training rows the MLflow helper process exits while the search runs (its ~165 MB
# would be part of the peak) and a new one takes the run over after it (about 2 s of CPU).
HELPER_RESTS_FROM_ROWS = 100_000


@dataclass
class MlflowTracking:
    backend: str = "mlflow"
    uri: Optional[str] = None  # None: $MLFLOW_TRACKING_URI, else MLflow's embedded sqlite store
    experiment_name: str = EXPERIMENT_NAME  # <data name>ml
    register_model: Optional[str] = MODEL_NAME  # <data name>_model; None skips registration
    # champion: a run gets a version only when it takes the champion alias (the first on its
    # data, or strictly better by the objective); always: every run gets one.
    register: str = "champion"
    # Moved to a new version only when it beats the holder's objective on the same data (equal
    # data.* tags); None: no alias.
    champion_alias: Optional[str] = "champion"
    request_timeout_s: int = 4  # per HTTP request to a tracking server (with retries: fails in ~15 s)
    helper_rests_from_rows: int = HELPER_RESTS_FROM_ROWS


@dataclass
class AzureMLTracking:
    backend: str = "azureml"  # the workspace's MLflow URI; inside an AzureML job, the job's run
    experiment_name: str = EXPERIMENT_NAME
    register_model: Optional[str] = MODEL_NAME  # registered in the workspace's model registry
    register: str = "champion"  # champion | always, as in MlflowTracking
    champion_alias: Optional[str] = "champion"  # best version by the objective; None: no alias
    request_timeout_s: int = 4
    helper_rests_from_rows: int = HELPER_RESTS_FROM_ROWS


@dataclass
class Compute:
    target: Optional[str] = None  # AzureML compute target name; None trains on this machine


@dataclass
class PipEnvironment:
    type: str = "pip"
    requirements: str = "requirements.txt"  # relative to the project root
    python_version: str = MISSING  # the job's Python (conf/environment/pip.yaml)
    env_vars: dict[str, str] = field(default_factory=dict)  # set in the job's process


@dataclass
class DockerRegistry:
    address: Optional[str] = None  # e.g. myacr.azurecr.io; None: public or the workspace's registry
    username_env: Optional[str] = None  # variable holding the registry username
    password_env: Optional[str] = None  # variable holding the registry password
    identity_client_id: Optional[str] = None  # a user-assigned identity allowed to pull


@dataclass
class DockerEnvironment:
    type: str = "docker"
    image: str = MISSING  # REGISTRY/NAME:TAG built from the project's Dockerfile
    registry: DockerRegistry = field(default_factory=lambda: DockerRegistry())
    env_vars: dict[str, str] = field(default_factory=dict)  # set in the job's process


@dataclass
class RegisteredEnvironment:
    type: str = "registered"
    name: str = MISSING  # an environment already registered in the workspace
    version: Optional[str] = None  # None: the latest version
    env_vars: dict[str, str] = field(default_factory=dict)  # set in the job's process


@dataclass
class AzureMLSettings:
    config_path: Optional[str] = None  # a config.json; None searches the working dir and parents
    subscription_id: Optional[str] = None
    resource_group: Optional[str] = None
    workspace_name: Optional[str] = None
    auth: str = "auto"  # auto | service_principal | managed_identity | cli | interactive | device_code
    timeout_s: Optional[float] = None  # deadline (s) of each call that leaves the machine; None: 60 s
    sdk: str = "v1"  # v1: azureml-core; v2: azure-ai-ml (launcher jobs, data register, model download)


@dataclass
class Objective:
    metric: str = "cv_best_score"  # a metric every run logs; the run returns it to Hydra
    direction: str = "maximize"  # maximize | minimize


@dataclass
class MoonmlConfig:
    # Drives the data split of data=generated, the estimator's random_state and the CV shuffling:
    # the same seed and config give the same selected params and metrics.
    seed: int = 42
    objective: Objective = field(default_factory=Objective)
    data: Any = MISSING
    model: Any = MISSING
    tracking: Any = MISSING
    compute: Any = MISSING
    environment: Any = MISSING
    azureml: AzureMLSettings = field(default_factory=AzureMLSettings)


# Each schema by its place in the `schema` group: option YAMLs pull it in as /schema/<place>.
SCHEMAS: dict[str, type] = {
    "config": MoonmlConfig,
    "data/csv": CsvData,
    "data/generated": GeneratedData,
    "data/azureml": AzureMLData,
    "model/estimator": EstimatorModel,
    "tracking/none": NoTracking,
    "tracking/mlflow": MlflowTracking,
    "tracking/azureml": AzureMLTracking,
    "compute/compute": Compute,
    "environment/pip": PipEnvironment,
    "environment/docker": DockerEnvironment,
    "environment/registered": RegisteredEnvironment,
}


def register_schemas() -> None:
    # conf/config.yaml also searches the project's own conf/ (hydra.searchpath); most projects
    # have none, and Hydra would warn of it at every start.
    warnings.filterwarnings(
        "ignore", r"provider=hydra\.searchpath in main, path=conf is not available", UserWarning
    )
    for resolver, name_of in (("moonml.experiment_name", experiment_name), ("moonml.model_name", model_name)):
        if not OmegaConf.has_resolver(resolver):
            OmegaConf.register_new_resolver(resolver, name_of)
    store = ConfigStore.instance()
    for place, schema in SCHEMAS.items():
        group, _, name = f"schema/{place}".rpartition("/")
        store.store(group=group, name=name, node=schema)


def added_key_problems(cfg: DictConfig, prefix: str = "") -> list[str]:
    """One line per key of `cfg` its schema does not have.

    Hydra's `+key=value` adds a key even to a typed node, where moonml would ignore it: a typo
    (`+sed=7`) then ran with the default. Only free-form mappings (model.params, model.grid,
    env_vars, data.azureml_inputs) take keys of the user's choosing.
    """
    schema = OmegaConf.get_type(cfg)
    known = [f.name for f in fields(schema)] if is_dataclass(schema) else None
    problems = []
    for key, node in cfg.items_ex(resolve=False):
        if known is not None and key not in known:
            problems.append(
                f"{prefix}{key}: moonml has no such setting (it has: {', '.join(known)}); fix the "
                "spelling or drop it (keys of your own go in model.params, model.grid, env_vars)"
            )
        elif isinstance(node, DictConfig):
            problems += added_key_problems(node, f"{prefix}{key}.")
    return problems
