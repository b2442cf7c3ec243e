"""`model.scoring` as the search uses it, with the positive class the metrics use.

scikit-learn's two-class scorers (f1, precision...) score the label 1: with labels "no"/"yes"
they fail, and with labels 1/2 they score class 1 where the test metrics score classes_[1] = 2.
For those labels the search gets the same scorer with pos_label=classes_[1]; otherwise the name,
unchanged, so the tutorial's search stays what it is.
"""

from collections.abc import Callable, Sequence
from typing import Any

from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    f1_score,
    jaccard_score,
    make_scorer,
    precision_score,
    recall_score,
)

# The scorers that take a positive class: their score function, and make_scorer's settings.
POSITIVE_CLASS_SCORERS: dict[str, tuple[Callable, dict[str, Any]]] = {
    "precision": (precision_score, {}),
    "recall": (recall_score, {}),
    "f1": (f1_score, {}),
    "jaccard": (jaccard_score, {}),
    "average_precision": (
        average_precision_score,
        {"response_method": ("decision_function", "predict_proba")},
    ),
    "neg_brier_score": (brier_score_loss, {"response_method": "predict_proba", "greater_is_better": False}),
}


def search_scoring(scoring: str, classes: Sequence) -> str | Callable:
    """The scorer name, or for two classes whose classes_[1] is not 1 the scorer scoring classes_[1].

    `classes`: the training labels, in any order.
    """
    ordered = sorted(set(classes))
    if len(ordered) != 2 or ordered[1] == 1 or scoring not in POSITIVE_CLASS_SCORERS:
        return scoring
    function, settings = POSITIVE_CLASS_SCORERS[scoring]
    return make_scorer(function, pos_label=ordered[1], **settings)
