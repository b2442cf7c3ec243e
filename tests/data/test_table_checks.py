"""Bad tables of any shape: one line naming the file, the column and the row; nothing trained."""

from pathlib import Path

import numpy as np
import pytest

from moonml.config.compose import compose_config
from moonml.errors import MoonmlError
from moonml.train import train
from tests.tables import SMALL_GRIDS, breast_cancer, files_args, iris_with_categories, write, write_split

IRIS_HEAD = "sepal length (cm),petal_shade,species\n"


def refused(tmp_path: Path, *overrides: str, model: str = "random_forest") -> str:
    cfg = compose_config(
        [f"model={model}", *SMALL_GRIDS[model], "model.n_jobs=1", "tracking=none", *overrides]
    )
    with pytest.raises(MoonmlError) as raised:
        train(cfg, output_dir=str(tmp_path / "run"))
    message = str(raised.value)
    assert "\n" not in message
    assert not (tmp_path / "run" / "model.joblib").exists()
    return message


def iris_files(tmp_path: Path, train_rows: str, test_rows: str) -> tuple[Path, Path]:
    """Small iris-like train and test files; the train file has 5 rows of each of two classes."""
    train_file, test_file = tmp_path / "train.csv", tmp_path / "test.csv"
    base = "".join(f"5.{i},pale,setosa\n6.{i},deep,virginica\n" for i in range(5))
    train_file.write_text(IRIS_HEAD + base + train_rows)
    test_file.write_text(IRIS_HEAD + test_rows)
    return train_file, test_file


def test_duplicate_column_of_a_table(tmp_path: Path) -> None:
    bad = tmp_path / "train.csv"
    bad.write_text("a,b,a,label\n1,2,3,x\n4,5,6,y\n")
    message = refused(tmp_path, *files_args(bad, bad, "label"))
    assert message.startswith(f"{bad}: duplicate column a")


def test_label_listed_in_the_features(tmp_path: Path) -> None:
    train_file, test_file = write_split(breast_cancer(), "target", tmp_path)
    message = refused(
        tmp_path, *files_args(train_file, test_file, "target"), "data.features=[mean radius,target]"
    )
    assert "data.features: lists the label column target" in message


def test_features_missing_from_the_file(tmp_path: Path) -> None:
    train_file, test_file = write_split(breast_cancer(), "target", tmp_path)
    message = refused(
        tmp_path, *files_args(train_file, test_file, "target"), "data.features=[mean radius,radius]"
    )
    assert message.startswith(f"{train_file}: missing column(s) radius")


def test_label_missing_from_the_file(tmp_path: Path) -> None:
    train_file, test_file = write_split(breast_cancer(), "target", tmp_path)
    message = refused(tmp_path, *files_args(train_file, test_file, "diagnosis"))
    assert message.startswith(f"{train_file}: missing column(s) diagnosis")


def test_a_class_with_fewer_rows_than_folds(tmp_path: Path) -> None:
    train_file, test_file = iris_files(
        tmp_path, "5.5,violet,versicolor\n", "5.1,pale,setosa\n6.1,deep,virginica\n"
    )
    message = refused(tmp_path, *files_args(train_file, test_file, "species"))
    assert message.startswith(f"{train_file}: class versicolor has 1 training rows, fewer than model.cv=5")


def test_a_test_class_the_training_data_lacks(tmp_path: Path) -> None:
    train_file, test_file = iris_files(tmp_path, "", "5.1,pale,setosa\n5.5,pale,versicolor\n")
    message = refused(tmp_path, *files_args(train_file, test_file, "species"))
    assert message.startswith(f"{test_file}: class 'versicolor' in column species (data row 2)")
    assert str(train_file) in message


def test_a_test_category_the_training_data_lacks(tmp_path: Path) -> None:
    train_file, test_file = iris_files(
        tmp_path, "", "5.1,pale,setosa\n6.1,deep,virginica\n6.2,violet,setosa\n"
    )
    message = refused(tmp_path, *files_args(train_file, test_file, "species"))
    assert message.startswith(f"{test_file}: column petal_shade has category 'violet' (data row 3)")


def test_train_and_test_with_different_columns(tmp_path: Path) -> None:
    frame = iris_with_categories()
    train_file = write(frame, tmp_path / "train.csv")
    test_file = write(frame.drop(columns="petal_shade"), tmp_path / "test.csv")
    message = refused(tmp_path, *files_args(train_file, test_file, "species"))
    assert message.startswith(f"{test_file}: its columns differ from the training data {train_file}")
    assert "lacks petal_shade" in message


def test_a_number_column_with_text_in_the_test_file(tmp_path: Path) -> None:
    train_file, test_file = iris_files(tmp_path, "", "5.1,pale,setosa\nfive,deep,virginica\n")
    message = refused(tmp_path, *files_args(train_file, test_file, "species"))
    assert message.startswith(
        f"{test_file}: column sepal length (cm) has a non-numeric value 'five' (data row 2)"
    )


def test_undecodable_text_in_a_category(tmp_path: Path) -> None:
    train_file, test_file = iris_files(tmp_path, "", "5.1,pale,setosa\n")
    train_file.write_bytes(train_file.read_bytes() + b"5.3,p\xe2le,setosa\n")
    message = refused(tmp_path, *files_args(train_file, test_file, "species"))
    assert message.startswith(
        f"{train_file}: column petal_shade has bytes that are not UTF-8 text (data row 11)"
    )


def with_holes(tmp_path: Path) -> tuple[Path, Path]:
    frame = breast_cancer()
    frame.loc[frame.index[::7], "mean texture"] = np.nan
    return write_split(frame, "target", tmp_path)


def test_missing_values_refused_where_the_estimator_cannot_learn_from_them(tmp_path: Path) -> None:
    train_file, test_file = with_holes(tmp_path)
    message = refused(tmp_path, *files_args(train_file, test_file, "target"), model="logistic_regression")
    assert message.startswith(f"{train_file}: column mean texture has a missing or infinite value (data row ")
    assert "model=hist_gradient_boosting" in message


def test_missing_values_kept_where_the_estimator_learns_from_them(tmp_path: Path) -> None:
    train_file, test_file = with_holes(tmp_path)
    cfg = compose_config(
        ["model=hist_gradient_boosting", *SMALL_GRIDS["hist_gradient_boosting"], "tracking=none"]
    )
    cfg.data.train_path, cfg.data.test_path, cfg.data.label = str(train_file), str(test_file), "target"
    assert train(cfg, output_dir=str(tmp_path / "run"))["accuracy"] > 0.9


def test_a_class_too_small_to_split_one_file(tmp_path: Path) -> None:
    table = tmp_path / "table.csv"
    table.write_text(
        IRIS_HEAD + "".join(f"5.{i},pale,setosa\n6.{i},deep,virginica\n" for i in range(6)) + "5,a,lone\n"
    )
    message = refused(tmp_path, f"data.path={table}", "data.label=species")
    assert message.startswith(f"{table}: cannot split off data.test_size=0.2 as a test set")
