"""Scorers and objectives that exist for two classes only are refused on more, in one line that
names the setting and what to choose instead."""

import subprocess
import sys
import warnings

import pytest
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import get_scorer, get_scorer_names
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from moonml.config.compose import compose_config
from moonml.config.objective import METRICS
from moonml.errors import MoonmlError
from moonml.evaluation.label_checks import BINARY_ONLY_SCORERS, check_labels_fit_metrics, label_problems
from moonml.evaluation.names import BINARY, MULTICLASS
from moonml.train import train
from tests.helpers import data_args


def scorers_that_work(loader) -> set[str]:
    X, y = loader(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
    working = set()
    for name in get_scorer_names():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                get_scorer(name)(model, X, y)
        except ValueError:
            continue
        working.add(name)
    return working


def test_the_binary_only_list_is_scikit_learns() -> None:
    """Exactly the scorers that work on two classes (breast cancer) and fail on three (wine)."""
    assert set(BINARY_ONLY_SCORERS) == scorers_that_work(load_breast_cancer) - scorers_that_work(load_wine)


def test_a_binary_scorer_on_three_classes_is_refused_in_one_line() -> None:
    with pytest.raises(MoonmlError) as refused:
        check_labels_fit_metrics("f1", "cv_best_score", [0, 1, 2])
    message = str(refused.value)
    assert "\n" not in message
    assert message == (
        "invalid config for this data: model.scoring: 'f1' scores two classes only, and the training "
        "labels have 3 classes; choose one of: f1_macro, f1_micro, f1_weighted"
    )


def test_roc_auc_points_to_its_one_vs_rest_variants() -> None:
    [problem] = label_problems("roc_auc", "cv_best_score", ["a", "b", "c", "d"])
    assert problem.startswith("model.scoring: 'roc_auc' scores two classes only")
    assert "roc_auc_ovr" in problem and "roc_auc_ovo" in problem


def test_an_objective_the_run_does_not_log_is_refused_with_what_it_logs() -> None:
    [problem] = label_problems("f1_macro", "f1", [0, 1, 2])
    assert problem == (
        "objective.metric: 'f1' is logged for two classes only, and the training labels have 3 classes; "
        "choose one of: accuracy, precision_macro, recall_macro, f1_macro, roc_auc_ovr, cv_best_score"
    )
    [problem] = label_problems("accuracy", "f1_macro", [False, True])
    assert problem.startswith("objective.metric: 'f1_macro' is logged for three or more classes only")
    assert problem.endswith("choose one of: accuracy, precision, recall, f1, roc_auc, cv_best_score")


@pytest.mark.parametrize("classes", [["no", "yes"], [0, 1, 2]])
def test_every_logged_metric_and_multiclass_scorer_fits(classes) -> None:
    logged = BINARY if len(classes) == 2 else MULTICLASS
    for metric in (*logged, "cv_best_score"):
        assert metric in METRICS
        assert label_problems("f1_macro", metric, classes) == []
    assert label_problems("roc_auc_ovr", "accuracy", classes) == []


def test_train_refuses_a_multiclass_objective_on_two_classes_before_the_search(tmp_path) -> None:
    """The check runs in the pipeline once the data is loaded: nothing is searched or written."""
    cfg = compose_config([*data_args(), "objective.metric=f1_macro", "tracking=none"])
    with pytest.raises(
        MoonmlError, match=r"objective\.metric: 'f1_macro' is logged for three or more classes"
    ):
        train(cfg, output_dir=str(tmp_path / "run"))
    assert list((tmp_path / "run").iterdir()) == []


def test_a_multilabel_scorer_is_refused_whatever_the_classes() -> None:
    for classes in ([0, 1], ["a", "b", "c"]):
        [problem] = label_problems("recall_samples", "accuracy", classes)
        assert problem == (
            "model.scoring: 'recall_samples' scores multilabel data, and moonml trains on one label per "
            "row; choose one of: recall_macro, recall_micro, recall_weighted"
        )


def test_the_entry_point_reads_the_metric_names_without_scikit_learn() -> None:
    """moonml.app.main imports the objective check at start-up: scikit-learn would delay the search
    workers' early start (and `--help`) by a second."""
    probe = "import sys, moonml.app.main; print('sklearn' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr
