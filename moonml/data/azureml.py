"""Datasets on AzureML: register a table (a CSV or Parquet file, or a folder of them), and get it
back as a local folder.

Inside an AzureML job the dataset arrives already mounted or downloaded, and AzureML says where
in an environment variable, so no SDK call (and no azure import) is needed there:
- SDK v2 command jobs: ``AZURE_ML_INPUT_<input name>``;
- SDK v1 runs (``dataset.as_named_input(name).as_mount()``): ``<input name>`` itself, listed as
  ``name:mount`` in ``AZUREML_DATASET_ENVIRONMENT_VARS`` (azureml-core reads the same variables
  for ``Run.input_datasets``).
The azureml launcher attaches the inputs listed in ``data.azureml_inputs``; the one whose
dataset is ``data.name`` is read (an input named like the dataset, when none is listed).
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moonml.azure import INSTALL_HINT, connect, parse_version, sdk_call
from moonml.data.csv import read_split, split_file
from moonml.data.split import Columns, Split
from moonml.errors import MoonmlError

TABLE_SUFFIXES = (".csv", ".parquet", ".pq")  # Parquet by its extension, as data=moons reads it
# The tutorial uploaded its moon_dataset to datasets/moons; any other dataset gets its own folder.
TUTORIAL_TARGETS = {"moon_dataset": "datasets/moons"}


@dataclass(frozen=True)
class RegisteredDataset:
    name: str
    version: int
    datastore_path: str  # <datastore name>/<folder>, where the files were uploaded


def require_dataprep() -> None:
    """AzureML file datasets need azureml-dataprep, which ships only for x86_64."""
    try:
        import azureml.dataprep  # noqa: F401
    except ImportError as err:
        raise MoonmlError(
            f"AzureML datasets need azureml-dataprep, which is not importable here ({err}). It "
            f"ships only for x86_64 machines (this one: {platform.machine() or 'unknown'}). "
            f"On x86_64 install it with {INSTALL_HINT}; on other machines (e.g. Apple silicon) "
            "run this on an x86_64 machine such as an AzureML compute instance"
        ) from None


def mounted_input(name: str, env: Mapping[str, str] | None = None) -> str | None:
    """The local path AzureML gave the job for input `name`, or None outside such a job."""
    env = os.environ if env is None else env
    if env.get(f"AZURE_ML_INPUT_{name}"):
        return env[f"AZURE_ML_INPUT_{name}"]
    declared = env.get("AZUREML_DATASET_ENVIRONMENT_VARS", "")
    for pair in filter(None, declared.split(",")):
        var, _, mode = pair.partition(":")
        # "direct" mode passes a dataset id, not a path: that needs a download.
        if var == name and mode.lower() in ("mount", "download") and env.get(var):
            return env[var]
    return None


def default_target(name: str) -> str:
    """Where `register` uploads dataset `name` unless told: a folder of its own per name."""
    return TUTORIAL_TARGETS.get(name, f"datasets/{name}")


def check_upload(path: str) -> Path:
    """The table file, or folder of tables, to upload; refused when a table in it is unreadable.

    Columns are not checked here: the data option that trains on it names its label and features.
    """
    where = Path(path)
    if where.is_file():
        if where.suffix.lower() not in TABLE_SUFFIXES:
            raise MoonmlError(f"--path {path}: not a CSV or Parquet file (.csv, .parquet or .pq)")
        tables = [where]
    elif where.is_dir():
        tables = sorted(p for p in where.rglob("*") if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES)
        if not tables:
            raise MoonmlError(
                f"--path {path}: no CSV or Parquet files to upload (two moons to try it with: "
                "`python -m moonml.data generate --output DIR`)"
            )
    else:
        raise MoonmlError(f"--path {path}: no such file or folder (a table file, or a folder of them)")
    for table in tables:
        check_table(table)
    return where


def check_table(path: Path) -> None:
    """Refuse a table file that pandas cannot read, or that has no rows."""
    import pandas as pd

    parquet = path.suffix.lower() != ".csv"
    kind = "Parquet" if parquet else "CSV"
    try:
        frame = pd.read_parquet(path) if parquet else pd.read_csv(path, encoding_errors="surrogateescape")
    except pd.errors.EmptyDataError:
        raise MoonmlError(f"{path}: the file is empty") from None
    except OSError as err:
        raise MoonmlError(f"{path}: cannot read the file ({err.strerror or err})") from None
    except (pd.errors.ParserError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
        raise MoonmlError(f"{path}: not a readable {kind} file ({err})") from None
    if frame.empty:
        raise MoonmlError(f"{path}: the file has a header but no rows")


@contextlib.contextmanager
def upload_folder(path: Path) -> Iterator[Path]:
    """The folder to upload: `path` itself, or a temporary folder holding file `path` alone.

    Datasets are folders (data=azureml reads one); a file's neighbours stay on this machine.
    """
    if path.is_dir():
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="moonml-upload-") as folder:
        shutil.copy2(path, Path(folder) / path.name)
        yield Path(folder)


def register_dataset(
    azureml_settings: Mapping[str, Any], name: str, path: str, target: str
) -> RegisteredDataset:
    """SDK v1: upload `path` (a table or a folder) to `target` on the default datastore; register it
    as file dataset `name`.

    A new version is added when `name` exists. Versions of one name that share a target share
    its files: a later upload overwrites them, so give each version its own --target to keep
    older versions' data.
    """
    upload = check_upload(path)
    target = target.strip("/")
    if not name or not target:
        raise MoonmlError("--name and --target must not be empty")
    require_dataprep()
    workspace = connect(azureml_settings)
    from azureml.core import Dataset

    datastore = sdk_call(
        workspace.get_default_datastore,
        azureml_settings,
        f"finding the default datastore of AzureML workspace {workspace.name!r}",
    )
    where = f"{datastore.name}/{target}"
    with upload_folder(upload) as folder:
        sdk_call(
            lambda: Dataset.File.upload_directory(
                src_dir=str(folder), target=(datastore, target), overwrite=True, show_progress=False
            ),
            azureml_settings,
            f"uploading {upload} to {where}",
        )
    # No validation call: the upload above has just written the files there.
    dataset = Dataset.File.from_files(path=[(datastore, target)], validate=False)
    registered = sdk_call(
        lambda: dataset.register(workspace, name=name, create_new_version=True),
        azureml_settings,
        f"registering dataset {name!r} ({where}) in AzureML workspace {workspace.name!r}",
    )
    return RegisteredDataset(name=name, version=int(registered.version), datastore_path=where)


def input_name(data_cfg: Mapping[str, Any]) -> str:
    """The name of the job input that carries dataset data.name."""
    inputs = data_cfg.get("azureml_inputs") or {}
    matching = [key for key, entry in inputs.items() if entry.get("dataset") == data_cfg["name"]]
    return str(matching[0]) if matching else str(data_cfg["name"])


def dataset_folder(data_cfg: Mapping[str, Any], azureml_settings: Mapping[str, Any]) -> Path:
    """A local folder holding the registered dataset's files (mounted in a job, else downloaded)."""
    name = data_cfg["name"]
    mounted = mounted_input(input_name(data_cfg))
    if mounted is not None:
        folder = Path(mounted)
        if not folder.is_dir():
            raise MoonmlError(
                f"AzureML input {name!r} points at {mounted}, which is not a folder; attach the "
                "dataset as a folder input (uri_folder / as_mount())"
            )
        return folder
    version = parse_version(data_cfg.get("version"), "data.version") or "latest"
    require_dataprep()
    workspace = connect(azureml_settings)
    from azureml.core import Dataset

    label = f"{name}:{version}"
    dataset = sdk_call(
        lambda: Dataset.get_by_name(workspace, name=name, version=version),
        azureml_settings,
        f"looking up dataset {label} in AzureML workspace {workspace.name!r}",
        not_found=(
            f"no dataset {label} is registered there; register it with "
            f"`python -m moonml.data register --name {name} --path data`"
        ),
    )
    # One folder per version: files left over from another version can never be mixed in.
    target = Path(data_cfg["download_dir"]) / f"{name}_v{dataset.version}"
    target.mkdir(parents=True, exist_ok=True)
    sdk_call(
        lambda: dataset.download(target_path=str(target), overwrite=True),
        azureml_settings,
        f"downloading dataset {label} to {target}",
    )
    return target


