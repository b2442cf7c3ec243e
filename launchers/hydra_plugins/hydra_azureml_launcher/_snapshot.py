"""The project snapshot a job ships as its source_directory: chosen, filtered, checked, copied.

What ships is decided positively: in a git work tree, the files git tracks or would track (not
ignored), minus `.amlignore`; elsewhere, the files of a folder that looks like a project root,
minus `.amlignore` (else `.gitignore`, as AzureML itself does). Local state, credentials (see
_secrets.py) and symlinks leading out of the folder never ship; a symlink pointing inside ships
as its target's content. `include` ships a left-out file on purpose. Every file or folder left
out is reported with its reason. The limits are checked before anything is uploaded, naming
what takes the space.
"""

import bz2
import glob
import lzma
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from . import _secrets
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
        "outputs",
        "multirun",
        ".venv",
        "venv",
    }
)
# Entries at the root of a home folder, never of a project: the folder is refused outright.
HOME_MARKERS = (".ssh", ".gnupg", ".bash_history", ".zsh_history", ".kube", ".config/gcloud")
# Outside git, one of these (or the app itself) at the root says the folder is a project.
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg")
# Files that are code; any other file above max_data_mb (uncompressed) is data.
CODE_SUFFIXES = frozenset(
    {".py", ".pyi", ".pyx", ".pxd", ".yaml", ".yml", ".toml", ".cfg", ".ini", ".md", ".rst", ".sh"}
)
IGNORE_FILES = (".amlignore", ".gitignore")
GIT_DEADLINE_S = 30.0
# A git run by a hook or an IDE may carry these; they would make git list another tree.
GIT_LOCATION_VARS = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")
MB = 1024 * 1024


@dataclass(frozen=True)
class Snapshot:
    root: Path
    files: tuple[tuple[str, int], ...]  # (posix path relative to root, size in bytes), sorted
    ignore_file: Optional[str]  # the ignore file that was honoured, if any
    # (posix path, reason) of what was left out, sorted; a pruned folder once, as "name/".
    left_out: tuple[tuple[str, str], ...] = ()

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


def _refuse_home(root: Path) -> None:
    found = [marker for marker in HOME_MARKERS if os.path.lexists(root / marker)]
    is_home = root == Path.home().resolve()
    if not (is_home or found):
        return
    what = ["is your home folder"] if is_home else []
    if found:
        what.append(f"holds {', '.join(found)} at its root, as a home folder does")
    raise LauncherError(
        f"the source folder {root} {' and '.join(what)}: it is never shipped. Run from the "
        "project root, or set hydra.launcher.source_dir to the project's folder"
    )


def _app_at_root(root: Path, entry: Sequence[str]) -> bool:
    """Whether the module (`python -m pkg`) or script the app starts from sits in root."""
    if len(entry) >= 3 and entry[1] == "-m":
        top = entry[2].split(".")[0]
        return (root / top).is_dir() or (root / f"{top}.py").is_file()
    return any(arg.endswith(".py") and (root / arg).is_file() for arg in entry[1:])


def _require_project_root(root: Path, entry: Sequence[str]) -> None:
    if any((root / marker).is_file() for marker in PROJECT_MARKERS) or _app_at_root(root, entry):
        return
    raise LauncherError(
        f"the source folder {root} is not in a git work tree and does not look like a project "
        f"root (no {', '.join(PROJECT_MARKERS)}, and the app `{' '.join(entry)}` is not at its "
        "root): run from the project root, or set hydra.launcher.source_dir to it"
    )


def _git_files(root: Path) -> Optional[list[str]]:
    """Files git tracks or would track under root (posix, relative); None outside a work tree."""
    env = {k: v for k, v in os.environ.items() if k not in GIT_LOCATION_VARS}
    try:
        done = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=root,
            env=env,
            capture_output=True,
            timeout=GIT_DEADLINE_S,
            check=False,
        )
    except FileNotFoundError:  # no git installed: nothing can say this is a work tree
        return None
    except subprocess.TimeoutExpired:
        raise LauncherError(
            f"`git ls-files` did not answer within {GIT_DEADLINE_S:g} s in {root}; the snapshot "
            "is chosen from what git tracks: check the repository (or its file system)"
        ) from None
    if done.returncode != 0:
        message = os.fsdecode(done.stderr).strip()
        if "not a git repository" in message:
            return None
        raise LauncherError(
            f"`git ls-files` failed in {root}: {message.splitlines()[0] if message else done.returncode}; "
            "the snapshot is chosen from what git tracks: fix that first"
        )
    # Unmerged files are listed once per stage: keep each path once, in git's order.
    return list(dict.fromkeys(os.fsdecode(p) for p in done.stdout.split(b"\0") if p))


