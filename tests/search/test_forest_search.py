"""The shared-forest search gives exactly GridSearchCV's results; other searches fall back to it."""

import os
import warnings
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from joblib.parallel import get_active_backend
from omegaconf import OmegaConf
from sklearn.base import BaseEstimator
from sklearn.ensemble import ExtraTreesClassifier, GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from moonml.data.split import Split
from moonml.evaluation.scoring import search_scoring
from moonml.search.forests import SharedForestSearch, shares_forests
from moonml.search.grid import configured_estimator, grid_search
from moonml.search.lifeline import workers_exit_with_this_process
from moonml.search.pipeline import make_model, model_grid, with_user_names
from moonml.search.workers import run_tasks
from tests.helpers import TRAIN_CSV
from tests.tables import breast_cancer, iris_with_categories, wine

FEATURES, LABEL = ["x1", "x2"], "y"
DEFAULT_GRID = {
    "n_estimators": [10, 25, 100],
    "criterion": ["gini", "entropy"],
    "max_depth": [2, 5, 10, None],
}


@pytest.fixture(scope="module")
def tutorial() -> pd.DataFrame:
    return pd.read_csv(TRAIN_CSV)


def both_searches(estimator, grid: dict, data: pd.DataFrame, **settings) -> tuple[GridSearchCV, GridSearchCV]:
    settings = {"cv": 5, "scoring": "accuracy", "n_jobs": 2} | settings
    X, y = data[FEATURES], data[LABEL]
    with warnings.catch_warnings(record=True) as reference_warnings:
        warnings.simplefilter("always")
        reference = GridSearchCV(estimator, grid, **settings).fit(X, y)
    with warnings.catch_warnings(record=True) as shared_warnings:
        warnings.simplefilter("always")
        shared = SharedForestSearch(estimator, grid, **settings).fit(X, y)
    assert search_warnings(shared_warnings) == search_warnings(reference_warnings)
    return reference, shared


def search_warnings(caught: list) -> list[str]:
    # The search's own warnings (failed fits); a library deprecation shows once per process,
    # in whichever search happened to run first.
    return [str(w.message)[:60] for w in caught if not issubclass(w.category, DeprecationWarning)]


def leaf_params(model) -> dict:
    """A model's parameters but the steps of a pipeline, which compare as objects."""
    return {k: v for k, v in model.get_params().items() if not isinstance(v, BaseEstimator | list)}


def assert_same_search(
    reference: GridSearchCV, shared: GridSearchCV, rows: pd.DataFrame | None = None
) -> None:
    assert sorted(shared.cv_results_) == sorted(reference.cv_results_)
    for key, expected in reference.cv_results_.items():
        got = shared.cv_results_[key]
        if key == "params" or key.startswith("param_"):
            assert list(got) == list(expected), key
        elif "test_score" in key:  # scores and ranks: the same to the bit (NaN where a fit failed)
            np.testing.assert_array_equal(got, expected, err_msg=key)
        else:  # times
            assert np.asarray(got).shape == np.asarray(expected).shape, key
    assert shared.best_index_ == reference.best_index_
    assert shared.best_params_ == reference.best_params_
    assert shared.best_score_ == reference.best_score_
    assert shared.n_splits_ == reference.n_splits_
    assert shared.scorer_._score_func is reference.scorer_._score_func
    assert leaf_params(shared.best_estimator_) == leaf_params(reference.best_estimator_)
    frame = (
        pd.DataFrame(np.random.default_rng(0).normal(size=(50, 2)), columns=FEATURES)
        if rows is None
        else rows
    )
    np.testing.assert_array_equal(
        shared.best_estimator_.predict_proba(frame), reference.best_estimator_.predict_proba(frame)
    )


@pytest.mark.e2e
def test_default_grid_same_results_as_gridsearchcv(tutorial: pd.DataFrame) -> None:
    assert_same_search(*both_searches(RandomForestClassifier(random_state=42), DEFAULT_GRID, tutorial))


OTHER_SEARCHES = {
    "other seed, max_features axis": (
        RandomForestClassifier(random_state=7),
        {"n_estimators": [5, 20], "max_features": [1, 2, "sqrt"], "max_depth": [3, None]},
    ),
    "min_samples_leaf axis, sizes unsorted": (
        RandomForestClassifier(random_state=3, bootstrap=True, max_samples=0.5),
        {"min_samples_leaf": [1, 10], "n_estimators": [30, 4, 12]},
    ),
    "extra trees, only the size axis": (ExtraTreesClassifier(random_state=11), {"n_estimators": [3, 8, 15]}),
    "extra trees, roc_auc": (
        ExtraTreesClassifier(random_state=5, max_depth=4),
        {"n_estimators": [6, 9], "criterion": ["gini", "log_loss"]},
    ),
}


