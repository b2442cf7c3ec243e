"""environment=pip: the job's Python is declared once, and every pin of requirements.txt installs
on it (by the Requires-Python of the pinned distributions), whatever Python submits the job."""

import re
from importlib.metadata import PackageNotFoundError, metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from tests.helpers import REPO


def declared_python() -> str:
    return str(yaml.safe_load((REPO / "conf" / "environment" / "pip.yaml").read_text())["python_version"])


def pins() -> list[Requirement]:
    lines = (REPO / "requirements.txt").read_text().splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]


def test_every_pin_installs_on_the_declared_python() -> None:
    python = Version(declared_python())
    checked = []
    for pin in pins():
        [spec] = pin.specifier
        try:
            dist = metadata(pin.name)
        except PackageNotFoundError:
            pytest.fail(f"{pin.name} is pinned but not installed here: its metadata cannot be read")
        assert dist["Version"] == spec.version, f"{pin.name}: installed {dist['Version']}, pinned {spec}"
        requires = SpecifierSet(dist.get("Requires-Python") or "")
        assert python in requires, f"{pin.name}=={spec.version} needs Python {requires}, not {python}"
        checked.append(pin.name)
    assert "scikit-learn" in checked and "numpy" in checked  # the ones needing 3.11+


def test_the_docker_image_uses_the_same_python() -> None:
    base = re.search(r"^FROM python:(\d+\.\d+)", (REPO / "Dockerfile").read_text(), re.MULTILINE)
    assert base is not None and base.group(1) == declared_python()


def test_pip_environment_without_a_python_version_is_refused(tmp_path: Path) -> None:
    from azureml_launcher.environment import spec_from_settings
    from azureml_launcher.errors import LauncherError

    (tmp_path / "requirements.txt").write_text("hydra-core==1.3.8\n")
    with pytest.raises(LauncherError, match="environment=pip needs python_version"):
        spec_from_settings({"type": "pip"}, tmp_path, "app", {})
