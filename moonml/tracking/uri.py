"""Which MLflow tracking URI a tracking config means."""

import os

from omegaconf import DictConfig

from moonml.azure import running_in_azureml_job
from moonml.tracking.azureml import azureml_tracking_uri

# MLflow's own default when nothing is set: the embedded sqlite store in the working directory.
DEFAULT_URI = "sqlite:///mlflow.db"


def tracking_uri(tracking_cfg: DictConfig, azureml_cfg: DictConfig) -> str:
    """tracking.uri, else $MLFLOW_TRACKING_URI, else the embedded store.

    tracking=azureml asks the workspace (inside an AzureML job: the job's own run).
    """
    # A shipped job logs into its own AzureML run, whatever tracking the submitter used locally.
    if tracking_cfg.backend == "azureml" or running_in_azureml_job():
        return azureml_tracking_uri(azureml_cfg)
    return tracking_cfg.get("uri") or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_URI
