"""What a finished job returns to the sweeper: its metrics, or the one metric it optimises.

Sweepers such as Optuna cast each job's return value to float; `return_metric` names the
metric to hand them, so the launcher stays generic (the app's config fills the name in).
"""

from collections.abc import Mapping
from typing import Any, Optional

from hydra.core.utils import JobStatus

from azureml_launcher.errors import LauncherError


def job_result(
    metrics: Optional[Mapping[str, Any]], return_metric: Optional[str], where: str
) -> tuple[JobStatus, Any]:
    """(status, return value) of a completed job; FAILED when the wanted metric is absent."""
    if not return_metric:
        return JobStatus.COMPLETED, metrics
    value = (metrics or {}).get(return_metric)
    if isinstance(value, list):  # AzureML reports a metric logged several times as a list
        value = value[-1] if value else None
    try:
        return JobStatus.COMPLETED, float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        logged = ", ".join(sorted(metrics or {})) or "none"
        return JobStatus.FAILED, LauncherError(
            f"{where} has no numeric metric {return_metric!r} (hydra.launcher.return_metric); "
            f"metrics it logged: {logged}"
        )
