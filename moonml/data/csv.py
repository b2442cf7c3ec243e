"""Read a table file (CSV, or Parquet by its extension) into a checked frame, and a train/test split
from two files or one (moonml.data.values checks what the columns hold)."""

import hashlib
from pathlib import Path

import pandas as pd
from pandas.api.types import is_numeric_dtype

from moonml.data.files import missing_file_problem
from moonml.data.pair import check_pair, refuse_other_columns
from moonml.data.split import EVERY_COLUMN, Columns, Split
from moonml.data.values import check_frame, used_columns
from moonml.errors import MoonmlError

PARQUET_SUFFIXES = (".parquet", ".pq")


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


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
