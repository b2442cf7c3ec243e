"""`python -m moonml.model`: work with models in the configured MLflow registry.

    python -m moonml.model download moon_model:1 --output DIR [--force] [HYDRA OVERRIDES...]
    python -m moonml.model register-best SWEEP_DIR [--experiment NAME] [HYDRA OVERRIDES...]

The model reference is NAME:VERSION, NAME:latest or NAME@ALIAS. The registry is the one the
composed config tracks to (tracking=mlflow by default; e.g. add `tracking.uri=http://...` or
`tracking=azureml`). A DIR that already holds files is refused unless --force, which overwrites
files of the same name and keeps the others.

register-best registers the model of a sweep's best finished run by the objective (the runs
tagged `moonml.sweep` with that sweep dir), as the sweep's end does: for a sweep whose jobs ran
on AzureML without waiting, once they are done. Like any run, it gets a version only if it
becomes the champion, unless tracking.register=always. Run twice, it adds no second version.
"""

import argparse
import os
import re
import sys
from pathlib import Path

from azureml_launcher.api import first_line
from omegaconf import DictConfig

from moonml.cli.outputs import check_output_folder, fill_folder
from moonml.config.compose import compose_config
from moonml.errors import MoonmlError, cli_exit_code
from moonml.tracking.azureml import azureml_tracking_uri
from moonml.tracking.azureml_model import download_model
from moonml.tracking.names import registers_always
from moonml.tracking.store_check import bound_http_requests, check_reachable
from moonml.tracking.store_lock import sqlite_path
from moonml.tracking.uri import tracking_uri

REFERENCE = re.compile(r"^(?P<name>[^:@/]+)(?::(?P<version>\d+|latest)|@(?P<alias>[\w-]+))$")


def parse_reference(reference: str) -> re.Match:
    """NAME:VERSION, NAME:latest or NAME@ALIAS, or a MoonmlError saying how to write it."""
    match = REFERENCE.match(reference)
    if not match:
        raise MoonmlError(
            f"model reference {reference!r}: write NAME:VERSION, NAME:latest or NAME@ALIAS "
            "(e.g. moon_model:1)"
        )
    return match


def download(reference: str, output: str, overrides: list[str], force: bool = False) -> str:
    match = parse_reference(reference)
    name, version = match["name"], match["version"]
    check_output_folder(output, force)
    if not sys.stderr.isatty():  # MLflow draws its progress bars into logs and pipes too
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    cfg = _tracked_config(overrides)
    if cfg.tracking.backend == "azureml":
        # AzureML's registry also holds models registered without MLflow (Model.register).
        if match["alias"]:
            bound_http_requests(cfg.tracking.request_timeout_s)
            version = _alias_version(azureml_tracking_uri(cfg.azureml), name, match["alias"])
        return str(fill_folder(output, lambda staging: download_model(cfg.azureml, name, version, staging)))
    store = _registry_store(cfg)
    if match["alias"]:
        version = _alias_version(store, name, match["alias"])
    import mlflow
    from mlflow.exceptions import MlflowException

    # models:/ URIs resolve through the process-wide URI (download_artifacts' registry_uri
    # argument does not reach the registry lookup in mlflow 3.15): this command's process.
    mlflow.set_tracking_uri(store)
    try:
        return str(
            fill_folder(
                output,
                lambda staging: mlflow.artifacts.download_artifacts(
                    artifact_uri=f"models:/{name}/{version}", dst_path=staging
                ),
            )
        )
    except MlflowException as err:
        raise MoonmlError(
            f"cannot download {reference} from the registry at {store}: {first_line(err)}"
        ) from None


