"""Figures fit the data: the decision boundary only for two numeric features and two classes; for
any data a confusion matrix, ROC curve(s) and feature importances, readable at 30 features and 10
classes, written as PNG files."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from moonml.data.moons import generate_split
from moonml.evaluation import importance as importance_module
from moonml.evaluation.diagnostics import confusion_figure, roc_figure, short
from moonml.evaluation.figures import decision_boundary_figure
from moonml.evaluation.importance import TOP, importance_figure, importances, raw_columns
from moonml.evaluation.predictions import predict
from moonml.evaluation.report import boundary_fits, write_figures
from tests.evaluation.tables import breast_cancer, breast_cancer_named, digits, fit, wine

PNG = b"\x89PNG\r\n\x1a\n"
ANY_DATA = ["confusion_matrix.png", "roc_curve.png", "feature_importance.png"]


def frames(fitted, label: str = "label") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test frames as a Split holds them (the train rows are not drawn for these figures)."""
    test = fitted.X.assign(**{label: fitted.y})
    return test, test


def written(tmp_path: Path, fitted) -> list[str]:
    predictions = predict(fitted.model, fitted.X)
    names = write_figures(
        fitted.model, predictions, *frames(fitted), (fitted.features, "label"), tmp_path, seed=0
    )
    for name in names:
        assert (tmp_path / name).read_bytes()[:8] == PNG
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)
    return names


@pytest.mark.parametrize("table", [breast_cancer, wine, digits, breast_cancer_named])
def test_any_data_gets_the_three_figures_and_no_boundary(tmp_path: Path, table) -> None:
    assert written(tmp_path, table()) == ANY_DATA


def test_two_moons_keeps_the_boundary_and_data_figures(tmp_path: Path) -> None:
    split = generate_split(n_samples=400, noise=0.2, test_size=0.25, seed=0)
    model = RandomForestClassifier(n_estimators=10, random_state=0).fit(
        split.train[["x1", "x2"]], split.train.y
    )
    predictions = predict(model, split.test[["x1", "x2"]])
    names = write_figures(model, predictions, split.train, split.test, (["x1", "x2"], "y"), tmp_path, seed=0)
    assert names == ["decision_boundary.png", "data.png", *ANY_DATA]


def test_two_numeric_features_with_other_names_and_string_labels_get_a_boundary(tmp_path: Path) -> None:
    split = generate_split(n_samples=400, noise=0.2, test_size=0.25, seed=0)
    renamed = [
        frame.rename(columns={"x1": "height", "x2": "weight"}).assign(kind=frame.y.map({0: "cat", 1: "dog"}))
        for frame in (split.train, split.test)
    ]
    columns = (["height", "weight"], "kind")
    model = RandomForestClassifier(n_estimators=10, random_state=0).fit(
        renamed[0][columns[0]], renamed[0].kind
    )
    names = write_figures(model, predict(model, renamed[1][columns[0]]), *renamed, columns, tmp_path, seed=0)
    assert names[:2] == ["decision_boundary.png", "data.png"]
    axes = decision_boundary_figure(model, *renamed, seed=0, columns=columns).axes[0]
    assert axes.get_title().startswith("Decision boundary (black line: P(kind=dog) = 0.5)")
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("height", "weight")
    assert "train kind=cat" in [text.get_text() for text in axes.get_legend().get_texts()]


def test_two_features_but_three_classes_or_a_category_get_no_boundary(tmp_path: Path) -> None:
    X, y = load_wine(return_X_y=True, as_frame=True)
    two = fit(X[["alcohol", "malic_acid"]], y, RandomForestClassifier(n_estimators=10, random_state=0))
    assert written(tmp_path, two) == ANY_DATA
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    coded = X[["mean radius"]].assign(size=pd.cut(X["mean area"], 3, labels=[1, 2, 3]).astype(int))
    size_as_text = coded.assign(size=coded["size"].map({1: "small", 2: "medium", 3: "large"}))
    model = RandomForestClassifier(n_estimators=10, random_state=0).fit(coded, y)
    # The model saw the category as numbers; the figure is chosen on the table's columns.
    assert boundary_fits(model, coded, [0, 1])
    assert not boundary_fits(model, size_as_text, [0, 1])


def test_confusion_matrix_counts_every_test_row_at_ten_classes() -> None:
    fitted = digits()
    figure = confusion_figure(predict(fitted.model, fitted.X), fitted.y)
    axes = figure.axes[0]
    counts = [int(text.get_text().replace(",", "")) for text in axes.texts]
    assert len(counts) == 100 and sum(counts) == len(fitted.y)
    assert [t.get_text() for t in axes.get_xticklabels()] == [str(c) for c in range(10)]
    assert f"{len(fitted.y):,} test rows" in axes.get_title()


