"""Real tables scikit-learn ships, written as a user would bring them: CSV or Parquet files, train and
test or one file. Breast cancer (binary, 30 numeric features, label `target`), wine (3 classes) and
iris with string labels and a categorical column made from them."""

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import datasets
from sklearn.model_selection import train_test_split

from moonml.config.compose import compose_config

# Grids small enough for in-process tests; each is valid for its model option.
SMALL_GRIDS = {
    "random_forest": [
        "model.grid.n_estimators=[5,10]",
        "model.grid.criterion=[gini]",
        "model.grid.max_depth=[3]",
    ],
    "extra_trees": ["model.grid.n_estimators=[5,10]", "model.grid.max_depth=[3,null]"],
    "hist_gradient_boosting": ["model.grid.max_iter=[20]", "model.grid.learning_rate=[0.1]"],
    "logistic_regression": ["model.grid.C=[0.1,1.0]"],
}


def breast_cancer() -> pd.DataFrame:
    return datasets.load_breast_cancer(as_frame=True).frame


def wine() -> pd.DataFrame:
    return datasets.load_wine(as_frame=True).frame


def iris_with_categories(seed: int = 0) -> pd.DataFrame:
    """Iris with string labels (`species`) and `petal_shade`, a category that mostly follows them."""
    iris = datasets.load_iris(as_frame=True)
    frame = iris.frame.drop(columns="target")
    species = iris.target_names[iris.target]
    shades = {"setosa": "pale", "versicolor": "violet", "virginica": "deep"}
    shade = np.array([shades[name] for name in species], dtype=object)
    noisy = np.random.default_rng(seed).random(len(frame)) < 0.2
    shade[noisy] = np.random.default_rng(seed + 1).choice(sorted(shades.values()), noisy.sum())
    return frame.assign(petal_shade=shade, species=species)


def write(frame: pd.DataFrame, path: Path) -> Path:
    """CSV or Parquet by the file's extension."""
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


def write_split(frame: pd.DataFrame, label: str, folder: Path, suffix: str = ".csv") -> tuple[Path, Path]:
    """Stratified train/test files of `frame` in `folder`."""
    train, test = train_test_split(frame, test_size=0.25, random_state=0, stratify=frame[label])
    folder.mkdir(parents=True, exist_ok=True)
    return write(train, folder / f"train{suffix}"), write(test, folder / f"test{suffix}")


def azureml_cfg(*overrides: str, model: str = "random_forest"):
    """data=azureml with a small grid, untracked, in one process (no search workers)."""
    return compose_config(
        ["data=azureml", f"model={model}", *SMALL_GRIDS[model], "model.n_jobs=1", "tracking=none", *overrides]
    )


def files_args(train: Path, test: Path, label: str) -> list[str]:
    return [f"data.train_path={train}", f"data.test_path={test}", f"data.label={label}"]
