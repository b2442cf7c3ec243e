"""The search scores the positive class the test metrics score: classes_[1], whatever the labels."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import get_scorer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from moonml.evaluation.scoring import POSITIVE_CLASS_SCORERS, search_scoring


def searched(scoring, y) -> float:
    X, _ = load_breast_cancer(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    search = GridSearchCV(
        model, {"logisticregression__C": [0.1, 1.0]}, scoring=scoring, cv=3, error_score="raise"
    )
    return search.fit(X, y).best_score_


@pytest.fixture(scope="module")
def labels():
    _, y = load_breast_cancer(return_X_y=True)
    return y


@pytest.mark.parametrize("name", sorted(POSITIVE_CLASS_SCORERS))
def test_string_labels_are_scored_like_their_0_1_codes(labels, name: str) -> None:
    """ "malignant" sorts after "benign": it is classes_[1], the 1 of the 0/1 codes below."""
    named = np.where(labels == 1, "benign", "malignant")
    with pytest.raises(ValueError):
        searched(name, named)  # scikit-learn's own name scores the label 1: not a label here
    as_codes = (named == "malignant").astype(int)
    assert searched(search_scoring(name, named), named) == pytest.approx(searched(name, as_codes))


def test_labels_1_and_2_score_2_like_the_test_metrics(labels) -> None:
    one_two = labels + 1
    assert searched(search_scoring("f1", one_two), one_two) == pytest.approx(searched("f1", labels))


@pytest.mark.parametrize("classes", [[0, 1], [False, True], [-1, 1], ["a", "b", "c"]])
def test_names_stay_names_where_scikit_learn_already_scores_classes_1(classes) -> None:
    assert search_scoring("f1", classes) == "f1"
    assert search_scoring("roc_auc", ["no", "yes"]) == "roc_auc"  # ranks by classes_[1] already
    assert get_scorer(search_scoring("accuracy", classes)) is not None