def _alias_version(store: str, name: str, alias: str) -> str:
    """The version NAME@ALIAS names: a registry alias, or where the registry has none (AzureML)
    the version tag moonml keeps instead (moonml.tracking.registry)."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    from moonml.tracking.registry import alias_version  # imports mlflow, as the lines above

    try:
        return alias_version(MlflowClient(store), name, alias)
    except MlflowException as err:
        raise MoonmlError(
            f"cannot resolve {name}@{alias} in the registry at {store}: {first_line(err)}"
        ) from None


def register_best(sweep: str, experiment: str | None, overrides: list[str]) -> str:
    """Register the best finished run of `sweep` (a sweep dir) by tracking.register; return the
    line saying whether it was registered, and as which version."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    from moonml.tracking.registry import register_sweep_best  # imports mlflow, as the lines above

    cfg = _tracked_config(overrides)
    name = cfg.tracking.register_model
    if not name:
        raise MoonmlError("tracking.register_model is null: name the registered model to add a version to")
    store = _registry_store(cfg)
    sweep = str(Path(sweep).absolute())  # runs are tagged with the absolute sweep dir
    experiment = experiment or cfg.tracking.experiment_name
    try:
        registration = register_sweep_best(
            MlflowClient(store),
            experiment,
            sweep,
            name,
            cfg.tracking.champion_alias,
            registers_always(cfg.tracking),
        )
    except MlflowException as err:
        raise MoonmlError(
            f"registering the best run of sweep {sweep} at {store}: {first_line(err)}"
        ) from None
    if registration is None:
        raise MoonmlError(
            f"no finished run of sweep {sweep} with its objective metric in experiment "
            f"{experiment!r} at {store}: check the sweep dir (its runs' moonml.sweep tag), "
            "--experiment, and that the runs have finished"
        )
    return registration.message


def _tracked_config(overrides: list[str]) -> DictConfig:
    """The composed config, which must track somewhere: the registry is the tracking backend's."""
    cfg = compose_config(overrides)
    if cfg.tracking.backend == "none":
        raise MoonmlError("tracking=none has no model registry; use tracking=mlflow or tracking=azureml")
    return cfg


def _registry_store(cfg: DictConfig) -> str:
    """The tracking store of `cfg`, proven reachable; a sqlite file must exist already."""
    store = tracking_uri(cfg.tracking, cfg.azureml)
    path = sqlite_path(store)
    if path is not None and not path.is_file():
        raise MoonmlError(
            f"no MLflow store at {path.absolute()}: run from the folder that holds it, or set tracking.uri"
        )
    bound_http_requests(cfg.tracking.request_timeout_s)
    check_reachable(store, cfg.tracking.request_timeout_s)
    return store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m moonml.model", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("download", help="download a registered model to a folder")
    fetch.add_argument("model", help="NAME:VERSION, NAME:latest or NAME@ALIAS")
    fetch.add_argument("--output", required=True, help="folder to download the model into")
    fetch.add_argument("--force", action="store_true", help="overwrite files already in the --output folder")
    fetch.add_argument("overrides", nargs="*", help="Hydra overrides selecting the tracking backend")
    best = commands.add_parser(
        "register-best", help="register the model of a sweep's best finished run (by the objective)"
    )
    best.add_argument("sweep", help="the sweep dir Hydra printed (e.g. multirun/2026-11-26/10-00-00)")
    best.add_argument(
        "--experiment", help="experiment of the sweep's runs (default: tracking.experiment_name)"
    )
    best.add_argument("overrides", nargs="*", help="Hydra overrides selecting the tracking backend")
    # Overrides may also follow an option, where argparse no longer takes positionals.
    args, extra = parser.parse_known_args(argv)
    if any(item.startswith("-") for item in extra):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    overrides = [*args.overrides, *extra]

    def fetch_and_report() -> None:
        path = download(args.model, args.output, overrides, args.force)
        print(f"downloaded {args.model} to {path}")
        print(f"load it with: mlflow.pyfunc.load_model({path!r})")

    def register_and_report() -> None:
        print(register_best(args.sweep, args.experiment, overrides))

    return cli_exit_code(fetch_and_report if args.command == "download" else register_and_report)
