"""The experiment and the registered model are named after the data; the champion stays with its data.

A new user's breast-cancer model became `moon_model` version 1 and its champion: the names were
the tutorial's whatever the data. Now each data option names them (`data.name`), the tutorial's
options keep the tutorial's names, and a model trained on other data never takes the champion.
"""

from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from moonml.config.compose import compose_config
from moonml.data.moons import generate_split, write_split
from moonml.errors import MoonmlError
from moonml.train import train
from tests.helpers import SMALL_GRID, data_args


def names(overrides: list[str]) -> tuple[str, str]:
    cfg = compose_config(overrides)
    return cfg.tracking.experiment_name, cfg.tracking.register_model


def own_option(project: Path, option: str, body: str) -> None:
    """conf/data/<option>.yaml in the project moonml is started from, as a user writes one."""
    folder = project / "conf" / "data"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{option}.yaml").write_text(
        "defaults:\n  - /schema/data/csv@_here_\n  - _self_\n\n" + body, encoding="utf-8"
    )


@pytest.mark.parametrize("tracking", ["mlflow", "azureml"])
@pytest.mark.parametrize("data", ["moons", "generated", "azureml"])
def test_the_tutorials_data_keeps_the_tutorials_names(data: str, tracking: str) -> None:
    assert names([f"data={data}", f"tracking={tracking}"]) == ("moonml", "moon_model")


def test_a_data_option_of_ones_own_names_the_experiment_and_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_option(tmp_path, "churn", "name: churn\ntrain_path: churn/train.csv\ntest_path: churn/test.csv\n")
    monkeypatch.chdir(tmp_path)
    assert names(["data=churn"]) == ("churnml", "churn_model")


def test_a_data_option_without_a_name_is_named_after_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own_option(tmp_path, "bc", "train_path: breast_cancer/train.csv\ntest_path: breast_cancer/test.csv\n")
    monkeypatch.chdir(tmp_path)
    assert names(["data=bc"]) == ("breast_cancerml", "breast_cancer_model")


def test_an_azureml_dataset_names_the_model_after_it() -> None:
    # The tutorial's pair: dataset moon_dataset, model moon_model.
    assert names(["data=azureml", "data.name=churn_dataset"]) == ("churnml", "churn_model")
    assert names(["data=azureml", "data.name=wine"]) == ("wineml", "wine_model")


def test_names_given_in_the_tracking_group_win() -> None:
    overrides = ["data.name=churn", "tracking.register_model=mine", "tracking.experiment_name=exp"]
    assert names(overrides) == ("exp", "mine")
    assert compose_config(["tracking.register_model=null"]).tracking.register_model is None


def test_a_name_that_cannot_be_derived_is_refused_naming_the_key() -> None:
    cfg = compose_config(["data=generated", "data.name=null"])
    with pytest.raises(MoonmlError, match=r"data\.name"):
        train(cfg, output_dir="unused")


@pytest.mark.e2e  # whole tracked training runs, 5-18 s each: kept out of the everyday 5 minutes
def test_other_data_gets_its_own_model_and_never_the_tutorials_champion(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    common = [*SMALL_GRID, "model.n_jobs=1", f"tracking.uri={store}"]
    train(compose_config([*data_args(), *common]), output_dir=str(tmp_path / "tutorial"))
    # Other two-moons data, nearly noise-free: its CV score beats the tutorial model's.
    other = tmp_path / "other"
    write_split(generate_split(n_samples=400, noise=0.01, test_size=0.2, seed=7), str(other))
    other_data = [*data_args(other / "train.csv", other / "test.csv"), "data.name=null"]
    train(compose_config([*other_data, *common]), output_dir=str(tmp_path / "other_run"))

    client = MlflowClient(tracking_uri=store)
    [tutorial] = client.search_model_versions("name='moon_model'")
    [own] = client.search_model_versions("name='other_model'")  # no cross-data collision by default
    assert client.get_model_version_by_alias("moon_model", "champion").version == tutorial.version
    assert client.get_model_version_by_alias("other_model", "champion").version == own.version

    # Forced into the tutorial's name, the better model on other data does not take the champion:
    # no version (tracking.register=always would give it one, still not the champion).
    forced = [*other_data, *common, "tracking.register_model=moon_model"]
    train(compose_config(forced), output_dir=str(tmp_path / "forced"))
    assert [v.version for v in client.search_model_versions("name='moon_model'")] == [tutorial.version]
    assert client.get_model_version_by_alias("moon_model", "champion").version == tutorial.version
    # The forced run lost on the data, not on the score: its CV score is the higher one.
    experiments = [e.experiment_id for e in client.search_experiments()]
    scores = {run.info.run_id: run.data.metrics["cv_best_score"] for run in client.search_runs(experiments)}
    tutorial_score = scores.pop(tutorial.run_id)
    assert min(scores.values()) > tutorial_score
