"""data=azureml reads any table as the file options do: data.label, data.features, one file split by
data.test_size, categories, string labels, the same fingerprint.

The dataset is where AzureML puts it inside a job (AZURE_ML_INPUT_<input>), so no SDK call is made:
the files are read as they would be on the node.
"""

from pathlib import Path

import joblib
import numpy as np
import pytest

from moonml.config.checks import check_config
from moonml.config.compose import compose_config
from moonml.data.sources import load_split
from moonml.errors import MoonmlError
from moonml.train import train
from tests.tables import (
    azureml_cfg,
    breast_cancer,
    iris_with_categories,
    wine,
    write,
    write_split,
)

# conf/data/azureml.yaml attaches the dataset as the job input named moon_dataset, whatever its name.
INPUT_VARIABLE = "AZURE_ML_INPUT_moon_dataset"


@pytest.fixture
def mounted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder AzureML mounted the dataset at, as the job sees it."""
    folder = tmp_path / "mnt" / "dataset"
    folder.mkdir(parents=True)
    monkeypatch.setenv(INPUT_VARIABLE, str(folder))
    monkeypatch.chdir(tmp_path)  # data.download_dir is relative: nothing may land in the checkout
    return folder


def files_cfg(*overrides: str):
    return compose_config(["tracking=none", *overrides])


def assert_same_split(ours, theirs) -> None:
    assert ours.train.equals(theirs.train) and ours.test.equals(theirs.test)
    assert (ours.label, ours.features) == (theirs.label, theirs.features)
    # The champion rule compares these: the same table must give the same tags by either option.
    assert ours.fingerprint == theirs.fingerprint


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_dataset_of_train_and_test_files_reads_like_the_files(suffix: str, mounted: Path) -> None:
    train_file, test_file = write_split(iris_with_categories(), "species", mounted, suffix)
    chosen = "data.features=['petal length (cm)',petal_shade]"
    ours = azureml_cfg(
        "data.name=iris_dataset",
        f"data.train_file={train_file.name}",
        f"data.test_file={test_file.name}",
        "data.label=species",
        chosen,
    )
    theirs = files_cfg(
        f"data.train_path={train_file}", f"data.test_path={test_file}", "data.label=species", chosen
    )
    split = load_split(ours.data, ours.azureml, ours.seed)
    assert_same_split(split, load_split(theirs.data, theirs.azureml, theirs.seed))
    assert split.features == ["petal length (cm)", "petal_shade"]
    assert split.categorical() == ["petal_shade"]
    assert split.fingerprint.keys() == {"data.train_sha256", "data.test_sha256"}


def test_one_table_in_the_dataset_is_split_like_data_path(mounted: Path) -> None:
    table = write(wine(), mounted / "wine.csv")
    ours = azureml_cfg(
        "data.name=wine_dataset", "data.file=wine.csv", "data.label=target", "data.test_size=0.3", "seed=3"
    )
    theirs = files_cfg(f"data.path={table}", "data.label=target", "data.test_size=0.3", "seed=3")
    split = load_split(ours.data, ours.azureml, ours.seed)
    assert_same_split(split, load_split(theirs.data, theirs.azureml, theirs.seed))
    assert split.fingerprint["data.test_size"] == "0.3" and split.fingerprint["data.seed"] == "3"
    assert len(split.test) == 54  # 30% of wine's 178 rows, rounded up as train_test_split does


def test_breast_cancer_trains_from_a_dataset(mounted: Path, tmp_path: Path) -> None:
    write_split(breast_cancer(), "target", mounted, ".parquet")
    cfg = azureml_cfg(
        "data.name=breast_cancer_dataset",
        "data.train_file=train.parquet",
        "data.test_file=test.parquet",
        "data.label=target",
    )
    metrics = train(cfg, output_dir=str(tmp_path / "run"))
    assert metrics["accuracy"] > 0.9
    model = joblib.load(tmp_path / "run" / "model.joblib")
    assert list(model.feature_names_in_) == [c for c in breast_cancer().columns if c != "target"]
    assert not (tmp_path / "data" / "azureml").exists()  # read where AzureML mounted it


def test_string_labels_and_a_category_train_from_one_table(mounted: Path, tmp_path: Path) -> None:
    frame = iris_with_categories()
    write(frame, mounted / "iris.csv")
    cfg = azureml_cfg("data.name=iris_dataset", "data.file=iris.csv", "data.label=species")
    metrics = train(cfg, output_dir=str(tmp_path / "run"))
    assert metrics["accuracy"] > 0.85
    model = joblib.load(tmp_path / "run" / "model.joblib")
    # The saved model takes the raw columns, the category as text, and answers with the labels.
    assert set(model.predict(frame.drop(columns="species").head(20))) <= set(frame["species"])


def test_missing_values_are_kept_for_an_estimator_that_takes_them(mounted: Path) -> None:
    """train() asks the estimator (HistGradientBoosting takes them); the dataset's rows follow."""
    frame = iris_with_categories()
    frame.loc[frame.index[::7], "sepal width (cm)"] = np.nan
    write(frame, mounted / "iris.csv")
    cfg = azureml_cfg("data.name=iris_dataset", "data.file=iris.csv", "data.label=species")
    split = load_split(cfg.data, cfg.azureml, cfg.seed, missing_ok=True)
    assert split.train["sepal width (cm)"].isna().sum() + split.test["sepal width (cm)"].isna().sum() == 22
    # An estimator that does not take them refuses the table, naming the column.
    with pytest.raises(MoonmlError, match=r"column sepal width \(cm\) has a missing or infinite value"):
        load_split(cfg.data, cfg.azureml, cfg.seed, missing_ok=False)


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("data.test_size=1.5", "data.test_size: must be between 0 and 1, got 1.5"),
        ("data.features=[y,x1]", "data.features: lists the label column y"),
        ("data.features=[]", "data.features: give at least one column"),
    ],
)
def test_table_settings_are_checked_before_any_download(override: str, expected: str) -> None:
    with pytest.raises(MoonmlError, match=expected.replace("(", r"\(")):
        check_config(azureml_cfg("data.file=table.csv", override))
