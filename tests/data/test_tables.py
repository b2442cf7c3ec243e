"""Any tabular classification data: real tables through `train(cfg)`, CSV and Parquet, two files or one."""

import json
import math
from pathlib import Path

import joblib
import pandas as pd
import pytest

from moonml.config.compose import compose_config
from moonml.train import train
from tests.tables import (
    SMALL_GRIDS,
    breast_cancer,
    files_args,
    iris_with_categories,
    wine,
    write,
    write_split,
)


def run(tmp_path: Path, *overrides: str, model: str = "random_forest") -> tuple[dict, Path]:
    cfg = compose_config(
        [f"model={model}", *SMALL_GRIDS[model], "model.n_jobs=1", "tracking=none", *overrides]
    )
    out = tmp_path / "run"
    return train(cfg, output_dir=str(out)), out


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_breast_cancer_with_its_own_label_trains(suffix: str, tmp_path: Path) -> None:
    train_file, test_file = write_split(breast_cancer(), "target", tmp_path, suffix)
    metrics, out = run(tmp_path, *files_args(train_file, test_file, "target"))
    assert metrics["accuracy"] > 0.9
    model = joblib.load(out / "model.joblib")
    # All numeric, no scaling: the plain estimator, fitted on every column but the label.
    assert type(model).__name__ == "RandomForestClassifier"
    assert list(model.feature_names_in_) == [c for c in breast_cancer().columns if c != "target"]


def test_chosen_features_only(tmp_path: Path) -> None:
    train_file, test_file = write_split(breast_cancer(), "target", tmp_path)
    chosen = "data.features=[mean radius,mean texture,worst area]"
    _, out = run(tmp_path, *files_args(train_file, test_file, "target"), chosen)
    assert list(joblib.load(out / "model.joblib").feature_names_in_) == [
        "mean radius",
        "mean texture",
        "worst area",
    ]


def test_wine_three_classes(tmp_path: Path) -> None:
    train_file, test_file = write_split(wine(), "target", tmp_path)
    metrics, _ = run(tmp_path, *files_args(train_file, test_file, "target"))
    assert metrics["accuracy"] > 0.85


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_string_labels_and_a_categorical_column(suffix: str, tmp_path: Path) -> None:
    train_file, test_file = write_split(iris_with_categories(), "species", tmp_path, suffix)
    metrics, out = run(tmp_path, *files_args(train_file, test_file, "species"))
    assert metrics["accuracy"] > 0.85
    model = joblib.load(out / "model.joblib")
    raw = pd.read_csv(train_file) if suffix == ".csv" else pd.read_parquet(train_file)
    # The saved model takes the raw columns, the category as text, and answers with the labels.
    predicted = model.predict(raw.drop(columns="species").head(20))
    assert set(predicted) <= {"setosa", "versicolor", "virginica"}
    assert json.loads((out / "metrics.json").read_text())["accuracy"] == metrics["accuracy"]


def test_one_file_split_by_test_size_stratified_and_seeded(tmp_path: Path) -> None:
    table = write(wine(), tmp_path / "wine.parquet")
    args = [f"data.path={table}", "data.label=target", "data.test_size=0.3"]
    first, _ = run(tmp_path, *args, "seed=3")
    again, _ = run(tmp_path / "again", *args, "seed=3")
    assert first == again
    cfg = compose_config([*args, "tracking=none", "seed=3"])
    from moonml.data.sources import load_split

    split = load_split(cfg.data, cfg.azureml, cfg.seed)
    assert len(split.test) == math.ceil(0.3 * len(wine()))  # as train_test_split rounds
    shares = split.test["target"].value_counts(normalize=True).sort_index()
    expected = wine()["target"].value_counts(normalize=True).sort_index()
    assert (shares - expected).abs().max() < 0.02
    assert split.fingerprint["data.test_size"] == "0.3"


