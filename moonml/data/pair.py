"""A test set must match its training set: the same columns, and no class or category the model never saw."""

import pandas as pd
from pandas.api.types import is_numeric_dtype

from moonml.errors import MoonmlError


def refuse_other_columns(used: list[str], like: tuple[pd.DataFrame, str], origin: str) -> None:
    """Refuse a test file whose columns are not the training file's."""
    train, train_origin = like
    missing = [name for name in train.columns if name not in used]
    extra = [name for name in used if name not in train.columns]
    if missing or extra:
        differences = [
            f"{what} {', '.join(names)}" for what, names in (("lacks", missing), ("adds", extra)) if names
        ]
        raise MoonmlError(
            f"{origin}: its columns differ from the training data {train_origin} (it "
            f"{' and '.join(differences)}); give both the same columns, or choose them with data.features"
        )


def check_pair(
    train: pd.DataFrame, test: pd.DataFrame, label: str, train_origin: str, test_origin: str
) -> None:
    """Refuse test rows whose class, or a category of a text column, the training rows lack."""
    unseen = ~test[label].isin(set(train[label]))
    if unseen.any():
        row, value = _first(unseen, test[label])
        raise MoonmlError(
            f"{test_origin}: class {value!r} in column {label} (data row {row}) is not in the training "
            f"data {train_origin}; a model cannot predict a class it never saw"
        )
    for name in train.columns:
        if name == label or is_numeric_dtype(train[name]):
            continue
        unseen = test[name].notna() & ~test[name].isin(set(train[name].dropna()))
        if unseen.any():
            row, value = _first(unseen, test[name])
            raise MoonmlError(
                f"{test_origin}: column {name} has category {value!r} (data row {row}) that the training "
                f"data {train_origin} lacks; the model would learn nothing about it"
            )


def _first(mask: pd.Series, column: pd.Series) -> tuple[int, object]:
    """The data row (the index counts the file's rows from 0) and value of the first True of `mask`."""
    where = mask.to_numpy().argmax()
    value = column.iloc[where]
    return int(mask.index[where]) + 1, value.item() if hasattr(value, "item") else value
