"""A user's own data option (conf/data/NAME.yaml in the project folder) and the model options moonml ships."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from moonml.config.compose import compose_config
from moonml.config.model_checks import config_problems, value_problems
from moonml.config.schema import CONFIG_DIR
from moonml.train import train
from tests.helpers import REPO, clean_env, run_moonml, serve_and_ask
from tests.tables import SMALL_GRIDS, iris_with_categories, write, write_split

MODEL_OPTIONS = sorted(path.stem for path in (Path(CONFIG_DIR) / "model").glob("*.yaml"))

IRIS_YAML = """\
# Iris flowers: species from petal and sepal sizes and a petal shade.
defaults:
  - /schema/data/csv@_here_
  - _self_

path: data/iris.parquet
test_size: 0.25
label: species
"""


def project(folder: Path) -> Path:
    """A user's project folder: their table and their data option, nothing of moonml's."""
    (folder / "conf" / "data").mkdir(parents=True)
    (folder / "conf" / "data" / "iris.yaml").write_text(IRIS_YAML)
    (folder / "data").mkdir()
    write(iris_with_categories(), folder / "data" / "iris.parquet")
    return folder


def test_the_shipped_model_options() -> None:
    assert MODEL_OPTIONS == ["extra_trees", "hist_gradient_boosting", "logistic_regression", "random_forest"]


@pytest.mark.parametrize("option", MODEL_OPTIONS)
def test_each_model_option_passes_the_constraint_check(option: str) -> None:
    model = compose_config([f"model={option}"]).model
    assert config_problems(model) == [] and value_problems(model) == []
    assert model.scale is (option == "logistic_regression")


def test_a_bad_value_in_an_option_grid_is_named(tmp_path: Path) -> None:
    model = compose_config(["model=hist_gradient_boosting", "model.grid.learning_rate=[0.1,-1]"]).model
    [problem] = value_problems(model)
    assert problem.startswith("model.grid.learning_rate: -1 is refused")


def test_a_data_option_of_the_users_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project(tmp_path))
    cfg = compose_config(
        ["data=iris", "model.grid.n_estimators=[5]", "model.grid.max_depth=[3]", "tracking=none"]
    )
    assert (cfg.data.path, cfg.data.label, cfg.data.test_size) == ("data/iris.parquet", "species", 0.25)
    metrics = train(cfg, output_dir=str(tmp_path / "run"))
    assert metrics["accuracy"] > 0.8


def readme_data_option() -> tuple[str, str, str]:
    """The README's "Your own data" YAML (its file name, its text) and its command writing the table."""
    readme = (REPO / "README.md").read_text()
    text = re.search(r"```yaml\n(# conf/data/(\w+)\.yaml\n.*?)```", readme, re.DOTALL)
    writes = re.search(
        r"^python -c \"(from sklearn.datasets import load_breast_cancer.*)\"$", readme, re.MULTILINE
    )
    assert text and writes
    return text[2], text[1], writes[1]


@pytest.mark.parametrize("model", ["random_forest", "hist_gradient_boosting"])
def test_the_readmes_own_data_section(model: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name, text, writes = readme_data_option()
    (tmp_path / "conf" / "data").mkdir(parents=True)
    (tmp_path / "conf" / "data" / f"{name}.yaml").write_text(text)
    (tmp_path / "data").mkdir()
    monkeypatch.chdir(tmp_path)
    exec(writes)  # the README's own line, as `python -c` runs it
    cfg = compose_config([f"data={name}", f"model={model}", *SMALL_GRIDS[model], "tracking=none"])
    assert train(cfg, output_dir=str(tmp_path / "run"))["accuracy"] > 0.9


@pytest.mark.e2e
def test_python_m_moonml_on_a_users_own_table(tmp_path: Path) -> None:
    """The README's "Your own data": a YAML, one command; the logged and served model take the raw columns."""
    folder = project(tmp_path)
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = run_moonml(
        "data=iris",
        "model=logistic_regression",
        f"tracking.uri={store}",
        cwd=folder,
        env=clean_env(MLFLOW_ALLOW_FILE_STORE="true"),
        timeout=400,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "selected/C" in result.stdout and "accuracy" in result.stdout

    import mlflow

    mlflow.set_tracking_uri(store)
    [version] = mlflow.MlflowClient().search_model_versions()
    served = mlflow.pyfunc.load_model(f"models:/{version.name}/{version.version}")
    raw = iris_with_categories().drop(columns="species").head(5)
    assert set(served.predict(raw)) <= {"setosa", "versicolor", "virginica"}
    assert [spec.name for spec in served.metadata.get_input_schema().inputs] == list(raw.columns)
    rows = json.loads(raw.to_json(orient="split", index=False))
    model_uri = f"models:/{version.name}/{version.version}"
    assert serve_and_ask(model_uri, rows, tmp_path, clean_env(MLFLOW_TRACKING_URI=store)) == list(
        served.predict(raw)
    )


@pytest.mark.e2e
def test_python_m_moonml_on_train_and_test_files_from_the_command_line(tmp_path: Path) -> None:
    frame = iris_with_categories()
    train_file, test_file = write_split(frame, "species", tmp_path, ".csv")
    args = [f"data.train_path={train_file}", f"data.test_path={test_file}", "data.label=species"]
    result = run_moonml(*args, "model=extra_trees", "tracking=none", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "selected/n_estimators" in result.stdout
    assert len(pd.read_csv(next(tmp_path.rglob("cv_results.csv")))) == 18
