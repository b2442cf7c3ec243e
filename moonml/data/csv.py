"""Read a table file (CSV, or Parquet by its extension) and refuse anything a classifier should not
train on: one line naming the file, the column and the data row."""

import hashlib
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from moonml.data.files import missing_file_problem
from moonml.data.pair import check_pair, refuse_other_columns
from moonml.data.split import Columns, Split
from moonml.errors import MoonmlError

# scikit-learn's trees compute in float32: a larger value turns into inf inside the estimator.
FLOAT32_MAX = float(np.finfo(np.float32).max)
PARQUET_SUFFIXES = (".parquet", ".pq")
# Label y, every other column a feature: the tutorial's files, and a dataset folder checked before upload.
EVERY_COLUMN = Columns()


def read_split(train_path: str, test_path: str, columns: Columns = EVERY_COLUMN) -> Split:
    """A train file and a test file with the same columns."""
    train = read_checked(train_path, columns)
    test = read_checked(test_path, columns, like=(train, train_path))
    fingerprint = {
        "data.train_sha256": file_sha256(train_path),
        "data.test_sha256": file_sha256(test_path),
    }
    return _split(train, test, columns, fingerprint, train_path, test_path)


def split_file(path: str, columns: Columns, test_size: float, seed: int) -> Split:
    """One file, its rows split into train and test: stratified by the label, seeded."""
    from sklearn.model_selection import train_test_split

    frame = read_checked(path, columns)
    try:
        train, test = train_test_split(
            frame, test_size=test_size, random_state=seed, stratify=frame[columns.label]
        )
    except ValueError as err:  # e.g. a class of one row cannot be on both sides
        raise MoonmlError(
            f"{path}: cannot split off data.test_size={test_size} as a test set ({err})"
        ) from None
    fingerprint = {"data.sha256": file_sha256(path), "data.test_size": str(test_size), "data.seed": str(seed)}
    return _split(train, test, columns, fingerprint, path, f"{path} (test part, data.test_size={test_size})")


def _split(
    train: pd.DataFrame,
    test: pd.DataFrame,
    columns: Columns,
    fingerprint: dict,
    train_from: str,
    test_from: str,
) -> Split:
    check_pair(train, test, columns.label, train_from, test_from)
    features = [name for name in train.columns if name != columns.label]
    return Split(
        train=train,
        test=test[list(train.columns)],
        label=columns.label,
        features=features,
        fingerprint=fingerprint,
        train_origin=train_from,
        test_origin=test_from,
    )


def read_checked(
    path: str, columns: Columns = EVERY_COLUMN, like: tuple[pd.DataFrame, str] | None = None
) -> pd.DataFrame:
    """Read one table; on any problem raise a MoonmlError that names the file and the problem.

    `like`: the training frame and its file, which this file (the test set) must match.
    """
    problem = missing_file_problem(path)
    if problem:
        raise MoonmlError(problem)
    file = Path(path)
    if file.is_dir():
        raise MoonmlError(f"{path}: is a folder, not a data file (check data.train_path / data.test_path)")
    if not file.is_file():
        raise MoonmlError(f"{path}: not a regular file (check data.train_path / data.test_path)")
    parquet = file.suffix.lower() in PARQUET_SUFFIXES
    kind = "Parquet" if parquet else "CSV"
    try:
        used = used_columns(_header(file, parquet), path, columns)
        if like is not None:
            refuse_other_columns(used, like, path)
        frame = _read(file, parquet, used, like)
    except pd.errors.EmptyDataError:
        raise MoonmlError(f"{path}: the file is empty") from None
    except (pd.errors.ParserError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
        raise MoonmlError(f"{path}: not a readable {kind} file ({err})") from None
    except OSError as err:
        raise MoonmlError(f"{path}: cannot read the file ({err.strerror or err})") from None
    return check_frame(frame, path, columns, like)


def _header(file: Path, parquet: bool) -> list[str]:
    if parquet:
        import pyarrow.parquet

        return list(pyarrow.parquet.read_schema(file).names)
    # Undecodable bytes are kept as surrogates, so that they reject only the columns moonml uses.
    header = pd.read_csv(
        file, header=None, nrows=1, dtype=str, keep_default_na=False, encoding_errors="surrogateescape"
    )
    return [str(name) for name in header.iloc[0]]


def _read(file: Path, parquet: bool, used: list[str], like: tuple[pd.DataFrame, str] | None) -> pd.DataFrame:
    if parquet:
        return pd.read_parquet(file, columns=used)
    # Columns that hold text in the training data are text here too ("01" stays "01").
    text = {} if like is None else {name: str for name in used if not is_numeric_dtype(like[0][name])}
    return pd.read_csv(file, usecols=used, dtype=text, encoding_errors="surrogateescape")[used]


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
            raise MoonmlError(
                f"{origin}: column {name} has bytes that are not UTF-8 text (data row {row}); "
                "save the file as UTF-8"
            )
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


# The estimator decides whether a missing value can be learned from (moonml.search.pipeline).
_MISSING_HINT = "; fill it in, or pick a model that handles missing values (model=hist_gradient_boosting)"


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
        row = int(undecodable.index[undecodable.to_numpy().argmax()]) + 1
        raise MoonmlError(
            f"{origin}: column {name} has bytes that are not UTF-8 text (data row {row}); "
            "save the file as UTF-8"
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


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
