"""What to say about a data file that is not there: where it was looked for, and why there."""

from pathlib import Path
from typing import Any


def missing_file_problem(path: str) -> str | None:
    """None when `path` exists; else one line naming it and, if relative, where it resolved.

    Something that exists but is no file (a folder, a FIFO) is the reader's to describe.
    """
    file = Path(path)
    if file.exists():
        return None
    if file.is_absolute():
        return f"{path}: no such file (check data.train_path / data.test_path)"
    return (
        f"{path}: no such file; relative paths are read from the working directory {Path.cwd()}, "
        f"so it looked at {file.resolve()} (run from the project folder, or give "
        "data.train_path / data.test_path as absolute paths)"
    )


def data_files(data_cfg: Any) -> list[str]:
    """The files a table's `data` settings name: one file, or the train and test files."""
    paths = [data_cfg.path] if data_cfg.get("path") is not None else [data_cfg.train_path, data_cfg.test_path]
    return [path for path in paths if path is not None]
