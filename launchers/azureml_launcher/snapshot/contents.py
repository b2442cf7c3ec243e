"""The project snapshot a job ships as its source_directory: chosen, filtered, checked, copied.

What ships is decided positively: in a git work tree, the files git tracks or would track (not
ignored), minus `.amlignore`; elsewhere, the files of a folder that looks like a project root,
minus `.amlignore` (else `.gitignore`, as AzureML itself does). Local state, credentials by
name (see secret_names.py) and symlinks leading out of the folder never ship; a symlink pointing
inside ships as its target's content, a hard link as its content (listed as one). `include`
ships a left-out file on purpose, from inside the folder only. Every file or folder left out is
reported with its reason; one that would ship but cannot be read stops the launch. The limits,
then the secret scan of every shipped file (secret_scan.py), are checked before anything is
copied or uploaded, naming what takes the space or what looks like a secret.
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
from typing import NoReturn, Optional

from azureml_launcher.errors import LauncherError
from azureml_launcher.snapshot import secret_names as _secrets
from azureml_launcher.snapshot import secret_scan as _secret_scan

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
# A refusal for size or count names the folder inside an entry that holds this share of it.
NARROW_SHARE = 0.8
# What git says (and goes on) when it cannot list a folder of the work tree.
GIT_UNREADABLE = re.compile(r"could not open directory '(.+?)/?':")


@dataclass(frozen=True)
class Snapshot:
    root: Path
    files: tuple[tuple[str, int], ...]  # (posix path relative to root, size in bytes), sorted
    ignore_file: Optional[str]  # the ignore file that was honoured, if any
    # (posix path, reason) of what was left out, sorted; a pruned folder once, as "name/".
    left_out: tuple[tuple[str, str], ...] = ()
    # (posix path, number of names) of shipped files with other names, which may lie outside.
    hard_links: tuple[tuple[str, int], ...] = ()
    # (posix path in the snapshot, file) the launcher adds from elsewhere: an installed app's wheels.
    added: tuple[tuple[str, Path], ...] = ()

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


def _require_project_root(root: Path, entry: Sequence[str], app_installed: bool) -> None:
    """A folder of a project: one with a project file, the app at its root, or one that uses an
    installed app (its data and own configs; the app's wheels ship beside them)."""
    markers = any((root / marker).is_file() for marker in PROJECT_MARKERS)
    if markers or app_installed or _app_at_root(root, entry):
        return
    raise LauncherError(
        f"the source folder {root} is not in a git work tree and does not look like a project "
        f"root (no {', '.join(PROJECT_MARKERS)}, and the app `{' '.join(entry)}` is not at its "
        "root): run from the project root, or set hydra.launcher.source_dir to it"
    )


def _git_files(root: Path) -> Optional[tuple[list[str], list[str]]]:
    """Files git tracks or would track under root (posix, relative), and the folders it could not
    read (their untracked files unseen); None outside a work tree."""
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
    files = list(dict.fromkeys(os.fsdecode(p) for p in done.stdout.split(b"\0") if p))
    return files, GIT_UNREADABLE.findall(os.fsdecode(done.stderr))


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
        self.hard_links: dict[str, int] = {}
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
        if self.matcher(rel, True):
            return f"matched by {self.ignore_file}"
        reason = _secrets.folder_reason(name)
        if reason:
            return reason
        try:  # a folder that would ship is read whole, or not at all
            with os.scandir(path):
                pass
        except OSError as err:
            self.unreadable(rel + "/", err)
        if (path / "pyvenv.cfg").is_file():  # any virtual environment, whatever its name
            return "virtual environment"
        return None

    def unreadable(self, rel: str, err: OSError) -> NoReturn:
        raise LauncherError(
            f"{rel} in {self.root} cannot be read ({err.strerror}): make it readable, or leave it "
            f"out with {self.ignore_file or IGNORE_FILES[0]}"
        )

    def ship(self, files: dict[str, int], rel: str) -> None:
        """Add rel to what ships, once it was read: the scan and the copy read it whole."""
        path = self.root / rel
        try:
            with open(path, "rb"):
                info = path.stat()
        except OSError as err:
            self.unreadable(rel, err)
        files[rel] = info.st_size
        if info.st_nlink > 1:
            self.hard_links[rel] = info.st_nlink

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

        def stop(err: OSError) -> NoReturn:
            self.unreadable(Path(err.filename).relative_to(self.root).as_posix() + "/", err)

        for folder, dirnames, filenames in os.walk(self.root, onerror=stop):
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
                self.ship(files, rel)
        return files


def _included(root: Path, patterns: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """What hydra.launcher.include names (paths or globs inside root), and what it leaves out.

    A file named (or matched) ships on purpose; a named folder brings back its files, but not
    those whose name or folder says they are credentials.
    """
    found, left_out = [], {}
    for pattern in patterns:
        inside = os.path.normpath(pattern)
        if os.path.isabs(pattern) or inside == os.pardir or inside.startswith(os.pardir + os.sep):
            raise LauncherError(
                f"hydra.launcher.include: {pattern!r} leads out of the source folder {root}: include "
                "names paths and globs relative to it, inside it"
            )
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
                dirnames[:] = [
                    d for d in dirnames if d not in EXCLUDED_DIRS and not _secrets.folder_reason(d)
                ]
                for name in filenames:
                    rel = Path(folder, name).relative_to(root).as_posix()
                    reason = _secrets.name_reason(rel)
                    if reason:
                        left_out[rel] = reason
                    else:
                        found.append(rel)
    return found, left_out


def build(
    source_dir: Path,
    entry: Sequence[str],
    also_exclude: Iterable[Path] = (),
    include: Sequence[str] = (),
    app_installed: bool = False,
) -> Snapshot:
    """Every file of source_dir that ships, with its size, and what was left out and why.

    entry is the app's command (["python", "-m", "pkg"]): outside git, the app at the root (or
    installed, app_installed) is one sign of a project root.
    """
    root = source_dir.resolve()
    if not root.is_dir():
        raise LauncherError(f"hydra.launcher.source_dir={source_dir}: not a directory")
    _refuse_home(root)
    in_git = _git_files(root)
    # In git, .gitignore has already been applied by git; AzureML's own file comes on top.
    names = IGNORE_FILES[:1] if in_git is not None else IGNORE_FILES
    ignore_file = next((n for n in names if (root / n).is_file()), None)
    chooser = _Chooser(root, {p.resolve() for p in also_exclude}, ignore_file)
    if in_git is None:
        _require_project_root(root, entry, app_installed)
        listed = chooser.walk()
    else:
        listed, unread = in_git
        for folder in unread:  # refused if it would ship: its untracked files are unknown
            chooser.folder_ships(folder)
    files = chooser.choose(listed)
    on_purpose, left_out = _included(root, include)
    for rel in on_purpose:
        reason = _structural_reason(root, root / rel)
        if reason:  # not even on purpose
            chooser.left_out[rel] = reason
            continue
        chooser.left_out.pop(rel, None)
        chooser.ship(files, rel)
    for rel, reason in left_out.items():
        if rel not in files:
            chooser.left_out[rel] = reason
    return Snapshot(
        root=root,
        files=tuple(sorted(files.items())),
        ignore_file=ignore_file,
        left_out=tuple(sorted(chooser.left_out.items())),
        hard_links=tuple(sorted(chooser.hard_links.items())),
    )


def _biggest(snapshot: Snapshot, by_files: bool, count: int = 5) -> str:
    """The entries that make a snapshot too big (by size) or too many (by files): each top-level
    entry, narrowed down to the folder (or file) inside it that holds most of it."""
    totals: dict[str, list[int]] = {}  # "a/", "a/b/", "a/b/c.py": [bytes, files]
    children: dict[str, set[str]] = {}
    for path, size in snapshot.files:
        parts = path.split("/")
        parent = ""
        for depth in range(1, len(parts) + 1):
            name = "/".join(parts[:depth]) + ("/" if depth < len(parts) else "")
            entry = totals.setdefault(name, [0, 0])
            entry[0] += size
            entry[1] += 1
            children.setdefault(parent, set()).add(name)
            parent = name
    key = 1 if by_files else 0

    def narrow(name: str) -> str:
        while name in children:
            best = max(children[name], key=lambda c: (totals[c][key], c))
            if totals[best][key] < NARROW_SHARE * totals[name][key]:
                break
            name = best
        return name

    ranked = sorted(
        {narrow(top) for top in children[""]}, key=lambda n: (-totals[n][key], -totals[n][1 - key], n)
    )
    described = []
    for name in ranked[:count]:
        size, n = totals[name]
        files = f"{n} file{'s' if n != 1 else ''}"
        described.append(
            f"{name} ({files}, {size / MB:.1f} MB)" if by_files else f"{name} ({size / MB:.1f} MB, {files})"
        )
    return ", ".join(described)


def check(snapshot: Snapshot, max_mb: float, max_files: int, max_data_mb: float) -> None:
    """Refuse, before any upload, a snapshot AzureML would refuse or that carries big data."""
    hint = f"add them to {snapshot.ignore_file or '.amlignore'} (gitignore syntax)"
    if len(snapshot.files) > max_files:
        raise LauncherError(
            f"the project snapshot of {snapshot.root} has {len(snapshot.files)} files, more than "
            f"hydra.launcher.max_snapshot_files={max_files}. Most files: "
            f"{_biggest(snapshot, by_files=True)}; {hint}"
        )
    if snapshot.total_bytes > max_mb * MB:
        raise LauncherError(
            f"the project snapshot of {snapshot.root} is {snapshot.total_bytes / MB:.1f} MB, more "
            f"than hydra.launcher.max_snapshot_mb={max_mb:g}. Largest entries: "
            f"{_biggest(snapshot, by_files=False)}; {hint}"
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
    _secret_scan.refuse(snapshot.root, _secret_scan.scan(snapshot.root, (path for path, _ in snapshot.files)))


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
    """Copy exactly the snapshot's files into dest, replacing an earlier copy (a sweep's batches).

    The copy is made beside dest and renamed into place: dest holds all of it or nothing.
    """
    partial = dest.with_name(f".{dest.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        partial.mkdir(parents=True)
        sources = [(path, snapshot.root / path) for path, _ in snapshot.files]
        for path, source in [*sources, *snapshot.added]:
            target = partial / path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    except OSError as err:
        shutil.rmtree(partial, ignore_errors=True)
        raise LauncherError(
            f"the snapshot of {snapshot.root} could not be copied to {dest} ({err.strerror}: "
            f"{err.filename}); nothing was copied"
        ) from None
    shutil.rmtree(dest, ignore_errors=True)
    partial.rename(dest)
    return dest
