"""moonml with azureml.sdk=v2: tracking URI, data register and model download through MLClient.

The real MLClient is built from the real settings and credential choice; the test double sits
only at the MLClient operations that leave the machine (workspaces.get, data.create_or_update).
The workspace's MLflow registry is stood in for by a real local sqlite store.
"""

import os
import shlex
import shutil
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from azure.ai.ml.entities import Data
from azure.ai.ml.operations import DataOperations, WorkspaceOperations

from moonml.azure import v2
from moonml.cli.data import main as data_main
from moonml.cli.model import main as model_main
from moonml.errors import MoonmlError
from moonml.tracking import azureml as tracking
from moonml.tracking import azureml_model as azure_model
from tests.helpers import DATA, REPO, SUBSCRIPTION, run_python, scrubbed_env
from tests.stand_in_azure import TOKEN, WORKSPACE_PATH, double_the_login, stand_in_azure

WORKSPACE = {
    "subscription_id": SUBSCRIPTION,
    "resource_group": "moon-rg",
    "workspace_name": "moon-ws",
    "auth": "auto",
    "timeout_s": 5,
    "sdk": "v2",
}
OVERRIDES = [f"azureml.{key}={value}" for key, value in WORKSPACE.items()]
AZURE_URI = "azureml://westeurope.api.azureml.ms/mlflow/v2.0/subscriptions/s/resourceGroups/r/x"


@pytest.fixture
def principal(monkeypatch: pytest.MonkeyPatch) -> None:
    double_the_login(monkeypatch)  # a service principal whose token requests never leave


@pytest.fixture
def workspace_mlflow(monkeypatch: pytest.MonkeyPatch, principal: None) -> dict[str, Any]:
    """workspaces.get answers with `state["uri"]` as the workspace's MLflow tracking URI."""
    state: dict[str, Any] = {"uri": AZURE_URI, "calls": []}

    def get(self: Any, name: str) -> Any:
        state["calls"].append((name, threading.current_thread().name, type(self._credentials).__name__))
        return SimpleNamespace(mlflow_tracking_uri=state["uri"])

    monkeypatch.setattr(WorkspaceOperations, "get", get)
    return state


def test_tracking_uri_from_a_laptop_asks_mlclient(workspace_mlflow: dict[str, Any]) -> None:
    assert tracking.azureml_tracking_uri(WORKSPACE) == AZURE_URI
    ((name, thread, credential),) = workspace_mlflow["calls"]
    assert name == "moon-ws" and credential == "ClientSecretCredential"
    assert thread.startswith("azureml: getting the MLflow tracking URI of AzureML workspace 'moon-ws'")


def test_tracking_uri_inside_a_job_needs_no_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZUREML_RUN_ID", "job-1")
    monkeypatch.setenv("AZUREML_ARM_SUBSCRIPTION", "s")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", AZURE_URI)
    monkeypatch.setattr(v2, "connect", lambda settings: pytest.fail("no client needed"))
    assert tracking.azureml_tracking_uri(WORKSPACE) == AZURE_URI


def test_real_mlclient_gets_the_tracking_uri_from_a_stand_in_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from azureml.mlflow._internal.service_context_loader import _AzureMLServiceContextLoader

    with stand_in_azure(monkeypatch, tmp_path) as azure:
        uri = tracking.azureml_tracking_uri(WORKSPACE)
    # azureml-mlflow's form for MLflow 3, registered with the MLClient's credential in-process.
    assert uri == azure.mlflow_uri.replace("/mlflow/v1.0/", "/mlflow/v2.0/")
    assert _AzureMLServiceContextLoader.has_service_context(uri)
    ((method, path, authorization),) = azure.requests
    assert method == "GET" and authorization == f"Bearer {TOKEN}"
    assert path.startswith(f"{WORKSPACE_PATH}?api-version=")


def test_a_silent_network_ends_at_the_deadline(monkeypatch: pytest.MonkeyPatch, silent_port: int) -> None:
    double_the_login(monkeypatch)
    monkeypatch.setenv("AZUREML_DEV_URL_MFE", f"https://127.0.0.1:{silent_port}")
    with pytest.raises(MoonmlError) as caught:
        tracking.azureml_tracking_uri({**WORKSPACE, "timeout_s": 0.5})
    message = str(caught.value)
    assert message.startswith("getting the MLflow tracking URI of AzureML workspace 'moon-ws'")
    assert "no answer within 0.5 s (azureml.timeout_s)" in message and "\n" not in message


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"AZURE_TENANT_ID": "not a tenant", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s"}, "Invalid"),
        ({"AZURE_TENANT_ID": "t"}, "service principal credentials incomplete"),
    ],
)
def test_bad_credentials_are_one_line(monkeypatch: pytest.MonkeyPatch, env: dict, expected: str) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(MoonmlError, match=expected) as caught:
        tracking.azureml_tracking_uri(WORKSPACE)
    assert "\n" not in str(caught.value)


