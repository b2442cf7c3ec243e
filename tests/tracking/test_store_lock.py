"""Which file a tracking URI's lock goes beside (the lock itself is exercised end to end in
tests/tracking/test_store_integrity.py: simultaneous first runs)."""

from pathlib import Path

import pytest

from moonml.tracking.store_lock import sqlite_path


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        ("sqlite:///mlflow.db", Path("mlflow.db")),
        ("sqlite:////tmp/a b/ü.db", Path("/tmp/a b/ü.db")),
        ("sqlite+pysqlite:///runs/store.db?timeout=20", Path("runs/store.db")),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("http://127.0.0.1:5000", None),
        ("azureml://eastus.api.azureml.ms/mlflow/v1.0/subscriptions/x", None),
    ],
)
def test_sqlite_path(uri: str, path: Path | None) -> None:
    assert sqlite_path(uri) == path
