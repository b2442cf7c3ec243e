"""An installed app's wheel, rebuilt from its installed files, and the pins of what it requires."""

import base64
import hashlib
import zipfile
from importlib.metadata import distribution
from pathlib import Path

import pytest
from azureml_launcher.environment import spec_from_settings
from azureml_launcher.errors import LauncherError
from azureml_launcher.snapshot.wheels import installed_app, rebuild_wheel, requirement_names


def test_a_rebuilt_wheel_holds_the_installed_files_and_a_true_record(tmp_path: Path) -> None:
    dist = distribution("omegaconf")
    wheel = rebuild_wheel(dist, tmp_path)
    assert wheel.name == f"omegaconf-{dist.version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        [record] = [n for n in names if n.endswith(".dist-info/RECORD")]
        rows = [line.split(",") for line in archive.read(record).decode().splitlines()]
        for name, digest, size in rows:
            if name == record:
                continue
            data = archive.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert (digest, int(size)) == (f"sha256={expected}", len(data)), name
        assert {row[0] for row in rows} == names
    assert "omegaconf/__init__.py" in names
    # Installer records and byte code are the installation's, not the distribution's.
    assert not any(n.endswith((".pyc", "/INSTALLER", "/direct_url.json")) for n in names)
    assert rebuild_wheel(dist, tmp_path / "again").read_bytes() == wheel.read_bytes()


def test_an_app_in_the_folder_or_from_an_index_ships_no_wheel(tmp_path: Path) -> None:
    (tmp_path / "omegaconf").mkdir()
    assert installed_app(["python", "-m", "omegaconf"], tmp_path) is None
    assert installed_app(["python", "-m", "omegaconf"], tmp_path / "elsewhere") is None  # from the index
    assert installed_app(["python", "-m", "not_installed_anywhere"], tmp_path) is None
    assert installed_app(["python", "app.py"], tmp_path) is None


def test_pins_complete_a_requirements_file_and_replace_a_missing_one(tmp_path: Path) -> None:
    settings = {"type": "pip", "python_version": "3.11", "requirements": "requirements.txt"}
    pins = ("omegaconf==2.3.0", "PyYAML==6.0.2")
    alone = spec_from_settings(settings, tmp_path, "app", {}, pins)
    assert alone.definition["requirements"] == list(pins)
    (tmp_path / "requirements.txt").write_text("# pinned by hand\npyyaml==6.0.1\nrich\n")
    mixed = spec_from_settings(settings, tmp_path, "app", {}, pins)
    assert mixed.definition["requirements"] == ["pyyaml==6.0.1", "rich", "omegaconf==2.3.0"]
    (tmp_path / "requirements.txt").unlink()
    with pytest.raises(LauncherError, match=r"requirements file .* not found"):
        spec_from_settings(settings, tmp_path, "app", {})


def test_requirement_names_skip_options_and_urls() -> None:
    assert requirement_names(["Py_YAML>=6", "-r other.txt", "--no-binary :all:"]) == {"py-yaml"}