@pytest.mark.parametrize("model", sorted(SMALL_GRIDS))
@pytest.mark.parametrize("table", ["breast_cancer", "wine", "iris"])
def test_each_model_option_trains_on_each_table(model: str, table: str, tmp_path: Path) -> None:
    """Every option reads both formats: breast cancer as CSV, wine and iris (its category) as Parquet."""
    frame, label, suffix = {
        "breast_cancer": (breast_cancer(), "target", ".csv"),
        "wine": (wine(), "target", ".parquet"),
        "iris": (iris_with_categories(), "species", ".parquet"),
    }[table]
    train_file, test_file = write_split(frame, label, tmp_path, suffix)
    metrics, out = run(tmp_path, *files_args(train_file, test_file, label), model=model)
    assert metrics["accuracy"] > 0.8
    assert (out / "model.joblib").is_file()


@pytest.mark.parametrize("scoring", ["accuracy", "f1"])
@pytest.mark.parametrize("kind", ["bool", "str"])
def test_binary_labels_of_any_type(kind: str, scoring: str, tmp_path: Path) -> None:
    """f1 scores the positive class (classes_[1]) in the search too: scikit-learn's own `f1`
    scorer fails on labels that are not 0/1."""
    frame = breast_cancer()
    names = {"bool": {0: False, 1: True}, "str": {0: "malignant", 1: "benign"}}[kind]
    frame["target"] = frame["target"].map(names)
    train_file, test_file = write_split(frame, "target", tmp_path)
    metrics, out = run(tmp_path, *files_args(train_file, test_file, "target"), f"model.scoring={scoring}")
    assert metrics["accuracy"] > 0.9 and 0.9 < metrics["f1"] <= 1
    assert 0.9 < metrics["cv_best_score"] <= 1
    assert set(joblib.load(out / "model.joblib").classes_) == set(names.values())


def test_parquet_categories_and_missing_categories(tmp_path: Path) -> None:
    """A pandas category column in Parquet; an empty category cell, which HistGradientBoosting takes."""
    frame = iris_with_categories()
    frame.loc[frame.index[::40], "petal_shade"] = None
    frame["petal_shade"] = frame["petal_shade"].astype("category")
    train_file, test_file = write_split(frame, "species", tmp_path, ".parquet")
    train_rows = pd.read_parquet(train_file)
    assert train_rows["petal_shade"].dtype == "category" and train_rows["petal_shade"].isna().any()
    metrics, out = run(
        tmp_path, *files_args(train_file, test_file, "species"), model="hist_gradient_boosting"
    )
    assert metrics["accuracy"] > 0.85
    model = joblib.load(out / "model.joblib")
    assert set(model.predict(train_rows.drop(columns="species").head(5))) <= set(frame["species"])


@pytest.mark.e2e  # whole tracked training runs, 5-18 s each: kept out of the everyday 5 minutes
@pytest.mark.parametrize("model", sorted(SMALL_GRIDS))
def test_each_model_option_is_logged_registered_and_loads_from_mlflow(
    model: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """skops refuses types it was not told to trust: every option's model must survive logging."""
    import mlflow

    monkeypatch.chdir(tmp_path)  # the sqlite store's artifacts go to ./mlruns
    frame = iris_with_categories()
    train_file, test_file = write_split(frame, "species", tmp_path)
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    cfg = compose_config(
        [
            f"model={model}",
            *SMALL_GRIDS[model],
            "model.n_jobs=1",
            f"tracking.uri={store}",
            *files_args(train_file, test_file, "species"),
        ]
    )
    train(cfg, output_dir=str(tmp_path / "run"))
    mlflow.set_tracking_uri(store)
    try:
        loaded = mlflow.pyfunc.load_model(f"models:/{cfg.tracking.register_model}/1")
    finally:
        mlflow.set_tracking_uri(None)
    rows = pd.read_csv(test_file).drop(columns=["species"]).head(5)
    # What `mlflow models serve` runs: the raw columns in (the category as text), the labels out.
    assert [spec.name for spec in loaded.metadata.get_input_schema().inputs] == list(rows.columns)
    predicted = loaded.predict(rows)
    assert len(predicted) == 5 and set(predicted) <= set(frame["species"])
