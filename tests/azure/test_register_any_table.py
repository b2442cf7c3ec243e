"""`python -m moonml.data register` takes any table, and data=azureml trains on what it uploaded.

Both SDKs: the test doubles sit only at the calls that leave the machine (v1: the upload and the
registration; v2: data.create_or_update, which uploads and registers); each keeps a copy of the
folder it was given, which is then mounted as AzureML mounts a dataset in a job.
"""

import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import joblib
import pytest

from moonml.cli.data import main as data_main
from moonml.config.compose import compose_config
from moonml.data import azureml as azure_dataset
from moonml.data.sources import load_split
from moonml.train import train
from tests.helpers import SUBSCRIPTION
from tests.stand_in_azure import double_the_login
from tests.tables import azureml_cfg, iris_with_categories, write

V2_WORKSPACE = [
    f"azureml.subscription_id={SUBSCRIPTION}",
    "azureml.resource_group=moon-rg",
    "azureml.workspace_name=moon-ws",
    "azureml.timeout_s=5",
    "azureml.sdk=v2",
]


def uploads_to(
    datastore: Path, monkeypatch: pytest.MonkeyPatch, sdk: str, workspace: Any, store: Any
) -> None:
    """Each upload is copied into `datastore` (what the service would then hold)."""
    if sdk == "v1":
        from azureml.core import Dataset
        from azureml.data import FileDataset

        def upload_directory(src_dir, target, pattern=None, overwrite=False, show_progress=True):
            shutil.copytree(src_dir, datastore)

        monkeypatch.setattr(azure_dataset, "connect", lambda settings: workspace)
        monkeypatch.setattr(workspace, "get_default_datastore", lambda: store)
        monkeypatch.setattr(Dataset.File, "upload_directory", staticmethod(upload_directory))
        monkeypatch.setattr(FileDataset, "register", lambda self, ws, name, **kw: SimpleNamespace(version=1))
        return
    from azure.ai.ml.operations import DataOperations

    def create_or_update(self: Any, data: Any) -> Any:
        shutil.copytree(data.path, datastore)
        return SimpleNamespace(
            name=data.name, version="1", path="azureml://datastores/x/paths/LocalUpload/1/"
        )

    double_the_login(monkeypatch)
    monkeypatch.setattr(DataOperations, "create_or_update", create_or_update)


@pytest.mark.parametrize("sdk", ["v1", "v2"])
def test_a_table_with_string_labels_and_a_category_is_registered_and_trained_on(
    sdk: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    offline_workspace: Any,
    offline_datastore: Any,
) -> None:
    table = write(iris_with_categories(), tmp_path / "iris.csv")
    datastore = tmp_path / "datastore"
    uploads_to(datastore, monkeypatch, sdk, offline_workspace, offline_datastore)
    overrides = V2_WORKSPACE if sdk == "v2" else []
    assert data_main(["register", "--name", "iris_dataset", "--path", str(table), *overrides]) == 0, (
        capsys.readouterr().err
    )
    assert "registered dataset iris_dataset version" in capsys.readouterr().out
    assert [p.name for p in datastore.iterdir()] == ["iris.csv"]  # the table alone, unchanged
    assert (datastore / "iris.csv").read_bytes() == table.read_bytes()

    monkeypatch.setenv("AZURE_ML_INPUT_moon_dataset", str(datastore))  # mounted in the job
    table_args = ["data.label=species", "data.test_size=0.25", "seed=7"]
    cfg = azureml_cfg("data.name=iris_dataset", "data.file=iris.csv", *table_args)
    metrics = train(cfg, output_dir=str(tmp_path / "run"))
    assert metrics["accuracy"] > 0.85
    model = joblib.load(tmp_path / "run" / "model.joblib")
    assert set(model.classes_) == {"setosa", "versicolor", "virginica"}
    # The champion rule's "same data": the dataset's tags are those of the file it was made from.
    local = compose_config([f"data.path={table}", *table_args, "tracking=none"])
    assert (
        load_split(cfg.data, cfg.azureml, cfg.seed).fingerprint
        == load_split(local.data, local.azureml, local.seed).fingerprint
    )