def find_file(folder: Path, file_name: str, key: str) -> Path:
    """folder/file_name, or the single file of that name below folder (datasets keep subfolders)."""
    direct = folder / file_name
    if direct.is_file():
        return direct
    matches = sorted(path for path in folder.rglob(file_name) if path.is_file())
    if len(matches) == 1:
        return matches[0]
    if not matches:
        found = sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())
        raise MoonmlError(
            f"the dataset in {folder} has no {file_name} (data.{key}); it holds: "
            f"{', '.join(found[:10]) or 'no files'}"
        )
    raise MoonmlError(
        f"the dataset in {folder} has several {file_name} files ({', '.join(map(str, matches))}); "
        f"set data.{key} to a path relative to the dataset folder"
    )


def load_azureml_split(
    data_cfg: Mapping[str, Any], azureml_settings: Mapping[str, Any], columns: Columns, seed: int
) -> Split:
    """data=azureml: fetch the registered dataset, then read and validate it as data=moons reads
    its files: train_file and test_file, or one `file` split by test_size (seeded by `seed`)."""
    folder = dataset_folder(data_cfg, azureml_settings)
    if data_cfg.get("file") is not None:
        table = find_file(folder, data_cfg["file"], "file")
        return split_file(str(table), columns, data_cfg["test_size"], seed)
    train = find_file(folder, data_cfg["train_file"], "train_file")
    test = find_file(folder, data_cfg["test_file"], "test_file")
    return read_split(str(train), str(test), columns)
