"""What reaches the console besides moonml's own blocks: MLflow's notices only when verbose.

MLflow logs store creation and model-version waits at INFO, prints registration notices to
stderr and run links to stdout. A quiet run (no `hydra.verbose`) sets MLflow's own switches
through the environment, so the helper process and any job processes inherit them.
"""

import logging
import os

from moonml.credentials import without_credentials

QUIET_LEVELS = ("WARNING", "ERROR", "CRITICAL")
# MLflow 3.15's UI shows every experiment as GenAI (an empty overview, no runs table) unless the
# browser's switch says "Model training" or the page's address does (its own links keep it).
ML_VIEW = "workflowType=machine_learning"


def quiet_unless_verbose(verbose: object) -> None:
    """Before anything imports mlflow: quiet unless `hydra.verbose` is set."""
    if verbose:
        return
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")


def silence_mlflow_notices() -> None:
    """In the process that logs to MLflow: drop its print()-style notices when it logs quietly.

    MLflow prints them (eprint) to a module-level stream looked up at each call; its log handler
    keeps the stream it was built with, so MLflow's warnings still show.
    """
    if os.environ.get("MLFLOW_LOGGING_LEVEL", "").upper() not in QUIET_LEVELS:
        return
    from mlflow.utils import logging_utils

    logging_utils.MLFLOW_LOGGING_STREAM = open(os.devnull, "w")  # noqa: SIM115 - lives with the process
    # Warnings about MLflow's own type hints, emitted while it imports its sklearn flavour:
    # nothing a user can act on.
    logging.getLogger("mlflow.types.type_hints").setLevel(logging.ERROR)
    # Its stores log each database error, with a traceback, before raising it (100+ lines for a
    # folder turned read-only); the raised error is what moonml reports, in one line.
    logging.getLogger("mlflow.store").setLevel(logging.CRITICAL)


def run_link(uri: str, experiment_id: str, run_id: str) -> str | None:
    """The run's page in the MLflow UI, when the tracking URI is a server that has one."""
    return ui_page(uri, f"experiments/{experiment_id}/runs/{run_id}")


def ui_page(uri: str, route: str) -> str | None:
    """A page of the MLflow UI (`route`: e.g. experiments/1) in its machine-learning view."""
    if not uri.startswith(("http://", "https://")):
        return None
    page, _ = without_credentials(uri.rstrip("/"))  # the browser asks for them
    return f"{page}/#/{route}?{ML_VIEW}"
