"""Inside an AzureML job moonml logs into the job's own run, whatever experiment it is filed in.

The job is replayed here: the command a dry run wrote, run in a real process with the variables
AzureML sets in a v1 job (MLFLOW_RUN_ID, MLFLOW_TRACKING_URI, AZUREML_RUN_ID, ...), against a
real sqlite store standing in for the workspace's tracking store, the job's run created first,
as the service does, under the experiment name the launcher chose.
"""

import base64
import json
import shlex
import shutil
from pathlib import Path

import pytest

from tests.helpers import REPO, run_python, scrubbed_env

pytestmark = pytest.mark.e2e


def project_copy(root: Path) -> Path:
    for name in ("moonml", "conf", "data", "launchers"):  # .amlignore leaves launchers/tests out
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "tests"))
    shutil.copy2(REPO / "requirements.txt", root / "requirements.txt")
    return root


def dry_run(project: Path, sweep: Path, overrides: list[str]) -> None:
    """The launcher's dry run of `python -m moonml compute=cpu-cluster` with a quick grid."""
    dry = run_python(
        [
            "-m",
            "moonml",
            "compute=cpu-cluster",
            *overrides,
            "model.grid={n_estimators:[10],criterion:[gini],max_depth:[5]}",  # a quick job
            "hydra.launcher.dry_run=true",
            f"hydra.sweep.dir={sweep}",
        ],
        env=scrubbed_env(),
        cwd=project,
        timeout=120,
    )
    assert dry.returncode == 0, dry.stderr


def replay_job(
    shipped: Path,
    snapshot: Path,
    node: Path,
    uri: str,
    experiment_id: str,
    job_uri: str | None = None,
    **variables: str,
) -> str:
    """Run a shipped job's command as AzureML would, in the run the service made first; its id.

    The job is handed `job_uri` (default: `uri`, where the run is made) as its tracking URI.
    """
    from mlflow.tracking import MlflowClient

    job_run = MlflowClient(uri).create_run(experiment_id).info.run_id
    shutil.copytree(snapshot, node)
    env = scrubbed_env(
        AZUREML_RUN_ID=job_run,
        AZUREML_ARM_SUBSCRIPTION="00000000-0000-0000-0000-000000000001",
        MLFLOW_TRACKING_URI=job_uri or uri,
        MLFLOW_RUN_ID=job_run,
        MLFLOW_EXPERIMENT_ID=experiment_id,
        PYTHONPATH="launchers",  # the environment's variable (conf/environment)
        **variables,
    )
    argv = shlex.split((shipped / "command.txt").read_text())
    assert argv[0] == "python"
    job = run_python(argv[1:], env=env, cwd=node, timeout=300)
    assert job.returncode == 0, job.stderr[-3000:]
    return job_run


