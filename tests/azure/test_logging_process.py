"""tracking=azureml where the MLflow helper process is spawned (macOS, Windows): it sets itself up
with the credentials the user chose before its first MLflow call."""

import functools
import pickle
import time
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from moonml.config.schema import MlflowTracking
from moonml.tracking import azureml as tracking
from moonml.tracking import mlflow_run

SETTINGS = {"subscription_id": "s", "resource_group": "r", "workspace_name": "w", "auth": "cli"}


def test_the_setup_is_the_tracking_uri_call_with_the_users_settings() -> None:
    setup = tracking.logging_process_setup(OmegaConf.create({**SETTINGS, "timeout_s": 5}))
    sent = pickle.loads(pickle.dumps(setup))  # what a spawned process receives
    assert sent.func is tracking.azureml_tracking_uri
    assert sent.args == ({**SETTINGS, "timeout_s": 5},)


@pytest.mark.e2e
@pytest.mark.parametrize("method, prepared", [("spawn", True), ("fork", False)])
def test_a_spawned_helper_runs_the_setup_before_logging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str, prepared: bool
) -> None:
    """A forked helper inherits the parent's state; a spawned one runs the setup first."""
    monkeypatch.setattr(mlflow_run, "START_METHOD", method)
    marker = tmp_path / "prepared"
    setup = functools.partial(marker.write_text, "in the helper")
    # The schema's defaults (every setting the tracker reads), with names that need no data.
    names = {"experiment_name": "e", "register_model": None}
    cfg = OmegaConf.merge(OmegaConf.structured(MlflowTracking), names)
    with (
        mlflow_run.mlflow_session(cfg, f"sqlite:///{tmp_path / 'mlflow.db'}", setup) as session,
        session.run("r", time.time()) as tracker,
    ):
        tracker.log_metrics({"accuracy": 1.0})
    assert marker.exists() == prepared
