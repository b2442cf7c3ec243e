"""The names of the metrics a run logs, light to import: the config check reads them before the
pipeline (and scikit-learn) is imported, so `--help` and the search workers' early start stay quick.

They are the scikit-learn scorer names of the same metrics (moonml.evaluation.metrics computes them).
"""

BINARY = ("accuracy", "precision", "recall", "f1", "roc_auc")
MULTICLASS = ("accuracy", "precision_macro", "recall_macro", "f1_macro", "roc_auc_ovr")
CV_BEST_SCORE = "cv_best_score"  # the search's best mean CV score (model.scoring), logged for any data


def metric_names(n_classes: int) -> tuple[str, ...]:
    """The metrics a run logs for data of `n_classes` classes (roc_auc_ovr needs probabilities)."""
    return BINARY if n_classes == 2 else MULTICLASS
