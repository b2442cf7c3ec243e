"""Turn `model.estimator` into a scikit-learn classifier class without running anything else.

Configuration must not run code: importing an arbitrary module runs its top level, and calling an
arbitrary object runs it. So only modules of known classifier packages are imported, and the
imported object is instantiated only once its class says it is a scikit-learn classifier.
"""

import importlib
import inspect
import re

from moonml.errors import MoonmlError

# Top-level packages whose modules only define estimators on import.
TRUSTED_PACKAGES = ("sklearn", "imblearn", "xgboost", "lightgbm")
IMPORT_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")


def import_classifier(path: str) -> type:
    """The classifier class named by `module.ClassName`, or a MoonmlError saying why not."""
    if not IMPORT_PATH.match(path):
        raise _cannot_import(path)
    module_name, _, class_name = path.rpartition(".")
    if module_name.split(".")[0] not in TRUSTED_PACKAGES:
        raise _not_a_classifier(path, f"moonml imports estimators only from {', '.join(TRUSTED_PACKAGES)}")
    try:
        found = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError):
        raise _cannot_import(path) from None
    from sklearn.base import BaseEstimator, ClassifierMixin

    if not inspect.isclass(found):
        raise _not_a_classifier(path, "it is not a class")
    says_classifier = (
        issubclass(found, ClassifierMixin) or getattr(found, "_estimator_type", None) == "classifier"
    )
    if not (issubclass(found, BaseEstimator) and says_classifier) or inspect.isabstract(found):
        raise _not_a_classifier(path, "give a class such as sklearn.ensemble.RandomForestClassifier")
    return found


def _cannot_import(path: str) -> MoonmlError:
    return MoonmlError(f"model.estimator: cannot import {path!r} (give module.ClassName)")


def _not_a_classifier(path: str, why: str) -> MoonmlError:
    return MoonmlError(f"model.estimator: {path} is not a scikit-learn classifier ({why})")
