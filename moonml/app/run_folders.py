"""Each run, and each sweep, in a new folder of its own."""

from pathlib import Path

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


def own_folder(config: DictConfig, kind: str) -> None:
    """Give the run (`kind` "run") or sweep ("sweep") a new folder of its own.

    Hydra names them by the second they start (outputs/DATE/TIME, multirun/DATE/TIME) and reuses
    one that exists: runs started in the same second wrote into one folder, and each logged the
    files of the last. A folder the user names (hydra.run.dir / hydra.sweep.dir) is left as is.
    """
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