def _structural_reason(root: Path, path: Path) -> Optional[str]:
    """Why path cannot ship even on purpose: it leads out of root, nowhere, or to a folder."""
    target = Path(os.path.realpath(path))  # symlink loops end up here too, not in an error
    if not target.is_relative_to(root):
        return f"{'symlink to ' if path.is_symlink() else ''}outside the source folder ({target})"
    if path.is_symlink() and not target.exists():
        return "broken symlink"
    if path.is_symlink() and target.is_dir():
        return "symlink to a folder (not followed)"
    if path.is_dir():  # git lists submodules and nested repositories as one entry
        return "a git submodule or nested repository (ship its files with include)"
    if not path.is_file():
        return "not a regular file"
    return None


class _Chooser:
    """Decides folder by folder and file by file, recording why anything is left out."""

    def __init__(self, root: Path, skip: set[Path], ignore_file: Optional[str]) -> None:
        self.root = root
        self.skip = skip
        self.ignore_file = ignore_file
        self.matcher = (
            _gitignore_matcher((root / ignore_file).read_text(encoding="utf-8").splitlines())
            if ignore_file
            else (lambda rel, is_dir: False)
        )
        self.left_out: dict[str, str] = {}
        self._folders: dict[str, bool] = {}

    def folder_ships(self, rel: str) -> bool:
        """Whether files under the folder rel may ship (its parents too); decisions cached."""
        if rel not in self._folders:
            parent, _, name = rel.rpartition("/")
            if parent and not self.folder_ships(parent):
                self._folders[rel] = False
            else:
                reason = self._folder_reason(rel, name)
                if reason:
                    self.left_out[rel + "/"] = reason
                self._folders[rel] = reason is None
        return self._folders[rel]

    def _folder_reason(self, rel: str, name: str) -> Optional[str]:
        path = self.root / rel
        if path in self.skip:
            return "the sweep's output folder"
        if name in EXCLUDED_DIRS or name.endswith(".egg-info"):
            return "local state, cache or build folder"
        if (path / "pyvenv.cfg").is_file():  # any virtual environment, whatever its name
            return "virtual environment"
        if self.matcher(rel, True):
            return f"matched by {self.ignore_file}"
        return _secrets.folder_reason(name)

    def file_reason(self, rel: str) -> Optional[str]:
        path = self.root / rel
        reason = _structural_reason(self.root, path)
        if reason:
            return reason
        if self.matcher(rel, False):
            return f"matched by {self.ignore_file}"
        if rel.endswith(".pyc"):
            return "compiled Python"
        # A symlink inside the folder ships as its target's content: judge both names.
        target = Path(os.path.realpath(path)).relative_to(self.root).as_posix()
        return _secrets.name_reason(rel) or _secrets.name_reason(target)

    def walk(self) -> list[str]:
        """Outside git: every file under root that is not in a pruned folder."""
        candidates = []
        for folder, dirnames, filenames in os.walk(self.root):
            rel_here = Path(folder).relative_to(self.root).as_posix()
            prefix = "" if rel_here == "." else rel_here + "/"
            # A symlinked folder is one entry, as git lists it: judged (and left out) as a file.
            links = [d for d in dirnames if os.path.islink(os.path.join(folder, d))]
            dirnames[:] = sorted(d for d in dirnames if d not in links and self.folder_ships(prefix + d))
            candidates += [prefix + name for name in [*filenames, *links]]
        return candidates

    def choose(self, candidates: Iterable[str]) -> dict[str, int]:
        files = {}
        for rel in candidates:
            parent = rel.rpartition("/")[0]
            if parent and not self.folder_ships(parent):
                continue
            reason = self.file_reason(rel)
            if reason:
                self.left_out[rel] = reason
            else:
                files[rel] = (self.root / rel).stat().st_size
        return files