@pytest.mark.parametrize(("estimator", "grid"), OTHER_SEARCHES.values(), ids=OTHER_SEARCHES.keys())
def test_other_grids_same_results_as_gridsearchcv(tutorial: pd.DataFrame, estimator, grid: dict) -> None:
    scoring = "roc_auc" if "log_loss" in grid.get("criterion", []) else "accuracy"
    reference, shared = both_searches(estimator, grid, tutorial.head(300), cv=3, scoring=scoring)
    assert_same_search(reference, shared)


def test_failing_candidates_score_nan_as_in_gridsearchcv(tutorial: pd.DataFrame) -> None:
    grid = {"n_estimators": [2, 4], "max_depth": [3, -1]}
    reference, shared = both_searches(RandomForestClassifier(random_state=0), grid, tutorial.head(200), cv=2)
    assert np.isnan(shared.cv_results_["mean_test_score"]).sum() == 2
    assert_same_search(reference, shared)


def test_all_candidates_failing_raise_as_gridsearchcv_does(tutorial: pd.DataFrame) -> None:
    search = SharedForestSearch(
        RandomForestClassifier(random_state=0), {"n_estimators": [2], "max_depth": [-1]}, cv=2
    )
    with pytest.raises(ValueError, match="All the 2 fits failed") as raised:
        search.fit(tutorial[FEATURES], tutorial[LABEL])
    assert "max_depth" in str(raised.value).strip().splitlines()[-1]


class RecordingForest(RandomForestClassifier):
    """Notes the n_jobs of each fit made in this process (the refit; folds may run elsewhere)."""

    fits_n_jobs: ClassVar[list] = []

    def fit(self, X, y, sample_weight=None):
        # The backend a forest's fit gets (it asks for threads, a soft hint a config overrides).
        backend = type(get_active_backend(prefer="threads")[0]).__name__
        self.fits_n_jobs.append((self.n_jobs, backend))
        return super().fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize(("own", "refit"), [(None, 2), (1, 1), (3, 3)])
def test_the_refit_uses_the_searchs_cores_unless_the_forest_has_its_own(
    tutorial: pd.DataFrame, own, refit
) -> None:
    """The refit ran on one core while the other idled: 1,000,000 rows, seconds."""
    RecordingForest.fits_n_jobs.clear()
    search = SharedForestSearch(
        RecordingForest(random_state=0, n_jobs=own), {"n_estimators": [2, 4]}, cv=2, n_jobs=2
    )
    with workers_exit_with_this_process():  # as moonml.train searches: a loky config
        search.fit(tutorial[FEATURES], tutorial[LABEL])
    # In threads: loky processes would each import scikit-learn and get a copy of the data.
    assert RecordingForest.fits_n_jobs[-1] == (refit, "ThreadingBackend")
    assert search.best_estimator_.n_jobs == own  # the model keeps the configured parameters


@pytest.mark.parametrize("forest_class", [RandomForestClassifier, ExtraTreesClassifier])
def test_warm_start_grows_the_trees_of_a_fresh_fit(tutorial: pd.DataFrame, forest_class) -> None:
    """What the search relies on: growing 4 -> 9 trees by warm start gives a fresh 9-tree fit's trees."""
    X, y = tutorial[FEATURES], tutorial[LABEL]
    fresh = forest_class(n_estimators=9, random_state=13).fit(X, y)
    grown = forest_class(n_estimators=4, random_state=13, warm_start=True).fit(X, y)
    grown.set_params(n_estimators=9).fit(X, y)
    for fresh_tree, grown_tree in zip(fresh.estimators_, grown.estimators_, strict=True):
        assert fresh_tree.random_state == grown_tree.random_state
        np.testing.assert_array_equal(fresh_tree.tree_.threshold, grown_tree.tree_.threshold)
        np.testing.assert_array_equal(fresh_tree.tree_.value, grown_tree.tree_.value)


