"""What to say about a data file that is not there: where it was looked for, and why there."""

from pathlib import Path


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