def _included(root: Path, patterns: Sequence[str]) -> list[str]:
    """Files that hydra.launcher.include names (paths or globs; a folder: the files under it)."""
    found = []
    for pattern in patterns:
        matches = glob.glob(pattern, root_dir=root, recursive=True)
        if not matches:
            raise LauncherError(
                f"hydra.launcher.include: {pattern!r} matches nothing in {root} (paths and globs "
                "are relative to the source folder)"
            )
        for match in matches:
            path = root / match
            if not path.is_dir() or path.is_symlink():
                found.append(Path(os.path.relpath(path, root)).as_posix())
                continue
            for folder, dirnames, filenames in os.walk(path):
                dirnames[:] = [d for d in dirnames if d not in EXCLUDED_DIRS]
                found += [Path(folder, name).relative_to(root).as_posix() for name in filenames]
    return found


def build(
    source_dir: Path,
    entry: Sequence[str],
    also_exclude: Iterable[Path] = (),
    include: Sequence[str] = (),
) -> Snapshot:
    """Every file of source_dir that ships, with its size, and what was left out and why.

    entry is the app's command (["python", "-m", "pkg"]): outside git, the app at the root is
    one sign of a project root.
    """
    root = source_dir.resolve()
    if not root.is_dir():
        raise LauncherError(f"hydra.launcher.source_dir={source_dir}: not a directory")
    _refuse_home(root)
    listed = _git_files(root)
    # In git, .gitignore has already been applied by git; AzureML's own file comes on top.
    names = IGNORE_FILES[:1] if listed is not None else IGNORE_FILES
    ignore_file = next((n for n in names if (root / n).is_file()), None)
    chooser = _Chooser(root, {p.resolve() for p in also_exclude}, ignore_file)
    if listed is None:
        _require_project_root(root, entry)
        listed = chooser.walk()
    files = chooser.choose(listed)
    for rel in _included(root, include):
        reason = _structural_reason(root, root / rel)
        if reason:  # not even on purpose
            chooser.left_out[rel] = reason
            continue
        chooser.left_out.pop(rel, None)
        files[rel] = (root / rel).stat().st_size
    return Snapshot(
        root=root,
        files=tuple(sorted(files.items())),
        ignore_file=ignore_file,
        left_out=tuple(sorted(chooser.left_out.items())),
    )


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
    limit = max_data_mb * MB
    big = []
    for path, size in snapshot.files:
        if Path(path).suffix.lower() not in CODE_SUFFIXES:
            content = _content_bytes(snapshot.root / path, size, cap=int(limit) + 1)
            if content > limit:
                big.append((path, size, content))
    if big:
        listed = ", ".join(
            f"{p} ({c / MB:.1f} MB" + (f" uncompressed, {s / MB:.1f} MB on disk)" if c != s else ")")
            for p, s, c in big[:5]
        )
        raise LauncherError(
            f"data files larger than hydra.launcher.max_data_mb={max_data_mb:g} would ship with "
            f"the code: {listed}. Register the data as an AzureML dataset and have the job read "
            "it from there, then add the files to .amlignore (or raise hydra.launcher.max_data_mb)"
        )
    # Last: reading every file whole is the slowest check.
    _secrets.refuse(snapshot.root, _secrets.scan(snapshot.root, (path for path, _ in snapshot.files)))


def _content_bytes(path: Path, size: int, cap: int) -> int:
    """Size of path's content once decompressed, read cheaply; streamed formats stop at cap."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".gz", ".tgz"):
            # The gzip trailer's ISIZE: the (last member's) size modulo 4 GiB.
            with open(path, "rb") as handle:
                handle.seek(-4, os.SEEK_END)
                return max(size, int.from_bytes(handle.read(4), "little"))
        if suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                return max(size, sum(info.file_size for info in archive.infolist()))
        opener = {".bz2": bz2.open, ".xz": lzma.open, ".lzma": lzma.open}.get(suffix)
        if opener is None:
            return size
        total = 0
        with opener(path, "rb") as stream:
            while total < cap and (chunk := stream.read(MB)):
                total += len(chunk)
        return max(size, total)
    except (OSError, EOFError, zipfile.BadZipFile, lzma.LZMAError):
        return size  # not what its name says: judged by its size on disk


def materialise(snapshot: Snapshot, dest: Path) -> Path:
    """Copy exactly the snapshot's files into dest (which must not exist or be empty)."""
    dest.mkdir(parents=True, exist_ok=True)
    for path, _ in snapshot.files:
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(snapshot.root / path, target)
    return dest
