"""Figures say what they show: counts on the whole test set, how much of the data is drawn."""

import pytest
from sklearn.ensemble import RandomForestClassifier

from moonml.data.moons import FEATURES, LABEL, generate_split
from moonml.evaluation.figures import MAX_POINTS, data_figure, decision_boundary_figure


def fitted(split) -> RandomForestClassifier:
    return RandomForestClassifier(n_estimators=10, max_depth=5, random_state=0).fit(
        split.train[FEATURES], split.train[LABEL]
    )


def legend_texts(figure) -> list[str]:
    return [text.get_text() for text in figure.axes[0].get_legend().get_texts()]


def point_sizes(figure) -> list[float]:
    axes = figure.axes[0]
    return [
        size
        for c in axes.collections
        if c.get_label().startswith(("train", "test"))
        for size in c.get_sizes()
    ]


@pytest.fixture(scope="module")
def large():
    split = generate_split(n_samples=20_000, noise=0.3, test_size=0.5, seed=1)
    return split, fitted(split)


def test_boundary_counts_errors_on_the_whole_test_set(large) -> None:
    split, model = large
    errors = int((model.predict(split.test[FEATURES]) != split.test[LABEL]).sum())
    figure = decision_boundary_figure(model, split.train, split.test, seed=0)
    [label] = [text for text in legend_texts(figure) if text.startswith("misclassified")]
    assert f"of {MAX_POINTS:,} plotted; {errors:,} of {len(split.test):,}" in label
    ringed = next(c for c in figure.axes[0].collections if c.get_label() == label)
    assert label.startswith(f"misclassified test: {len(ringed.get_offsets())} of")
    accuracy = 1 - errors / len(split.test)
    assert f"test accuracy {accuracy:.3f}" in figure.axes[0].get_title()


def test_boundary_points_are_smaller_and_translucent_at_scale(large) -> None:
    split, model = large
    small = split.train.head(300), split.test.head(100)
    at_scale = decision_boundary_figure(model, split.train, split.test, seed=0)
    few = decision_boundary_figure(model, *small, seed=0)
    assert max(point_sizes(at_scale)) < min(point_sizes(few))
    alphas = [c.get_alpha() for c in at_scale.axes[0].collections if c.get_label().startswith("test")]
    assert all(alpha is not None and alpha <= 0.6 for alpha in alphas)


def test_small_sets_are_counted_plainly(large) -> None:
    split, model = large
    test = split.test.head(100)
    errors = int((model.predict(test[FEATURES]) != test[LABEL]).sum())
    figure = decision_boundary_figure(model, split.train.head(300), test, seed=0)
    assert f"misclassified test: {errors} of 100" in legend_texts(figure)


def test_data_figure_says_how_many_rows_are_plotted(large) -> None:
    split, _ = large
    titles = [axes.get_title() for axes in data_figure(split.train, split.test.head(150)).axes]
    assert titles == [
        f"train set: {MAX_POINTS:,} of {len(split.train):,} rows plotted",
        "test set: all 150 rows",
    ]
