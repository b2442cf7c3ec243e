"""Tracking: where a run's results go besides its output folder (MLflow, AzureML's MLflow, or
nowhere), the store's checks before a run, and the model registry."""
