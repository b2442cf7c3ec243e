"""The run page's datasets and description (issue 21 item 4): the train and test tables are the run's
MLflow dataset inputs, and each run says in one line what it searched."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from moonml.data.split import Split
from moonml.tracking.datasets import SCHEMA_ROWS, split_tables
from tests import azureml_like_mlflow as azureml_like
from tests.helpers import SMALL_GRID, TEST_CSV, TRAIN_CSV, data_args, run_moonml, train_tracked
from tests.tracking.test_servers_without_mlflow_3_apis import only_run
from tests.tracking.test_servers_without_mlflow_3_apis import train as train_on_server

DESCRIPTION = "RandomForestClassifier on moon: grid search over 1 candidate, cv=2"


def inputs_by_context(run) -> dict[str, dict]:
    found = {}
    for item in run.inputs.dataset_inputs:
        [context] = [tag.value for tag in item.tags if tag.key == "mlflow.data.context"]
        dataset = item.dataset
        found[context] = {
            "name": dataset.name,
            "digest": dataset.digest,
            "source": json.loads(dataset.source),
            "columns": [column["name"] for column in json.loads(dataset.schema)["mlflow_colspec"]],
            "rows": json.loads(dataset.profile)["num_rows"],
        }
    return found


@pytest.mark.e2e  # whole tracked training runs, 5-18 s each: kept out of the everyday 5 minutes
def test_a_run_records_its_tables_as_datasets_and_describes_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    other_test = tmp_path / "other_test.csv"
    pd.read_csv(TEST_CSV).head(150).to_csv(other_test, index=False)
    for name, data in (("first", data_args()), ("other", data_args(test=other_test))):
        train_tracked(store, tmp_path / name, "data.name=moon", data=data)

    client = MlflowClient(tracking_uri=store)
    experiment = client.get_experiment_by_name("moonml").experiment_id
    runs = client.search_runs([experiment], order_by=["attributes.start_time ASC"])
    first, other = (inputs_by_context(run) for run in runs)
    assert first["training"] | {"digest": None} == {
        "name": "moon_train",
        "digest": None,
        "source": {"uri": str(TRAIN_CSV)},
        "columns": ["x1", "x2", "y"],
        "rows": 800,
    }
    assert first["testing"]["name"] == "moon_test" and first["testing"]["rows"] == 200
    assert first["testing"]["source"] == {"uri": str(TEST_CSV)}
    # The same train file, the same digest; another test file, another test digest.
    assert first["training"]["digest"] != first["testing"]["digest"]
    assert other["training"]["digest"] == first["training"]["digest"]
    assert other["testing"]["digest"] != first["testing"]["digest"] and other["testing"]["rows"] == 150

    # Runs can be found by their data, as MLflow searches datasets.
    digest = first["training"]["digest"]
    assert len(client.search_runs([experiment], filter_string=f"dataset.digest = '{digest}'")) == 2
    # The champion's rule still reads the data.* tags.
    assert {"data.train_sha256", "data.test_sha256"} <= set(runs[0].data.tags)
    assert runs[0].data.tags["mlflow.note.content"] == DESCRIPTION
    # The experiment moonml created opens on its runs in MLflow 3's UI (tests/tracking/test_mlflow_ui.py).
    assert client.get_experiment(experiment).tags["mlflow.experimentKind"] == "custom_model_development"


def test_the_schema_sample_keeps_a_missing_value_found_late_in_a_large_table() -> None:
    rows = 50_000
    train = pd.DataFrame(
        {"x1": np.arange(rows, dtype=float), "city": ["a"] * rows, "y": [0, 1] * (rows // 2)}
    )
    train.loc[rows - 7, "x1"] = np.nan
    split = Split(train=train, test=train.head(10), label="y", features=["x1", "city"])
    [table, _] = split_tables(split, "big")
    assert table.rows == rows and table.source is None  # made in memory: no file
    assert len(table.sample) == SCHEMA_ROWS + 1 and table.sample["x1"].isna().sum() == 1


@pytest.mark.e2e
@pytest.mark.timeout(1500)  # the first use builds MLflow 2.22's venv
def test_datasets_and_description_on_an_mlflow_2_server(mlflow_2_server: str, tmp_path: Path) -> None:
    train_on_server(mlflow_2_server, tmp_path, "tracking.experiment_name=datasets-on-2.22", "data.name=moon")
    client = MlflowClient(mlflow_2_server)
    run = only_run(client, "datasets-on-2.22")
    assert run.info.status == "FINISHED"
    found = inputs_by_context(run)
    assert {context: item["name"] for context, item in found.items()} == {
        "training": "moon_train",
        "testing": "moon_test",
    }
    assert run.data.tags["mlflow.note.content"] == DESCRIPTION
    kind = client.get_experiment_by_name("datasets-on-2.22").tags["mlflow.experimentKind"]
    assert kind == "custom_model_development"


@pytest.mark.e2e
def test_a_server_without_datasets_or_experiment_tags_still_finishes_the_run(
    azureml_like_mlflow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = azureml_like_mlflow.uri
    MlflowClient(uri).create_experiment("no-datasets")  # there already, without a kind
    refused = (
        r"^/api/[0-9.]+/mlflow/runs/log-inputs",
        r"^/api/[0-9.]+/mlflow/experiments/set-experiment-tag",
    )
    monkeypatch.setattr(azureml_like, "MISSING", (*azureml_like.MISSING, *map(re.compile, refused)))
    result = run_moonml(
        *data_args(),
        *SMALL_GRID,
        "model.cv=2",
        f"tracking.uri={uri}",
        "tracking.experiment_name=no-datasets",
        "tracking.register_model=nodata",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "the run's datasets are not recorded: this tracking server has no API for them" in result.stderr
    assert "experiment" in result.stderr and "not marked as machine learning for MLflow's UI" in result.stderr
    assert {"/api/2.0/mlflow/runs/log-inputs", "/api/2.0/mlflow/experiments/set-experiment-tag"} <= (
        azureml_like_mlflow.refused_paths()
    )
    run = only_run(MlflowClient(uri), "no-datasets")
    assert run.info.status == "FINISHED" and run.data.tags["mlflow.note.content"] == DESCRIPTION
