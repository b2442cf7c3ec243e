"""An app installed from a file, not from an index: its wheels ship with the job.

A project folder that only uses an installed app (`python -m pkg`, pkg not in the folder) ships
without the app's code. When the app's distribution, or one it requires, was installed from a
wheel file or a folder (pip records a `direct_url.json` for those), no index can give the job's
environment that same version: the launcher rebuilds each such wheel from the installed files
(their RECORD), ships it in the snapshot, and the job installs it before it starts the app. The
job's environment gets the shipped distributions' own requirements, pinned at the versions
installed here.
"""

import base64
import hashlib
import json
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import Distribution, PackageNotFoundError, distribution, packages_distributions
from pathlib import Path
from typing import Optional

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from azureml_launcher.errors import LauncherError

# Where the wheels sit in the snapshot (the job's working directory).
WHEEL_DIR = ".shipped_wheels"
# Written by the installer, not part of the built wheel.
_INSTALL_RECORDS = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})
# A fixed time stamp: the same installed files give the same wheel bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class InstalledApp:
    """The distributions to ship as wheels, and the pins the job's environment needs for them."""

    distributions: tuple[Distribution, ...]
    pins: tuple[str, ...]  # name==version of what they require, not shipped themselves

    @property
    def names(self) -> list[str]:
        return [f"{d.metadata['Name']} {d.version}" for d in self.distributions]


def _local_install(dist: Distribution) -> Optional[str]:
    """The file or folder dist was installed from (None: from an index); editable refused."""
    text = dist.read_text("direct_url.json")
    if not text:
        return None
    record = json.loads(text)
    if record.get("dir_info", {}).get("editable"):
        raise LauncherError(
            f"{dist.metadata['Name']} is installed editable from {record['url']}: run from that "
            "project's folder (its source then ships), or install it from a wheel"
        )
    return str(record["url"])


def _requirements(dist: Distribution) -> list[Requirement]:
    """dist's requirements that hold on this machine, extras aside."""
    marker_env = {**default_environment(), "extra": ""}
    found = []
    for line in dist.requires or []:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(marker_env):
            found.append(requirement)
    return found


def installed_app(entry: Sequence[str], source_dir: Path) -> Optional[InstalledApp]:
    """What ships with a `python -m pkg` app that is installed rather than in source_dir.

    None when the app is in the folder, is no installed distribution's, or came from an index
    (its environment installs it like any other requirement).
    """
    if len(entry) < 3 or entry[1] != "-m":
        return None
    top = entry[2].split(".")[0]
    if (source_dir / top).is_dir() or (source_dir / f"{top}.py").is_file():
        return None
    names = packages_distributions().get(top)
    if not names:
        return None
    app = distribution(names[0])
    if _local_install(app) is None:
        return None
    # The app's requirements, and theirs while they too come from a file (the launcher's own,
    # e.g.): shipped as wheels; the others are pinned for the job's environment.
    shipped, pins, queue = {canonicalize_name(app.metadata["Name"]): app}, {}, [app]
    while queue:
        for requirement in _requirements(queue.pop()):
            key = canonicalize_name(requirement.name)
            if key in shipped or key in pins:
                continue
            try:
                required = distribution(requirement.name)
            except PackageNotFoundError:
                continue  # pip reports it missing; nothing here to pin
            if _local_install(required) is None:
                pins[key] = f"{requirement.name}=={required.version}"
            else:
                shipped[key] = required
                queue.append(required)
    return InstalledApp(tuple(shipped.values()), tuple(pins[k] for k in sorted(pins)))


def _wheel_tag(dist: Distribution) -> str:
    lines = (dist.read_text("WHEEL") or "").splitlines()
    tags = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Tag:")]
    if not tags:
        raise LauncherError(f"{dist.metadata['Name']}: no tag in its WHEEL file; reinstall it from a wheel")
    # Several tags (py2.py3-none-any) are written compressed, as wheel file names are.
    parts = [sorted({tag.split("-")[i] for tag in tags}) for i in range(3)]
    return "-".join(".".join(p) for p in parts)


def rebuild_wheel(dist: Distribution, folder: Path) -> Path:
    """A wheel of the installed distribution, made of the files its RECORD lists."""
    files = dist.files
    if not files:
        raise LauncherError(f"{dist.metadata['Name']}: no RECORD of its installed files; reinstall it")
    name = re.sub(r"[-_.]+", "_", dist.metadata["Name"]).lower()
    path = folder / f"{name}-{dist.version}-{_wheel_tag(dist)}.whl"
    folder.mkdir(parents=True, exist_ok=True)
    rows, dist_info = [], None
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(files, key=lambda f: f.as_posix()):
            posix = file.as_posix()
            # Scripts (../../bin) are made again from entry_points.txt; byte code at install.
            if posix.startswith("..") or "__pycache__" in file.parts or posix.endswith(".pyc"):
                continue
            if file.parts[0].endswith(".dist-info"):
                dist_info = file.parts[0]
                if file.name in _INSTALL_RECORDS:
                    continue
            data = file.read_binary()
            archive.writestr(zipfile.ZipInfo(posix, _ZIP_TIME), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            rows.append(f"{posix},sha256={digest},{len(data)}")
        assert dist_info is not None, "an installed distribution has a .dist-info folder"
        rows.append(f"{dist_info}/RECORD,,")
        archive.writestr(zipfile.ZipInfo(f"{dist_info}/RECORD", _ZIP_TIME), "\n".join(rows) + "\n")
    return path


def install_argv(wheels: Iterable[Path]) -> list[str]:
    """The job's first command: the shipped wheels, from the snapshot alone (their requirements
    are in the job's environment)."""
    return [
        "python",
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--no-index",
        *(f"{WHEEL_DIR}/{wheel.name}" for wheel in wheels),
    ]


def requirement_names(lines: Iterable[str]) -> set[str]:
    """The canonical names that requirement lines name (options and URLs aside)."""
    names = set()
    for line in lines:
        try:
            names.add(canonicalize_name(Requirement(line).name))
        except InvalidRequirement:
            continue
    return names
