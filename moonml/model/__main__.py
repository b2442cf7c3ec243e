"""`python -m moonml.model`: work with models in the configured MLflow registry.

    python -m moonml.model download moon_model:1 --output DIR [--force] [HYDRA OVERRIDES...]

The model reference is NAME:VERSION, NAME:latest or NAME@ALIAS. The registry is the one the
composed config tracks to (tracking=mlflow by default; e.g. add `tracking.uri=http://...` or
`tracking=azureml`). A DIR that already holds files is refused unless --force, which overwrites
files of the same name and keeps the others.
"""

import argparse
import re
import sys

from moonml.errors import MoonmlError, cli_exit_code

REFERENCE = re.compile(r"^(?P<name>[^:@/]+)(?::(?P<version>\d+|latest)|@(?P<alias>[\w-]+))$")


def model_uri(reference: str) -> str:
    """Turn NAME:VERSION, NAME:latest or NAME@ALIAS into a models:/ URI."""
    match = REFERENCE.match(reference)
    if not match:
        raise MoonmlError(
            f"model reference {reference!r}: write NAME:VERSION, NAME:latest or NAME@ALIAS "
            "(e.g. moon_model:1)"
        )
    if match["alias"]:
        return f"models:/{match['name']}@{match['alias']}"
    return f"models:/{match['name']}/{match['version']}"


def download(reference: str, output: str, overrides: list[str], force: bool = False) -> str:
    from moonml.config import compose_config
    from moonml.outputs import check_output_folder, fill_folder
    from moonml.tracking.uri import tracking_uri

    uri = model_uri(reference)
    check_output_folder(output, force)
    cfg = compose_config(overrides)
    if cfg.tracking.backend == "none":
        raise MoonmlError("tracking=none has no model registry; use tracking=mlflow or tracking=azureml")
    if cfg.tracking.backend == "azureml":
        return str(
            fill_folder(output, lambda staging: _download_from_azureml(reference, staging, cfg.azureml))
        )
    from moonml.tracking.mlflow_run import bound_http_requests
    from moonml.tracking.preflight import check_reachable

    store = tracking_uri(cfg.tracking, cfg.azureml)
    bound_http_requests(cfg.tracking.request_timeout_s)
    check_reachable(store, cfg.tracking.request_timeout_s)

    import mlflow
    from mlflow.exceptions import MlflowException

    # models:/ URIs resolve through the process-wide URI (download_artifacts' registry_uri
    # argument does not reach the registry lookup in mlflow 3.15): this command's process.
    mlflow.set_tracking_uri(store)
    try:
        return str(
            fill_folder(
                output,
                lambda staging: mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=staging),
            )
        )
    except MlflowException as err:
        raise MoonmlError(
            f"cannot download {reference} from the registry at {store}: {str(err).strip().splitlines()[0]}"
        ) from None


def _download_from_azureml(reference: str, output: str, azureml_settings) -> str:
    """AzureML's registry also holds models registered without MLflow (Model.register)."""
    match = REFERENCE.match(reference)
    if match["alias"]:
        raise MoonmlError("tracking=azureml: use NAME:VERSION or NAME:latest (AzureML has no aliases)")
    from moonml.azure.model import download_model

    return download_model(azureml_settings, match["name"], match["version"], output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m moonml.model", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("download", help="download a registered model to a folder")
    fetch.add_argument("model", help="NAME:VERSION, NAME:latest or NAME@ALIAS")
    fetch.add_argument("--output", required=True, help="folder to download the model into")
    fetch.add_argument("--force", action="store_true", help="overwrite files already in the --output folder")
    fetch.add_argument("overrides", nargs="*", help="Hydra overrides selecting the tracking backend")
    # Overrides may also follow --output, where argparse no longer takes positionals.
    args, extra = parser.parse_known_args(argv)
    if any(item.startswith("-") for item in extra):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")

    def fetch_and_report() -> None:
        path = download(args.model, args.output, [*args.overrides, *extra], args.force)
        print(f"downloaded {args.model} to {path}")
        print(f"load it with: mlflow.pyfunc.load_model({path!r})")

    return cli_exit_code(fetch_and_report)


if __name__ == "__main__":
    sys.exit(main())