def test_string_labels_name_the_positive_class() -> None:
    fitted = breast_cancer_named()
    figure = roc_figure(predict(fitted.model, fitted.X), fitted.y)
    [curve, _chance] = figure.axes[0].get_legend().get_texts()
    assert curve.get_text().startswith("positive class malignant (AUC ")
    ticks = confusion_figure(predict(fitted.model, fitted.X), fitted.y).axes[0].get_yticklabels()
    assert [t.get_text() for t in ticks] == ["benign", "malignant"]


@pytest.mark.parametrize("table", [wine, digits])
def test_one_roc_curve_per_class(table) -> None:
    fitted = table()
    legend = [
        t.get_text()
        for t in roc_figure(predict(fitted.model, fitted.X), fitted.y).axes[0].get_legend().get_texts()
    ]
    assert [text.split(" (AUC")[0] for text in legend] == [*map(str, fitted.classes), "chance"]


def bar_labels(figure) -> list[str]:
    """The importance figure's feature names, top bar first."""
    return [t.get_text() for t in figure.axes[0].get_yticklabels()][::-1]


def test_importance_figure_lists_the_top_features_sorted() -> None:
    fitted = breast_cancer()
    importance, how = importances(fitted.model, fitted.X, fitted.y, fitted.features)
    assert "feature_importances_" in how
    order = np.argsort(fitted.model.feature_importances_)[::-1][:TOP]
    expected = [fitted.features[i] for i in order]
    figure = importance_figure(importance, how)
    assert bar_labels(figure) == [short(name) for name in expected]
    assert figure.axes[0].get_title() == f"Feature importances (top {TOP} of 30 features)"


def test_coefficients_of_a_pipeline_are_read_under_their_names() -> None:
    X, y = load_wine(return_X_y=True, as_frame=True)
    fitted = fit(X, y, make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)))
    importance, how = importances(fitted.model, fitted.X, fitted.y, fitted.features)
    assert "coef_" in how
    assert list(importance.index) == list(X.columns)
    coefficients = np.abs(fitted.model[-1].coef_).mean(axis=0)
    assert importance.to_numpy() == pytest.approx(coefficients)


def test_one_hot_columns_add_up_to_their_raw_column() -> None:
    """A category encoded in the model's pipeline is one feature in the figure, as the user gave it."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    table = X[["mean radius", "mean texture"]].assign(size=pd.cut(X["mean area"], 3, labels=["S", "M", "L"]))
    encode = ColumnTransformer([("category", OneHotEncoder(), ["size"])], remainder="passthrough")
    model = make_pipeline(encode, RandomForestClassifier(n_estimators=20, random_state=0))
    fitted = fit(table, y, model)
    importance, how = importances(fitted.model, fitted.X, fitted.y, fitted.features)
    assert "feature_importances_" in how
    assert list(importance.index) == ["mean radius", "mean texture", "size"]
    encoded = model[-1].feature_importances_
    assert importance["size"] == pytest.approx(encoded[:3].sum())  # size_L, size_M, size_S
    assert importance.sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("budget", "overrun", "rows_and_repeats"),
    [(1e6, 3, "171 test rows x 5 repeats"), (1e-6, 1e12, "100 test rows x 1 repeats")],
)
def test_a_model_without_importances_is_permuted_within_the_budget(
    monkeypatch: pytest.MonkeyPatch, budget: float, overrun: float, rows_and_repeats: str
) -> None:
    """Fewer rows and repeats for a smaller time budget: at least one repeat on 100 rows."""
    fitted = knn_on_breast_cancer()
    monkeypatch.setattr(importance_module, "BUDGET_S", budget)
    monkeypatch.setattr(importance_module, "OVERRUN", overrun)
    importance, how = importances(fitted.model, fitted.X, fitted.y, fitted.features, seed=0)
    assert how == f"permutation importance: accuracy drop, {rows_and_repeats}"
    assert list(importance.index) == fitted.features and importance.abs().sum() > 0


def test_no_importance_figure_where_one_permutation_would_overrun(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fitted = knn_on_breast_cancer()
    monkeypatch.setattr(importance_module, "BUDGET_S", 1e-6)
    assert importances(fitted.model, fitted.X, fitted.y, fitted.features) is None
    assert written(tmp_path, fitted) == ["confusion_matrix.png", "roc_curve.png"]


def knn_on_breast_cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return fit(X, y, make_pipeline(StandardScaler(), KNeighborsClassifier()))


def test_encoded_names_trace_back_to_the_longest_raw_name() -> None:
    features = ["size", "size_cm", "colour"]
    encoded = ["onehot__size_S", "onehot__size_cm_10", "remainder__colour", "size"]
    assert raw_columns(encoded, features) == ["size", "size_cm", "colour", "size"]
    assert raw_columns(["pca0", "pca1"], features) is None  # not traceable: permutation importance
