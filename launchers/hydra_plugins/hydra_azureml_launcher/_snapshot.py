"""The project snapshot a job ships as its source_directory: built, filtered, checked, copied.

Secrets and local state never ship, whatever the ignore file says; `.amlignore` (else
`.gitignore`, as AzureML itself does) removes more. The limits are checked before anything is
uploaded, naming what takes the space.
"""

import fnmatch
import os
import re
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ._errors import LauncherError

# Directory names never shipped, at any depth: VCS, caches, local tracking stores, run outputs.
EXCLUDED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".pytest_cache",
        ".ruff_cache",
        ".mypy_cache",
        ".tox",
        ".nox",
        ".ipynb_checkpoints",
        "node_modules",
        "mlruns",
        "mlartifacts",
        "outputs",
        "multirun",
        ".venv",
        "venv",
    }
)
# File name patterns never shipped: workspace ids, secrets, keys and certificates, local stores.
EXCLUDED_FILES = (
    "config.json",
    ".env",
    ".env.*",
    "*.pem",
    "*.key",
    "*.pfx",
    "*.p12",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".netrc",
    ".pypirc",
    "mlflow.db",
    "mlflow.db-*",
    "*.pyc",
)
# Files read as data; above max_data_mb they belong in a registered dataset, not the snapshot.
DATA_SUFFIXES = frozenset({".csv", ".tsv", ".parquet", ".feather", ".arrow", ".npy", ".npz", ".h5", ".hdf5"})
IGNORE_FILES = (".amlignore", ".gitignore")
MB = 1024 * 1024


@dataclass(frozen=True)
class Snapshot:
    root: Path
    files: tuple[tuple[str, int], ...]  # (posix path relative to root, size in bytes), sorted
    ignore_file: Optional[str]  # the ignore file that was honoured, if any

    @property
    def total_bytes(self) -> int:
        return sum(size for _, size in self.files)

    @property
    def paths(self) -> set[str]:
        return {path for path, _ in self.files}


def _gitignore_matcher(lines: Sequence[str]) -> Callable[[str, bool], bool]:
    """match(relative_posix_path, is_dir) for gitignore lines; pathspec when installed."""
    try:
        import pathspec
    except ImportError:  # pathspec comes with azureml-core, not with the base install
        return _fallback_matcher(lines)
    spec = pathspec.PathSpec.from_lines("gitwildmatch", lines)
    return lambda rel, is_dir: spec.match_file(rel + "/" if is_dir else rel)


def _fallback_matcher(lines: Sequence[str]) -> Callable[[str, bool], bool]:
    """A small gitignore subset: comments, negation, dir-only `/`, anchored patterns, `**`."""
    rules: list[tuple[bool, bool, re.Pattern[str]]] = []
    for raw in lines:
        line = raw.rstrip("\n").rstrip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        line = line[1:] if negate else line
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        anchored = "/" in line
        line = line.lstrip("/")
        prefix = "" if anchored else r"(?:.*/)?"
        rules.append((negate, dir_only, re.compile(prefix + _glob_to_regex(line))))

    def match(rel: str, is_dir: bool) -> bool:
        ignored = False
        for negate, dir_only, pattern in rules:
            if dir_only and not is_dir:
                continue
            if pattern.fullmatch(rel):
                ignored = not negate
        return ignored

    return match


def _glob_to_regex(pattern: str) -> str:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            body = pattern[i + 1 : end]
            out += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
            i = end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return out


def _always_excluded_file(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in EXCLUDED_FILES)


def _always_excluded_dir(path: Path) -> bool:
    # Any virtual environment, whatever its name, has a pyvenv.cfg.
    return path.name in EXCLUDED_DIRS or path.name.endswith(".egg-info") or (path / "pyvenv.cfg").is_file()


def build(source_dir: Path, also_exclude: Iterable[Path] = ()) -> Snapshot:
    """Every file of source_dir that ships, with its size."""
    root = source_dir.resolve()
    if not root.is_dir():
        raise LauncherError(f"hydra.launcher.source_dir={source_dir}: not a directory")
    skip = {p.resolve() for p in also_exclude}
    ignore_file = next((n for n in IGNORE_FILES if (root / n).is_file()), None)
    matcher = (
        _gitignore_matcher((root / ignore_file).read_text(encoding="utf-8").splitlines())
        if ignore_file
        else (lambda rel, is_dir: False)
    )
    files: list[tuple[str, int]] = []
    for folder, dirnames, filenames in os.walk(root):
        here = Path(folder)
        rel_here = here.relative_to(root).as_posix()
        prefix = "" if rel_here == "." else rel_here + "/"
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not _always_excluded_dir(here / d)
            and (here / d).resolve() not in skip
            and not (here / d).is_symlink()
            and not matcher(prefix + d, True)
        )
        for name in filenames:
            path = here / name
            if _always_excluded_file(name) or matcher(prefix + name, False):
                continue
            if not path.is_file():  # broken symlinks, sockets
                continue
            files.append((prefix + name, path.stat().st_size))
    return Snapshot(root=root, files=tuple(sorted(files)), ignore_file=ignore_file)


def _largest(snapshot: Snapshot, count: int = 5) -> str:
    """The biggest top-level entries (folders summed), the first place to look for savings."""
    totals: dict[str, list[int]] = {}
    for path, size in snapshot.files:
        top = path.split("/", 1)[0] + ("/" if "/" in path else "")
        entry = totals.setdefault(top, [0, 0])
        entry[0] += size
        entry[1] += 1
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1][0], -kv[1][1]))[:count]
    return ", ".join(
        f"{name} ({size / MB:.1f} MB, {n} file{'s' if n != 1 else ''})" for name, (size, n) in ranked
    )


def check(snapshot: Snapshot, max_mb: float, max_files: int, max_data_mb: float) -> None:
    """Refuse, before any upload, a snapshot AzureML would refuse or that carries big data."""
    hint = f"add them to {snapshot.ignore_file or '.amlignore'} (gitignore syntax)"
    if len(snapshot.files) > max_files:
        raise LauncherError(
            f"the project snapshot of {snapshot.root} has {len(snapshot.files)} files, more than "
            f"hydra.launcher.max_snapshot_files={max_files}. Largest entries: "
            f"{_largest(snapshot)}; {hint}"
        )
    if snapshot.total_bytes > max_mb * MB:
        raise LauncherError(
            f"the project snapshot of {snapshot.root} is {snapshot.total_bytes / MB:.1f} MB, more "
            f"than hydra.launcher.max_snapshot_mb={max_mb:g}. Largest entries: "
            f"{_largest(snapshot)}; {hint}"
        )
    big = [
        (path, size)
        for path, size in snapshot.files
        if Path(path).suffix.lower() in DATA_SUFFIXES and size > max_data_mb * MB
    ]
    if big:
        listed = ", ".join(f"{p} ({s / MB:.1f} MB)" for p, s in big[:5])
        raise LauncherError(
            f"data files larger than hydra.launcher.max_data_mb={max_data_mb:g} would ship with "
            f"the code: {listed}. Register the data as an AzureML dataset and read it from there "
            "(in moonml: data=azureml), then add the files to .amlignore"
        )


def materialise(snapshot: Snapshot, dest: Path) -> Path:
    """Copy exactly the snapshot's files into dest (which must not exist or be empty)."""
    dest.mkdir(parents=True, exist_ok=True)
    for path, _ in snapshot.files:
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(snapshot.root / path, target)
    return dest
