"""Inside an AzureML job moonml logs into the job's own run, whatever experiment it is filed in.

The job is replayed here: the command a dry run wrote, run in a real process with the variables
AzureML sets in a v1 job (MLFLOW_RUN_ID, MLFLOW_TRACKING_URI, AZUREML_RUN_ID, ...), against a
real sqlite store standing in for the workspace's tracking store, the job's run created first,
as the service does, under the experiment name the launcher chose.
"""

import json
import shlex
import shutil
from pathlib import Path

import pytest

from tests.azure.conftest import REPO, run_python, scrubbed_env

pytestmark = pytest.mark.slow


def project_copy(root: Path) -> Path:
    for name in ("moonml", "conf", "data", "launchers"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO / "requirements.txt", root / "requirements.txt")
    return root


def test_job_logs_into_its_own_run_under_a_different_experiment(tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    project = project_copy(tmp_path / "project")
    sweep = tmp_path / "sweep"
    dry = run_python(
        [
            "-m",
            "moonml",
            "compute=cpu-cluster",
            "hydra.launcher.experiment_name=team.moonml",
            "model.grid={n_estimators:[10],criterion:[gini],max_depth:[5]}",  # a quick job
            "hydra.launcher.dry_run=true",
            f"hydra.sweep.dir={sweep}",
        ],
        env=scrubbed_env(),
        cwd=project,
        timeout=120,
    )
    assert dry.returncode == 0, dry.stderr
    shipped = json.loads((sweep / "0" / "azureml" / "script_run_config.json").read_text())
    assert shipped["experiment"] == "team-moonml"  # differs from tracking.experiment_name

    # The service creates the run in that experiment before the job starts.
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(uri)
    experiment_id = client.create_experiment(shipped["experiment"])
    job_run = client.create_run(experiment_id).info.run_id
    node = tmp_path / "node"
    shutil.copytree(sweep / "azureml_snapshot", node)
    env = scrubbed_env(
        AZUREML_RUN_ID=job_run,
        AZUREML_ARM_SUBSCRIPTION="00000000-0000-0000-0000-000000000001",
        MLFLOW_TRACKING_URI=uri,
        MLFLOW_RUN_ID=job_run,
        MLFLOW_EXPERIMENT_ID=experiment_id,
        PYTHONPATH="launchers",  # the environment's variable (conf/environment)
    )
    argv = shlex.split((sweep / "0" / "azureml" / "command.txt").read_text())
    assert argv[0] == "python"
    job = run_python(argv[1:], env=env, cwd=node, timeout=300)
    assert job.returncode == 0, job.stderr[-3000:]

    run = client.get_run(job_run)
    assert run.info.status == "FINISHED"
    assert run.data.metrics["accuracy"] > 0.9
    assert run.data.params["selected/criterion"] == "gini"
    assert "moonml" not in {e.name for e in client.search_experiments()}  # no experiment change
    assert len(client.search_runs([experiment_id])) == 1  # no second run beside the job's
