"""Registered datasets a job receives as named inputs; the same for every SDK layer.

`hydra.launcher.inputs` maps an input name to {dataset: NAME, version: N or null (latest),
mode: mount|download, registered_with: v1|v2}. On the node the variable named like the input
holds the local path (SDK v1; v2 uses AZURE_ML_INPUT_<name>). `registered_with` says which SDK
registered the dataset (a v1 file dataset or a v2 uri_folder data asset): a v2 job consumes
each the way Microsoft documents it.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional

from azureml_launcher.errors import LauncherError
from azureml_launcher.sdk import SDKS

MODES = ("mount", "download")
# The input name becomes an environment variable on the node.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class InputSpec:
    name: str
    dataset: str
    version: Optional[int]  # None: the latest version when the run starts
    mode: str
    registered_with: str = "v1"  # the SDK that registered it: v1 (a v1 dataset) or v2 (a data asset)


def parse_version(version: Any, what: str) -> Optional[int]:
    """A registered asset's version: a positive whole number; None or "latest" mean the newest."""
    if version is None or str(version).lower() == "latest":
        return None
    text = str(version)
    if not text.isdigit() or int(text) < 1:
        raise LauncherError(f"{what}={version!r} is not a positive whole number or 'latest'")
    return int(text)


def specs_from_settings(settings: Optional[Mapping[str, Any]]) -> list[InputSpec]:
    specs = []
    for name, entry in (settings or {}).items():
        where = f"hydra.launcher.inputs.{name}"
        if not _NAME.fullmatch(str(name)):
            raise LauncherError(f"{where}: an input name must be a valid environment variable name")
        if not isinstance(entry, Mapping) or not entry.get("dataset"):
            raise LauncherError(f"{where} needs dataset: NAME (a registered file dataset)")
        mode = str(entry.get("mode") or "mount").lower()
        if mode not in MODES:
            raise LauncherError(f"{where}.mode={mode!r}: choose one of {', '.join(MODES)}")
        registered_with = str(entry.get("registered_with") or "v1").lower()
        if registered_with not in SDKS:
            raise LauncherError(
                f"{where}.registered_with={registered_with!r}: the SDK that registered the dataset, "
                f"one of {', '.join(SDKS)}"
            )
        version = parse_version(entry.get("version"), f"{where}.version")
        specs.append(InputSpec(str(name), str(entry["dataset"]), version, mode, registered_with))
    return specs