def test_progress_counts_fits_as_gridsearchcv_does(tutorial: pd.DataFrame) -> None:
    seen: list[tuple[int, int]] = []
    grid = {"n_estimators": [2, 3, 4], "max_depth": [2, 3]}
    search = SharedForestSearch(
        RandomForestClassifier(random_state=0), grid, cv=2, progress=lambda *pair: seen.append(pair)
    )
    search.fit(tutorial[FEATURES].head(100), tutorial[LABEL].head(100))
    assert seen == [(0, 12), (3, 12), (6, 12), (9, 12), (12, 12)]


@pytest.mark.parametrize(
    ("estimator", "grid", "scoring"),
    [
        (GradientBoostingClassifier(random_state=0), {"n_estimators": [5, 10]}, "accuracy"),
        (LogisticRegression(), {"C": [0.1, 1.0]}, "accuracy"),
        (RandomForestClassifier(random_state=0), {"max_depth": [2, 3]}, "accuracy"),
        (RandomForestClassifier(random_state=0), [{"n_estimators": [5, 10]}], "accuracy"),
        (
            RandomForestClassifier(random_state=np.random.RandomState(0)),
            {"n_estimators": [5, 10]},
            "accuracy",
        ),
        (RandomForestClassifier(), {"n_estimators": [5, 10]}, "accuracy"),
        (RandomForestClassifier(random_state=0), {"n_estimators": [5, 10]}, ["accuracy", "roc_auc"]),
        (RandomForestClassifier(random_state=0), {"n_estimators": [5, 0]}, "accuracy"),
        (RandomForestClassifier(random_state=0), {"n_estimators": [5], "warm_start": [True]}, "accuracy"),
    ],
    ids=[
        "gradient boosting",
        "no ensemble",
        "no size axis",
        "list of grids",
        "RandomState object",
        "no random_state",
        "several scorers",
        "invalid size",
        "warm_start searched",
    ],
)
def test_searches_it_cannot_reproduce_are_left_to_gridsearchcv(estimator, grid, scoring) -> None:
    assert not shares_forests(estimator, grid, scoring)


def model_config(estimator: str, grid: dict, scale: bool = False):
    settings = {"cv": 2, "scoring": "accuracy", "n_jobs": 1, "scale": scale}
    return OmegaConf.create({"estimator": estimator, "params": {}, "grid": grid} | settings)


def tutorial_split(data: pd.DataFrame) -> Split:
    return Split(train=data, test=data, label=LABEL, features=FEATURES)


def test_moonml_search_shares_forests_and_falls_back(tutorial: pd.DataFrame) -> None:
    data = tutorial_split(tutorial.head(100))
    forest = grid_search(
        model_config("sklearn.ensemble.RandomForestClassifier", {"n_estimators": [2, 3]}), data, 1
    )
    assert isinstance(forest, SharedForestSearch)
    assert forest.best_estimator_.random_state == 1  # the seed reaches the search
    boosting = model_config("sklearn.ensemble.GradientBoostingClassifier", {"n_estimators": [2, 3]})
    fallback = grid_search(boosting, data, 1)
    assert type(fallback) is GridSearchCV
    assert list(fallback.cv_results_["param_n_estimators"]) == [2, 3]


def pids() -> tuple[int, int]:
    return os.getppid(), os.getpid()


def test_workers_are_forked_from_the_forkserver(forkserver_workers: None) -> None:
    parents, workers = zip(*run_tasks(pids, (), [()] * 6, n_jobs=2), strict=True)
    [forkserver] = set(parents)
    assert forkserver != os.getpid()
    assert len(set(workers)) == 2 and os.getpid() not in workers


@pytest.mark.e2e
def test_default_grid_same_results_through_the_forkserver(
    tutorial: pd.DataFrame, forkserver_workers: None
) -> None:
    assert_same_search(*both_searches(RandomForestClassifier(random_state=42), DEFAULT_GRID, tutorial))


def test_a_fit_failing_in_a_worker_fails_the_search(tutorial: pd.DataFrame, forkserver_workers: None) -> None:
    search = SharedForestSearch(
        RandomForestClassifier(random_state=0),
        {"n_estimators": [2, 3], "min_samples_leaf": [1, -1]},  # -1 cannot fit
        cv=3,
        n_jobs=2,
        error_score="raise",
    )
    with pytest.raises(ValueError, match="min_samples_leaf"):
        search.fit(tutorial[FEATURES], tutorial[LABEL])