def test_job_logs_into_its_own_run_under_a_different_experiment(tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    project = project_copy(tmp_path / "project")
    sweep = tmp_path / "sweep"
    dry_run(project, sweep, ["hydra.launcher.experiment_name=team.moonml"])
    shipped = json.loads((sweep / "0" / "azureml" / "script_run_config.json").read_text())
    assert shipped["experiment"] == "team-moonml"  # differs from tracking.experiment_name

    # The service creates the run in that experiment before the job starts.
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(uri)
    experiment_id = client.create_experiment(shipped["experiment"])
    job_run = replay_job(
        sweep / "0" / "azureml", sweep / "azureml_snapshot", tmp_path / "node", uri, experiment_id
    )

    run = client.get_run(job_run)
    assert run.info.status == "FINISHED"
    assert run.data.metrics["accuracy"] > 0.9
    assert run.data.params["selected/criterion"] == "gini"
    assert "moonml" not in {e.name for e in client.search_experiments()}  # no experiment change
    assert len(client.search_runs([experiment_id])) == 1  # no second run beside the job's


def unsigned_jwt(**claims: object) -> str:
    """A token of the form AzureML hands a job (azureml-mlflow reads its expiry), unsigned."""

    def part(content: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(content).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.unsigned"


JOB_TOKEN = unsigned_jwt(exp=4102444800, aud="https://management.azure.com/")


def test_a_job_tracks_into_an_azureml_like_service(tmp_path: Path, azureml_like_mlflow) -> None:
    """The same replay against AzureML's MLflow surface as reported (no logged models, no aliases),
    through azureml-mlflow's REST store with the job's token, as on a node."""
    from mlflow.tracking import MlflowClient

    project = project_copy(tmp_path / "project")
    sweep = tmp_path / "sweep"
    dry_run(project, sweep, ["hydra.launcher.experiment_name=in-job", "tracking.register_model=in_job_model"])
    client = MlflowClient(azureml_like_mlflow.uri)  # the service's view of the same store
    experiment_id = client.create_experiment("in-job")
    job_run = replay_job(
        sweep / "0" / "azureml",
        sweep / "azureml_snapshot",
        tmp_path / "node",
        azureml_like_mlflow.uri,
        experiment_id,
        job_uri=azureml_like_mlflow.azureml_uri,
        MLFLOW_TRACKING_TOKEN=JOB_TOKEN,
        REQUESTS_CA_BUNDLE=str(azureml_like_mlflow.certificate),
    )

    run = client.get_run(job_run)
    # The service ends the job's run when the job ends: azureml-mlflow leaves its status alone.
    assert run.info.status == "RUNNING"
    assert run.data.metrics["accuracy"] > 0.9 and "cv_best_score" in run.data.metrics
    assert "mlflow.log-model.history" in run.data.tags
    [version] = client.search_model_versions("name='in_job_model'")
    assert version.run_id == job_run and version.tags == {"moonml.alias.champion": "true"}
    assert {"/api/2.0/mlflow/logged-models", "/api/2.0/mlflow/registered-models/alias"} <= (
        azureml_like_mlflow.refused_paths()
    )
    assert f"Bearer {JOB_TOKEN}" in azureml_like_mlflow.authorizations


def test_a_sweep_on_azureml_registers_only_its_best_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Each job is a plain single run on its node: told its sweep by a run variable, it registers
    nothing; the sweep's end (wait=true), or `moonml.model register-best` later, registers the
    best run's model once."""
    from mlflow.tracking import MlflowClient
    from omegaconf import OmegaConf

    from moonml.app.callbacks import RegisterSweepBest
    from moonml.cli.model import main as model_cli
    from moonml.config.schema import register_schemas
    from moonml.tracking import sweep_best

    # As in the launching moonml: its config's name resolvers (moonml.model_name) are registered.
    register_schemas()
    project = project_copy(tmp_path / "project")
    sweep = tmp_path / "sweep"
    dry_run(project, sweep, ["model.params.min_samples_leaf=1,60"])  # two jobs, the first better

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"  # stands in for the workspace's tracking store
    client = MlflowClient(uri)
    experiment_id = client.create_experiment("moonml")  # the launcher's experiment
    job_runs = []
    for job in ("0", "1"):
        shipped = sweep / job / "azureml"
        # As the service sets them on the node: the run's variables from its configuration.
        run_variables = json.loads((shipped / "run_config.json").read_text())["environmentVariables"]
        node = tmp_path / f"node{job}"
        job_runs.append(
            replay_job(shipped, sweep / "azureml_snapshot", node, uri, experiment_id, **run_variables)
        )
    runs = [client.get_run(r) for r in job_runs]
    assert [r.info.status for r in runs] == ["FINISHED", "FINISHED"]
    assert {r.data.tags["moonml.sweep"] for r in runs} == {str(sweep)}
    assert client.search_model_versions("name='moon_model'") == []  # no job registered itself
    scores = [r.data.metrics["cv_best_score"] for r in runs]
    assert scores[0] > scores[1]

    # The sweep's end, in the launching process: the workspace's MLflow URI is the one double.
    monkeypatch.setattr(sweep_best, "azureml_tracking_uri", lambda settings: uri)
    callback = RegisterSweepBest()
    # The config Hydra handed the callbacks of that sweep (as Hydra saved it), then submitted
    # for real: without waiting, and waiting for the runs.
    submitted = OmegaConf.load(sweep / "multirun.yaml")
    submitted.hydra.launcher.dry_run = False
    waited = OmegaConf.merge(submitted, {"hydra": {"launcher": {"wait": True}}})
    # Without waiting the runs are still queued when the sweep ends: it says how to register later.
    with caplog.at_level("WARNING"):
        callback.on_multirun_end(submitted)
    assert f"python -m moonml.model register-best {sweep} tracking=azureml --experiment moonml" in caplog.text
    assert client.search_model_versions("name='moon_model'") == []
    # Having waited, the sweep's end registers the best run's model, which becomes the champion.
    callback.on_multirun_end(waited)
    [version] = client.search_model_versions("name='moon_model'")
    assert version.run_id == job_runs[0]
    assert client.get_model_version_by_alias("moon_model", "champion").version == version.version

    # Registering the same sweep again adds no version.
    monkeypatch.chdir(project)
    assert model_cli(["register-best", str(sweep), f"tracking.uri={uri}"]) == 0
    assert len(client.search_model_versions("name='moon_model'")) == 1


def test_register_best_names_a_sweep_without_finished_runs(tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    MlflowClient(uri).create_experiment("moonml")
    done = run_python(
        ["-m", "moonml.model", "register-best", "multirun/nowhere", f"tracking.uri={uri}"],
        env=scrubbed_env(),
        cwd=tmp_path,
    )
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert str(tmp_path / "multirun" / "nowhere") in line and "experiment 'moonml'" in line
