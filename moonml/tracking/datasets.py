"""The run's train and test tables as MLflow datasets, described here in a few rows.

The helper process logs them (mlflow_calls), but a table can hold a million rows: shipping it
there, or letting MLflow digest and profile it whole, costs seconds (mlflow.data.from_pandas
took 6-12 s on a million rows, 0.5 s on 50,000, mostly inferring the schema value by value).
What MLflow records of a table is small: a name, a digest, where it came from, its schema and
its size. The schema is inferred from a sample that holds a row with a missing value of each
column that has one (MLflow marks such a column not required); the digest names the data the
way the run's `data.*` tags do, which the champion's rule compares.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from moonml.data.split import Split

SCHEMA_ROWS = 1000
# MLflow's stores keep at most 36 characters of a dataset's digest.
DIGEST_CHARS = 32
_OTHER_FILE = {"training": "data.test_sha256", "testing": "data.train_sha256"}


@dataclass(frozen=True)
class Table:
    """What logging one table as an MLflow dataset input needs."""

    name: str
    context: str  # MLflow's mlflow.data.context input tag: training or testing
    source: str | None  # the file it was read from; None: made by code (MLflow records the code)
    digest: str
    rows: int
    label: str
    sample: pd.DataFrame


def split_tables(split: Split, data_name: str) -> list[Table]:
    train_file = _file(split.train_origin)
    # A test set split off one file has that file as its source.
    test_file = _file(split.test_origin) or train_file
    return [
        _table(split, split.train, f"{data_name}_train", "training", train_file),
        _table(split, split.test, f"{data_name}_test", "testing", test_file),
    ]


def _table(split: Split, frame: pd.DataFrame, name: str, context: str, source: str | None) -> Table:
    return Table(
        name=name,
        context=context,
        source=source,
        digest=_digest(split.fingerprint, context),
        rows=len(frame),
        label=split.label,
        sample=_schema_sample(frame),
    )


def _file(origin: str) -> str | None:
    return origin if Path(origin).is_file() else None


def _digest(fingerprint: dict[str, str], context: str) -> str:
    # A pair of files is fingerprinted file by file (moonml.data.csv): a table's digest leaves
    # the other file out, so that the same train file keeps its digest beside another test file.
    own = {key: value for key, value in fingerprint.items() if key != _OTHER_FILE[context]}
    identity = json.dumps([sorted(own.items()), context])
    return hashlib.sha256(identity.encode()).hexdigest()[:DIGEST_CHARS]


def _schema_sample(frame: pd.DataFrame) -> pd.DataFrame:
    missing = frame.isna()
    with_missing = [missing[column].idxmax() for column in frame.columns if missing[column].any()]
    head = frame.head(SCHEMA_ROWS)
    return pd.concat([head, frame.loc[[i for i in dict.fromkeys(with_missing) if i not in head.index]]])
