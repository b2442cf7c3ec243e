"""Real tables scikit-learn ships, split and fitted in-process, for the evaluation tests."""

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split


@dataclass(frozen=True)
class Fitted:
    model: ClassifierMixin
    X: pd.DataFrame  # the test rows
    y: pd.Series
    features: list[str]
    classes: list


def _fit(X: pd.DataFrame, y: pd.Series, model: ClassifierMixin | None = None) -> Fitted:
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    model = model if model is not None else RandomForestClassifier(n_estimators=30, random_state=0)
    model.fit(X_train, y_train)
    return Fitted(model, X_test, y_test, list(X.columns), list(model.classes_))


@cache
def breast_cancer() -> Fitted:
    """Binary, 30 numeric features, labels 0/1."""
    return _fit(*load_breast_cancer(return_X_y=True, as_frame=True))


@cache
def wine() -> Fitted:
    """Three classes, 13 numeric features."""
    return _fit(*load_wine(return_X_y=True, as_frame=True))


@cache
def digits() -> Fitted:
    """Ten classes, 64 pixel features."""
    X, y = load_digits(return_X_y=True, as_frame=True)
    return _fit(X, y)


@cache
def breast_cancer_named() -> Fitted:
    """Binary with string labels: 'malignant'/'benign' (scikit-learn's target names)."""
    data = load_breast_cancer(as_frame=True)
    names = pd.Series(np.asarray(data.target_names)[data.target], name="diagnosis")
    return _fit(data.data, names)


def fit(X: pd.DataFrame, y: pd.Series, model: ClassifierMixin) -> Fitted:
    return _fit(X, y, model)
