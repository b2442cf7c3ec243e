"""`model.scoring` and `objective.metric` against the training labels, checked once the data is
loaded and before the search spends any time: what scores two classes only is refused on more.
"""

from collections.abc import Sequence

from sklearn.metrics import get_scorer_names

from moonml.errors import MoonmlError
from moonml.evaluation.names import CV_BEST_SCORE, MULTICLASS, metric_names

# scikit-learn's scorers that score two classes only (a binary average, or no multi_class
# setting); tests/evaluation/test_label_checks.py holds this list against scikit-learn itself.
BINARY_ONLY_SCORERS = (
    "precision",
    "recall",
    "f1",
    "jaccard",
    "roc_auc",
    "positive_likelihood_ratio",
    "neg_negative_likelihood_ratio",
)


def label_problems(scoring: str, metric: str, classes: Sequence) -> list[str]:
    """One line per setting that does not fit data of these `classes` (the training labels)."""
    count = len(classes)
    problems = []
    if scoring.endswith("_samples"):
        problems.append(
            f"model.scoring: {scoring!r} scores multilabel data, and moonml trains on one label per row; "
            f"choose one of: {', '.join(multiclass_scorers(scoring.removesuffix('_samples')))}"
        )
    elif count > 2 and scoring in BINARY_ONLY_SCORERS:
        problems.append(
            f"model.scoring: {scoring!r} scores two classes only, and the training labels have {count} "
            f"classes; choose one of: {', '.join(multiclass_scorers(scoring))}"
        )
    logged = (*metric_names(count), CV_BEST_SCORE)
    if metric not in logged:
        kind = "two classes" if metric in metric_names(2) else "three or more classes"
        problems.append(
            f"objective.metric: {metric!r} is logged for {kind} only, and the training labels have "
            f"{count} classes; choose one of: {', '.join(logged)}"
        )
    return problems


def check_labels_fit_metrics(scoring: str, metric: str, classes: Sequence) -> None:
    """Raise one MoonmlError naming every setting of `label_problems`."""
    problems = label_problems(scoring, metric, classes)
    if problems:
        raise MoonmlError("invalid config for this data: " + "; ".join(problems))


def multiclass_scorers(scoring: str) -> list[str]:
    """The averaged variants of a two-class scorer (f1 -> f1_macro, ...), else moonml's own metrics.

    The `_samples` averages score multilabel data, which moonml does not train on.
    """
    variants = [
        name
        for name in get_scorer_names()
        if name.startswith(f"{scoring}_") and not name.endswith("_samples")
    ]
    return variants or list(MULTICLASS)
