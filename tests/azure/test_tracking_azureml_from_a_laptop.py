"""`python -m moonml tracking=azureml` from a laptop, against AzureML's MLflow surface as reported
(no logged models, no aliases): the real azure-ai-ml MLClient finds the workspace's MLflow URI on
a stand-in (tests/azureml_like_mlflow.py), azureml-mlflow's REST store logs and registers
through it with the token of an `az` script on PATH. Real subprocesses, as a user types them."""

import os
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from tests.helpers import DATA, SUBSCRIPTION, run_python, scrubbed_env

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

WORKSPACE = [
    "azureml.sdk=v2",
    "azureml.auth=cli",
    f"azureml.subscription_id={SUBSCRIPTION}",
    "azureml.resource_group=moon-rg",
    "azureml.workspace_name=moon-ws",
]


def laptop_env(proxy, tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    az = bin_dir / "az"
    az.write_text('#!/bin/sh\necho \'{"accessToken": "laptop-token", "expires_on": 4102444800}\'\n')
    az.chmod(0o755)
    return scrubbed_env(
        PATH=f"{bin_dir}:{os.environ['PATH']}",
        AZUREML_DEV_URL_MFE=f"https://127.0.0.1:{proxy.https_port}",  # the SDK's management endpoint
        REQUESTS_CA_BUNDLE=str(proxy.certificate),
    )


def test_train_register_and_download_the_champion(azureml_like_mlflow, tmp_path: Path) -> None:
    env = laptop_env(azureml_like_mlflow, tmp_path)
    trained = run_python(
        [
            "-m",
            "moonml",
            "tracking=azureml",
            *WORKSPACE,
            "tracking.experiment_name=laptop",
            "tracking.register_model=laptop_model",
            f"data.train_path={DATA / 'train.csv'}",
            f"data.test_path={DATA / 'test.csv'}",
            "model.grid={n_estimators:[10],criterion:[gini],max_depth:[5]}",
            "model.cv=2",
        ],
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    client = MlflowClient(azureml_like_mlflow.uri)  # the service's view of the same store
    (run,) = client.search_runs([client.get_experiment_by_name("laptop").experiment_id])
    assert run.info.status == "FINISHED" and run.data.metrics["accuracy"] > 0.9
    [version] = client.search_model_versions("name='laptop_model'")
    assert version.run_id == run.info.run_id and version.tags == {"moonml.alias.champion": "true"}
    assert "Bearer laptop-token" in azureml_like_mlflow.authorizations

    target = tmp_path / "champion"
    command = ["download", "laptop_model@champion", "--output", str(target), "tracking=azureml"]
    downloaded = run_python(
        ["-m", "moonml.model", *command, *WORKSPACE],
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert downloaded.returncode == 0, downloaded.stderr[-3000:]
    model = mlflow.pyfunc.load_model(str(target))
    assert list(model.predict(pd.DataFrame({"x1": [-0.5, 1.5], "x2": [0.8, -0.4]}))) == [0, 1]
