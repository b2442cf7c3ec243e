"""Read a train/test pair of CSV files and refuse anything a classifier should not train on."""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from moonml.data import FEATURES, LABEL, Split
from moonml.errors import MoonmlError
from moonml.paths import missing_file_problem


def read_split(train_path: str, test_path: str) -> Split:
    train, test = read_checked(train_path), read_checked(test_path)
    fingerprint = {
        "data.train_sha256": file_sha256(train_path),
        "data.test_sha256": file_sha256(test_path),
    }
    return Split(train=train, test=test, fingerprint=fingerprint)


def read_checked(path: str) -> pd.DataFrame:
    """Read one CSV; on any problem raise a MoonmlError that names the file and the problem."""
    problem = missing_file_problem(path)
    if problem:
        raise MoonmlError(problem)
    file = Path(path)
    try:
        frame = pd.read_csv(file)
    except pd.errors.EmptyDataError:
        raise MoonmlError(f"{path}: the file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise MoonmlError(f"{path}: not a readable CSV file ({err})") from None
    return check_frame(frame, path)


def check_frame(frame: pd.DataFrame, origin: str) -> pd.DataFrame:
    """Return the x1, x2, y columns as numbers; extra columns are dropped."""
    missing = [name for name in [*FEATURES, LABEL] if name not in frame.columns]
    if missing:
        raise MoonmlError(
            f"{origin}: missing column(s) {', '.join(missing)} "
            f"(expected x1, x2, y; found {', '.join(map(str, frame.columns))})"
        )
    frame = frame[[*FEATURES, LABEL]]
    if frame.empty:
        raise MoonmlError(f"{origin}: the file has a header but no rows")
    for name in frame.columns:
        numbers = pd.to_numeric(frame[name], errors="coerce")
        bad = numbers.isna() & frame[name].notna()
        if bad.any():
            row = int(bad.idxmax())
            raise MoonmlError(
                f"{origin}: column {name} has a non-numeric value {frame[name][row]!r} (data row {row + 1})"
            )
        finite = np.isfinite(numbers.to_numpy(dtype=float))
        if not finite.all():
            row = int(np.argmin(finite))
            raise MoonmlError(f"{origin}: column {name} has a missing or infinite value (data row {row + 1})")
    labels = set(frame[LABEL].unique().tolist())
    if not labels <= {0, 1}:
        others = sorted(labels - {0, 1})
        raise MoonmlError(f"{origin}: labels in column y must be 0 or 1, found {others[:5]}")
    if len(labels) < 2:
        raise MoonmlError(f"{origin}: only class {labels.pop()} is present; both 0 and 1 are needed")
    return frame.astype({"x1": float, "x2": float, LABEL: int})


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
