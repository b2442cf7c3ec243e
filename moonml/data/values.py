"""What a table's columns hold: numbers, categories and classes a classifier can train on. Anything
else is refused with one line naming the file, the column and the data row."""

from collections import Counter

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from moonml.data.pair import refuse_other_columns
from moonml.data.split import EVERY_COLUMN, Columns
from moonml.errors import MoonmlError

# scikit-learn's trees compute in float32: a larger value turns into inf inside the estimator.
FLOAT32_MAX = float(np.finfo(np.float32).max)
# The estimator decides whether a missing value can be learned from (moonml.search.pipeline).
_MISSING_HINT = "; fill it in, or pick a model that handles missing values (model=hist_gradient_boosting)"


def used_columns(names: list[str], origin: str, columns: Columns) -> list[str]:
    """The features and the label (last), in the file's order; refuse repeated or missing ones.

    pandas renames a repeated column (x1, x1.1): a repeat of a used column would go unseen.
    """
    wanted = list(columns.features) if columns.features is not None else names
    repeated = sorted(name for name, count in Counter(names).items() if count > 1 and name in wanted)
    if repeated:
        raise MoonmlError(
            f"{origin}: duplicate column {', '.join(repeated)} in the header; keep one column of each name"
        )
    expected = [*(columns.features or []), columns.label]
    missing = [name for name in expected if name not in names]
    if missing:
        raise MoonmlError(
            f"{origin}: missing column(s) {', '.join(missing)} (data.label / data.features; expected "
            f"{', '.join(expected) if columns.features is not None else columns.label}; "
            f"found {', '.join(map(printable, names))})"
        )
    features = [name for name in names if name in wanted and name != columns.label]
    if not features:
        raise MoonmlError(f"{origin}: no feature columns besides the label {columns.label}")
    return [*features, columns.label]


def printable(text: object) -> str:
    """Undecodable bytes read as surrogates would break printing and logging: show them escaped."""
    return str(text).encode("utf-8", "backslashreplace").decode("utf-8")


def check_frame(
    frame: pd.DataFrame,
    origin: str,
    columns: Columns = EVERY_COLUMN,
    like: tuple[pd.DataFrame, str] | None = None,
) -> pd.DataFrame:
    """The features (numbers as floats, categories as text) and the label; other columns dropped."""
    used = used_columns(list(map(str, frame.columns)), origin, columns)
    if like is not None:
        refuse_other_columns(used, like, origin)
    if frame.empty:
        raise MoonmlError(f"{origin}: the file has a header but no rows")
    checked = {}
    for name in used[:-1]:
        text = None if like is None else not is_numeric_dtype(like[0][name])
        checked[name] = _feature(frame[name], name, origin, columns.missing_ok, text)
    checked[columns.label] = _labels(frame[columns.label], columns.label, origin)
    return pd.DataFrame(checked, index=frame.index)


def _first_row(mask: pd.Series) -> int:
    """The data row (1-based, as the file counts them below its header) of the first True."""
    return int(mask.to_numpy().argmax()) + 1


def _feature(column: pd.Series, name: str, origin: str, missing_ok: bool, text: bool | None) -> pd.Series:
    """A numeric column as floats, a text column as categories. `text`: what the training data holds."""
    if text is None:
        # Text that is all non-numbers is a category; numbers with some words in them are a mistake.
        text = not is_numeric_dtype(column) and not pd.to_numeric(column, errors="coerce").notna().any()
    if text:
        return _categories(column, name, origin, missing_ok)
    return _numbers(column, name, origin, missing_ok)


def _numbers(column: pd.Series, name: str, origin: str, missing_ok: bool) -> pd.Series:
    numbers = column.astype(float) if is_numeric_dtype(column) else pd.to_numeric(column, errors="coerce")
    bad = numbers.isna() & column.notna()
    if bad.any():
        row = _first_row(bad)
        value = str(column.iloc[row - 1])
        if printable(value) != value:
            raise _undecodable(origin, name, row)
        raise MoonmlError(f"{origin}: column {name} has a non-numeric value {value!r} (data row {row})")
    values = numbers.to_numpy(dtype=float)
    refused = np.isinf(values) if missing_ok else ~np.isfinite(values)
    if refused.any():
        row = int(np.argmax(refused)) + 1
        raise MoonmlError(
            f"{origin}: column {name} has {'an' if missing_ok else 'a missing or'} infinite value (data row "
            f"{row}){_MISSING_HINT if not missing_ok and np.isnan(values[row - 1]) else ''}"
        )
    in_range = np.abs(np.nan_to_num(values)) <= FLOAT32_MAX
    if not in_range.all():
        row = int(np.argmin(in_range))
        raise MoonmlError(
            f"{origin}: column {name} has a value too large for the estimator ({values[row]:g}, data row "
            f"{row + 1}); values must lie within ±{FLOAT32_MAX:.3g}"
        )
    return pd.Series(values, index=column.index, name=name)


def _categories(column: pd.Series, name: str, origin: str, missing_ok: bool) -> pd.Series:
    present = column.notna()
    if not missing_ok and not present.all():
        raise MoonmlError(
            f"{origin}: column {name} has a missing value (data row {_first_row(~present)}){_MISSING_HINT}"
        )
    values = column.astype(object).where(~present, column.astype(str))
    _refuse_undecodable(values[present], name, origin)
    return values


def _refuse_undecodable(values: pd.Series, name: str, origin: str) -> None:
    undecodable = values.map(lambda value: printable(value) != value)
    if undecodable.any():
        raise _undecodable(origin, name, int(undecodable.index[undecodable.to_numpy().argmax()]) + 1)


def _undecodable(origin: str, name: str, row: int) -> MoonmlError:
    return MoonmlError(
        f"{origin}: column {name} has bytes that are not UTF-8 text (data row {row}); save the file as UTF-8"
    )


def _labels(column: pd.Series, name: str, origin: str) -> pd.Series:
    present = column.notna()
    if not present.all():
        raise MoonmlError(
            f"{origin}: column {name} (data.label) has no label in data row {_first_row(~present)}; "
            "every row needs its class"
        )
    if not is_numeric_dtype(column):  # booleans count as numbers
        column = column.astype(object).map(str)
        _refuse_undecodable(column, name, origin)
    classes = column.unique()
    if len(classes) < 2:
        raise MoonmlError(
            f"{origin}: only class {classes[0]} is present in column {name}; "
            "a classifier needs two classes or more"
        )
    return column