def table(frame: pd.DataFrame, label: str, rows: int = 150) -> tuple[pd.DataFrame, pd.Series]:
    sample = frame.sample(min(rows, len(frame)), random_state=0)
    return sample.drop(columns=label), sample[label]


TABLES = {
    "wine, 3 classes": lambda: table(wine(), "target"),
    "iris, string labels": lambda: table(iris_with_categories().drop(columns="petal_shade"), "species"),
    "breast cancer, 30 features": lambda: table(breast_cancer(), "target"),
}
FORESTS = {
    "random forest": (
        RandomForestClassifier(random_state=4),
        {"n_estimators": [3, 7], "max_depth": [2, None]},
    ),
    "extra trees": (
        ExtraTreesClassifier(random_state=9),
        {"n_estimators": [8, 2, 5], "criterion": ["gini", "entropy"]},
    ),
}


@pytest.mark.parametrize("data", TABLES.values(), ids=TABLES.keys())
@pytest.mark.parametrize(("estimator", "grid"), FORESTS.values(), ids=FORESTS.keys())
def test_any_labels_and_features_same_results_as_gridsearchcv(data, estimator, grid: dict) -> None:
    X, y = data()
    for scoring in ("accuracy", "f1_macro"):
        reference = GridSearchCV(estimator, grid, cv=3, scoring=scoring, n_jobs=2).fit(X, y)
        shared = SharedForestSearch(estimator, grid, cv=3, scoring=scoring, n_jobs=2).fit(X, y)
        assert_same_search(reference, shared, X.head(40))


@pytest.mark.parametrize("scale", [False, True])
@pytest.mark.parametrize("forest", ["RandomForestClassifier", "ExtraTreesClassifier"])
def test_behind_the_encoding_pipeline_same_results_as_gridsearchcv(forest: str, scale: bool) -> None:
    """A categorical column: the forest is the last step of a Pipeline; the grid keeps the user's names."""
    frame = iris_with_categories()
    features = [name for name in frame.columns if name != "species"]
    split = Split(train=frame, test=frame, label="species", features=features)
    grid = {"n_estimators": [2, 6], "max_depth": [2, None]}
    model_cfg = model_config(f"sklearn.ensemble.{forest}", grid, scale)
    shared = grid_search(model_cfg, split, 5)
    assert isinstance(shared, SharedForestSearch) and isinstance(shared.best_estimator_, Pipeline)
    estimator = make_model(configured_estimator(model_cfg, 5), split, scale)
    reference = GridSearchCV(estimator, model_grid(grid, estimator), cv=2, scoring="accuracy", n_jobs=1)
    reference = with_user_names(reference.fit(frame[features], frame["species"]))
    assert sorted(shared.best_params_) == ["max_depth", "n_estimators"]
    assert "param_n_estimators" in shared.cv_results_
    assert_same_search(reference, shared, frame[features].head(40))


def test_other_estimators_behind_the_pipeline_keep_the_users_names() -> None:
    frame = iris_with_categories()
    split = Split(
        train=frame, test=frame, label="species", features=[c for c in frame.columns if c != "species"]
    )
    search = grid_search(
        model_config("sklearn.linear_model.LogisticRegression", {"C": [0.1, 1.0]}, True), split, 0
    )
    assert type(search) is GridSearchCV
    assert list(search.best_params_) == ["C"] and list(search.cv_results_["param_C"]) == [0.1, 1.0]
    assert [type(step).__name__ for _, step in search.best_estimator_.steps] == [
        "ColumnTransformer",
        "LogisticRegression",
    ]


@pytest.mark.parametrize(("estimator", "grid"), FORESTS.values(), ids=FORESTS.keys())
def test_a_scorer_object_for_string_labels_same_results_as_gridsearchcv(estimator, grid: dict) -> None:
    """moonml hands the search f1 of classes_[1] as a scorer object on labels that are not 0/1."""
    X, y = table(breast_cancer(), "target")
    y = y.map({0: "malignant", 1: "benign"})
    scoring = search_scoring("f1", y.unique())
    assert callable(scoring) and shares_forests(estimator, grid, scoring)
    reference = GridSearchCV(estimator, grid, cv=3, scoring=scoring, n_jobs=2).fit(X, y)
    shared = SharedForestSearch(estimator, grid, cv=3, scoring=scoring, n_jobs=2).fit(X, y)
    assert_same_search(reference, shared, X.head(40))
