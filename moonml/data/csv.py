"""Read a train/test pair of CSV files and refuse anything a classifier should not train on."""

import hashlib
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from moonml.data.files import missing_file_problem
from moonml.data.split import FEATURES, LABEL, Split
from moonml.errors import MoonmlError

# scikit-learn's trees compute in float32: a larger value turns into inf inside the estimator.
FLOAT32_MAX = float(np.finfo(np.float32).max)


def read_split(train_path: str, test_path: str) -> Split:
    train, test = read_checked(train_path), read_checked(test_path)
    fingerprint = {
        "data.train_sha256": file_sha256(train_path),
        "data.test_sha256": file_sha256(test_path),
    }
    return Split(train=train, test=test, fingerprint=fingerprint, train_origin=train_path)


def read_checked(path: str) -> pd.DataFrame:
    """Read one CSV; on any problem raise a MoonmlError that names the file and the problem."""
    problem = missing_file_problem(path)
    if problem:
        raise MoonmlError(problem)
    file = Path(path)
    if file.is_dir():
        raise MoonmlError(f"{path}: is a folder, not a CSV file (check data.train_path / data.test_path)")
    if not file.is_file():
        raise MoonmlError(f"{path}: not a regular file (check data.train_path / data.test_path)")
    # Undecodable bytes are kept as surrogates, so that they reject only the columns moonml uses.
    options = {"encoding_errors": "surrogateescape"}
    try:
        header = pd.read_csv(file, header=None, nrows=1, dtype=str, keep_default_na=False, **options)
        _check_header([str(name) for name in header.iloc[0]], path)
        frame = pd.read_csv(file, usecols=[*FEATURES, LABEL], **options)
    except pd.errors.EmptyDataError:
        raise MoonmlError(f"{path}: the file is empty") from None
    except pd.errors.ParserError as err:
        raise MoonmlError(f"{path}: not a readable CSV file ({err})") from None
    except OSError as err:
        raise MoonmlError(f"{path}: cannot read the file ({err.strerror or err})") from None
    return check_frame(frame, path)


def _check_header(names: list[str], origin: str) -> None:
    """pandas renames a repeated column (x1, x1.1): a repeat of a used column would go unseen."""
    repeated = sorted(
        name for name, count in Counter(names).items() if count > 1 and name in (*FEATURES, LABEL)
    )
    if repeated:
        raise MoonmlError(
            f"{origin}: duplicate column {', '.join(repeated)} in the header; keep one column of each name"
        )
    missing = [name for name in [*FEATURES, LABEL] if name not in names]
    if missing:
        raise MoonmlError(
            f"{origin}: missing column(s) {', '.join(missing)} "
            f"(expected x1, x2, y; found {', '.join(map(printable, names))})"
        )


def printable(text: object) -> str:
    """Undecodable bytes read as surrogates would break printing and logging: show them escaped."""
    return str(text).encode("utf-8", "backslashreplace").decode("utf-8")


def check_frame(frame: pd.DataFrame, origin: str) -> pd.DataFrame:
    """Return the x1, x2, y columns as numbers; extra columns are dropped."""
    _check_header(list(map(str, frame.columns)), origin)
    frame = frame[[*FEATURES, LABEL]]
    if frame.empty:
        raise MoonmlError(f"{origin}: the file has a header but no rows")
    for name in frame.columns:
        _check_column(frame[name], name, origin)
    labels = set(frame[LABEL].unique().tolist())
    if not labels <= {0, 1}:
        others = sorted(labels - {0, 1})
        raise MoonmlError(f"{origin}: labels in column y must be 0 or 1, found {others[:5]}")
    if len(labels) < 2:
        raise MoonmlError(f"{origin}: only class {labels.pop()} is present; both 0 and 1 are needed")
    return frame.astype({"x1": float, "x2": float, LABEL: int})


def _check_column(column: pd.Series, name: str, origin: str) -> None:
    numbers = pd.to_numeric(column, errors="coerce")
    bad = numbers.isna() & column.notna()
    if bad.any():
        row = int(bad.idxmax())
        value = str(column[row])
        if printable(value) != value:
            raise MoonmlError(
                f"{origin}: column {name} has bytes that are not UTF-8 text (data row {row + 1}); "
                "save the file as UTF-8"
            )
        raise MoonmlError(f"{origin}: column {name} has a non-numeric value {value!r} (data row {row + 1})")
    values = numbers.to_numpy(dtype=float)
    finite = np.isfinite(values)
    if not finite.all():
        row = int(np.argmin(finite))
        raise MoonmlError(f"{origin}: column {name} has a missing or infinite value (data row {row + 1})")
    in_range = np.abs(values) <= FLOAT32_MAX
    if not in_range.all():
        row = int(np.argmin(in_range))
        raise MoonmlError(
            f"{origin}: column {name} has a value too large for the estimator ({values[row]:g}, data row "
            f"{row + 1}); values must lie within ±{FLOAT32_MAX:.3g}"
        )


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
