"""Output folders: a user's files are never overwritten silently, a run's folder is its own."""

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, open_dict, read_write

from moonml.errors import MoonmlError


def new_folder(wanted: Path) -> Path:
    """Create `wanted`, or `wanted_2`, `wanted_3`... if taken: a folder no one else has (mkdir is atomic)."""
    folder, number = wanted, 1
    try:
        wanted.parent.mkdir(parents=True, exist_ok=True)
        while True:
            try:
                folder.mkdir()
                return folder
            except FileExistsError:
                number += 1
                folder = wanted.with_name(f"{wanted.name}_{number}")
    except OSError as err:
        raise MoonmlError(f"cannot create the output folder {err.filename} ({err.strerror})") from None


class OwnOutputFolder(Callback):
    """Give each run, and each sweep, a new folder of its own.

    Hydra names them by the second they start (outputs/DATE/TIME, multirun/DATE/TIME) and reuses
    one that exists: runs started in the same second wrote into one folder, and each logged the
    files of the last. A folder the user names (hydra.run.dir / hydra.sweep.dir) is left as is.
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        _own_folder(config, "run")

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        _own_folder(config, "sweep")


def _own_folder(config: DictConfig, kind: str) -> None:
    key = f"hydra.{kind}.dir"
    if any(override.lstrip("+~").split("=", 1)[0] == key for override in config.hydra.overrides.hydra):
        return
    from azureml_launcher.api import hydra_value

    folder = str(new_folder(Path(str(config.hydra[kind].dir))))
    with read_write(config.hydra), open_dict(config.hydra):
        config.hydra[kind].dir = folder
        # Each job of a sweep composes its config again from these overrides (in worker
        # processes too): the sweep's folder must be one of them.
        config.hydra.overrides.hydra.append(f"{key}={hydra_value(folder)}")


def nearest_existing(folder: Path) -> Path:
    """The folder itself or its closest ancestor that exists (`.` always does)."""
    return next(path for path in (folder, *folder.parents) if path.exists())


def check_output_folder(output: str, force: bool, names: Sequence[str] | None = None) -> None:
    """Refuse, before anything is written, an --output that is not a folder or holds files at risk.

    `names` are the files the command writes; None means they are not known in advance, so any
    existing entry of the folder is at risk. With `force`, existing files may be overwritten.
    """
    folder = Path(output).absolute()
    found = nearest_existing(folder)
    if not found.is_dir():
        raise MoonmlError(f"--output {output}: {found} is a file, not a folder; choose a folder")
    if force or found != folder:
        return
    at_risk = (
        sorted(os.listdir(folder)) if names is None else [name for name in names if (folder / name).exists()]
    )
    if at_risk:
        shown = ", ".join(str(Path(output) / name) for name in at_risk[:3]) + (
            ", ..." if len(at_risk) > 3 else ""
        )
        verb = "exists" if len(at_risk) == 1 else "exist"
        raise MoonmlError(
            f"--output {output}: {shown} already {verb}; choose another folder, or add --force to overwrite"
        )


def fill_folder(output: str, fetch: Callable[[str], str]) -> Path:
    """Let `fetch(staging_folder)` download there, then move what it wrote into `output`.

    The staging folder sits inside the output if it exists, else beside it (same file system, so
    moves are renames), and is removed whatever happens: a failed or interrupted download leaves
    the output as it was. Returns the path under `output` matching the path `fetch` returned.
    """
    folder = Path(output).absolute()
    home = nearest_existing(folder)
    try:
        staging_root = Path(tempfile.mkdtemp(prefix=".moonml-download-", dir=home))
    except OSError as err:
        raise MoonmlError(f"--output {output}: cannot write in {home} ({err.strerror})") from None
    try:
        staging = staging_root / "files"  # made with the umask's mode, unlike mkdtemp's 0700
        staging.mkdir()
        fetched = Path(fetch(str(staging))).resolve().relative_to(staging.resolve())
        _move_into(folder, staging)
        return folder / fetched
    except OSError as err:
        if err.filename is None:
            raise  # not a file-system error (e.g. a network one): the caller reports it
        raise MoonmlError(f"--output {output}: cannot write {err.filename} ({err.strerror})") from None
    finally:
        shutil.rmtree(staging_root, ignore_errors=True)


def _move_into(folder: Path, staging: Path) -> None:
    if not folder.exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(folder)
        return
    files = [path.relative_to(staging) for path in staging.rglob("*") if not path.is_dir()]
    for name in files:
        _check_room(folder, name)
    for name in files:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / name, folder / name)


def _check_room(folder: Path, name: Path) -> None:
    """A downloaded file may replace a file, never a folder, and needs folders on its way."""
    target = folder / name
    blocked = target if target.is_dir() else next((p for p in target.parents if p.is_file()), None)
    if blocked is not None:
        kind = "folder" if blocked.is_dir() else "file"
        raise MoonmlError(
            f"--output {folder}: the {kind} {blocked} is in the way of {name}; "
            "remove it or choose another folder"
        )
