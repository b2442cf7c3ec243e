"""hydra.launcher.return_metric: each job hands the sweeper one float, or fails saying why."""

import pytest
from azureml_launcher.errors import LauncherError
from azureml_launcher.metric import job_result
from hydra.core.utils import JobStatus


def test_no_return_metric_returns_the_metrics_dict() -> None:
    assert job_result({"score": 0.5}, None, "job #0") == (JobStatus.COMPLETED, {"score": 0.5})


def test_return_metric_is_a_float_and_the_last_of_a_series() -> None:
    assert job_result({"score": 0.5, "loss": 2}, "score", "job #0") == (JobStatus.COMPLETED, 0.5)
    assert job_result({"score": [0.1, 0.7]}, "score", "run r1") == (JobStatus.COMPLETED, 0.7)


@pytest.mark.parametrize("metrics", [None, {}, {"loss": 1.0}, {"score": "n/a"}, {"score": []}])
def test_a_run_without_the_metric_is_a_failed_job_naming_it(metrics) -> None:
    status, error = job_result(metrics, "score", "run r1 (job #3)")
    assert status == JobStatus.FAILED and isinstance(error, LauncherError)
    assert "run r1 (job #3) has no numeric metric 'score' (hydra.launcher.return_metric)" in str(error)