def test_credentials_chosen_without_asking(monkeypatch: pytest.MonkeyPatch) -> None:
    """The launcher's choose_auth picks; v2 maps each choice to its azure-identity credential."""
    from azureml_launcher.v2 import client as _client_v2

    assert type(v2.connect(WORKSPACE).client._credential).__name__ == "AzureCliCredential"
    monkeypatch.setenv("IDENTITY_ENDPOINT", "http://127.0.0.1:1/token")
    assert type(v2.connect(WORKSPACE).client._credential).__name__ == "ManagedIdentityCredential"
    with pytest.raises(MoonmlError, match="needs a terminal"):
        v2.connect({**WORKSPACE, "auth": "interactive"})
    assert type(_client_v2.credential("device_code", {})).__name__ == "DeviceCodeCredential"


def test_a_bad_sdk_value_is_named() -> None:
    with pytest.raises(MoonmlError, match=r"azureml.sdk='V2': choose one of v1, v2"):
        tracking.azureml_tracking_uri({**WORKSPACE, "sdk": "V2"})


def test_register_makes_a_new_uri_folder_version(
    monkeypatch: pytest.MonkeyPatch, principal: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    created: list[tuple[Data, str]] = []

    def create_or_update(self: Any, data: Data) -> Any:
        created.append((data, threading.current_thread().name))
        return SimpleNamespace(
            name=data.name,
            version="4",
            path="azureml://datastores/workspaceblobstore/paths/LocalUpload/ab12/data/",
        )

    monkeypatch.setattr(DataOperations, "create_or_update", create_or_update)
    code = data_main(["register", "--name", "moon_dataset", "--path", str(DATA), *OVERRIDES])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.splitlines() == [
        "registered dataset moon_dataset version 4",
        "datastore path: azureml://datastores/workspaceblobstore/paths/LocalUpload/ab12/data/",
    ]
    ((data, thread),) = created
    assert isinstance(data, Data)  # the real data asset the SDK would upload and register
    assert (data.name, data.type, data.version) == ("moon_dataset", "uri_folder", None)
    assert Path(data.path) == DATA.absolute()
    assert thread.startswith("azureml: uploading")


def test_register_uploads_a_single_table_file_as_a_folder(
    monkeypatch: pytest.MonkeyPatch, principal: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uploaded: list[list[str]] = []

    def create_or_update(self: Any, data: Data) -> Any:
        uploaded.append(sorted(path.name for path in Path(data.path).iterdir()))
        assert data.type == "uri_folder"  # data=azureml reads a folder, in a job as here
        return SimpleNamespace(
            name=data.name, version="1", path="azureml://datastores/x/paths/LocalUpload/cd/"
        )

    monkeypatch.setattr(DataOperations, "create_or_update", create_or_update)
    (tmp_path / "churn.csv").write_text("tenure,plan,churned\n3,basic,yes\n40,pro,no\n")
    (tmp_path / "notes.txt").write_text("stays here")
    code = data_main(["register", "--name", "churn", "--path", str(tmp_path / "churn.csv"), *OVERRIDES])
    assert code == 0, capsys.readouterr().err
    assert uploaded == [["churn.csv"]]


def test_register_checks_the_folder_before_any_azure_call(
    monkeypatch: pytest.MonkeyPatch, principal: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(DataOperations, "create_or_update", lambda self, data: pytest.fail("no upload"))
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "train.csv").write_text("x1,x2,y\n")  # the columns are the data option's to check
    assert data_main(["register", "--name", "moon_dataset", "--path", str(tmp_path / "bad"), *OVERRIDES]) == 1
    assert "train.csv: the file has a header but no rows" in capsys.readouterr().err


def registered_model(store: str, tmp_path: Path) -> None:
    """Version 1 of moon_model in a real MLflow registry (a minimal MLflow model folder)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=store, registry_uri=store)
    run = client.create_run(client.create_experiment("moonml", artifact_location=str(tmp_path / "art")))
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "MLmodel").write_text("flavors: {}\n")
    client.log_artifacts(run.info.run_id, str(folder), "model")
    client.create_registered_model("moon_model")
    client.create_model_version("moon_model", f"runs:/{run.info.run_id}/model", run.info.run_id)
    client.set_terminated(run.info.run_id)


@pytest.mark.e2e
def test_model_download_goes_through_the_workspaces_mlflow_registry(
    workspace_mlflow: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = f"sqlite:///{tmp_path / 'workspace.db'}"
    registered_model(store, tmp_path)
    workspace_mlflow["uri"] = store
    for reference in ("moon_model:1", "moon_model:latest"):
        out = tmp_path / reference.replace(":", "_")
        # A generous deadline: opening a sqlite store takes seconds on a busy machine.
        overrides = [*OVERRIDES, "azureml.timeout_s=120"]
        code = model_main(["download", reference, "--output", str(out), "tracking=azureml", *overrides])
        printed, err = capsys.readouterr()
        assert code == 0, err
        assert (out / "MLmodel").read_text() == "flavors: {}\n"
        assert f"downloaded {reference} to {out}" in printed
    with pytest.raises(MoonmlError, match="no model moon_model:7 is registered there") as caught:
        azure_model.download_model({**WORKSPACE, "timeout_s": 120}, "moon_model", "7", str(tmp_path / "none"))
    assert "\n" not in str(caught.value)


def test_nothing_imports_azure_ai_ml_for_v1_or_help(tmp_path: Path) -> None:
    """--help and the v1 paths stay light: azure.ai.ml is imported only when v2 is asked for."""
    import subprocess
    import sys

    code = (
        "import sys, runpy; sys.argv = ['moonml', '--help']\n"
        "try:\n    runpy.run_module('moonml', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "from moonml.tracking import azureml, azureml_model\nfrom moonml.data import azureml as dataset\n"
        "from azureml_launcher import launch\n"
        "from azureml_launcher.v1 import dry_run, submit\n"
        "print(sorted(m for m in sys.modules if m.startswith('azure.ai')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.e2e
def test_without_azure_ai_ml_v2_names_the_install_command(block_imports: Any, tmp_path: Path) -> None:
    env = scrubbed_env(PYTHONPATH=block_imports("azure.ai.ml"))
    done = run_python(
        ["-m", "moonml.data", "register", "--name", "moon_dataset", "--path", str(DATA), *OVERRIDES],
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 1
    (line,) = [line for line in done.stderr.splitlines() if line.strip()]
    assert line.startswith("error: sdk=v2 needs azure-ai-ml (")
    assert line.endswith('install the azure extra: pip install -e ".[azure]"')


def test_the_job_environment_installs_neither_sdk() -> None:
    """A job trains and tracks with azureml-mlflow alone; Microsoft advises against installing
    both SDKs together, and the job needs neither."""
    lines = (REPO / "requirements.txt").read_text().splitlines()
    pinned = {line.split("==")[0] for line in lines if line.strip() and not line.startswith("#")}
    assert "azureml-mlflow" in pinned
    assert not pinned & {"azureml-core", "azure-ai-ml", "azureml-dataprep", "azureml-dataprep-rslex"}


@pytest.mark.e2e
def test_a_shipped_v2_job_trains_and_tracks_without_either_sdk(block_imports: Any, tmp_path: Path) -> None:
    """The command a v2 dry run wrote, replayed as AzureML runs it (its variables, the input
    mounted, the job's MLflow run made first) in a Python where neither SDK can be imported."""
    from mlflow.tracking import MlflowClient

    project = tmp_path / "project"
    for name in ("moonml", "conf", "data", "launchers"):  # .amlignore leaves launchers/tests out
        shutil.copytree(REPO / name, project / name, ignore=shutil.ignore_patterns("__pycache__", "tests"))
    shutil.copy2(REPO / "requirements.txt", project / "requirements.txt")
    sweep = tmp_path / "sweep"
    overrides = ["compute=cpu-cluster", "data=azureml", "tracking=azureml", "azureml.sdk=v2"]
    quick = "model.grid={n_estimators:[10],criterion:[gini],max_depth:[5]}"
    dry = run_python(
        ["-m", "moonml", *overrides, quick, "hydra.launcher.dry_run=true", f"hydra.sweep.dir={sweep}"],
        env=scrubbed_env(),
        cwd=project,
        timeout=120,
    )
    assert dry.returncode == 0, dry.stderr

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(uri)
    experiment_id = client.create_experiment("moonml")
    job_run = client.create_run(experiment_id).info.run_id
    node = tmp_path / "node"
    shutil.copytree(sweep / "azureml_snapshot", node)
    blocked = block_imports("azureml.core", "azure.ai.ml", "azureml.dataprep")
    env = scrubbed_env(
        AZUREML_RUN_ID=job_run,
        AZUREML_ARM_SUBSCRIPTION=SUBSCRIPTION,
        MLFLOW_TRACKING_URI=uri,
        MLFLOW_RUN_ID=job_run,
        MLFLOW_EXPERIMENT_ID=experiment_id,
        PYTHONPATH=f"launchers{os.pathsep}{blocked}",
        AZURE_ML_INPUT_moon_dataset=str(DATA),  # ${{inputs.moon_dataset}}: where AzureML mounted it
    )
    argv = shlex.split((sweep / "0" / "azureml" / "command.txt").read_text())
    job = run_python(argv[1:], env=env, cwd=node, timeout=300)
    assert job.returncode == 0, job.stderr[-3000:]
    run = client.get_run(job_run)
    assert run.info.status == "FINISHED" and run.data.metrics["accuracy"] > 0.9
