"""backend=local warns about project folders on sys.path only for modules a job cannot import."""

import logging
import sys
from pathlib import Path

import pytest
from azureml_launcher.local import warn_about_checkout_paths
from azureml_launcher.snapshot import contents as _snapshot


def project(root: Path, files: list[str], shipped: list[str]) -> _snapshot.Snapshot:
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("")
    return _snapshot.Snapshot(root=root, files=tuple((name, 0) for name in sorted(shipped)), ignore_file=None)


@pytest.fixture
def on_path(monkeypatch: pytest.MonkeyPatch):
    def put(*folders: Path) -> None:
        monkeypatch.setattr(sys, "path", [*map(str, folders), *sys.path])

    return put


def test_the_readme_install_is_not_warned_about(tmp_path: Path, on_path, caplog) -> None:
    """Editable install: root and launchers/ on sys.path; the job ships launchers/ on PYTHONPATH."""
    files = ["app/__init__.py", "launchers/hydra_plugins/launcher/__init__.py", "launchers/README.md"]
    snapshot = project(tmp_path, files, files)
    on_path(tmp_path, tmp_path / "launchers")
    with caplog.at_level(logging.WARNING):
        assert warn_about_checkout_paths(snapshot, "launchers") == []
    assert caplog.records == []


def test_a_package_only_the_checkout_provides_is_named(tmp_path: Path, on_path, caplog) -> None:
    """src/ layout: the job's path has the snapshot root only, so src/app cannot be imported."""
    files = ["src/app/__init__.py", "src/helper.py", "src/notes/readme.txt"]
    snapshot = project(tmp_path, files, files)
    on_path(tmp_path / "src")
    with caplog.at_level(logging.WARNING):
        missing = warn_about_checkout_paths(snapshot, "")
    assert missing == [f"app (from {tmp_path / 'src'})", f"helper (from {tmp_path / 'src'})"]
    assert "app (from" in caplog.text


def test_a_module_left_out_of_the_snapshot_is_named(tmp_path: Path, on_path) -> None:
    files = ["lib/shipped.py", "lib/local_only.py"]
    snapshot = project(tmp_path, files, ["lib/shipped.py"])
    on_path(tmp_path / "lib")
    assert warn_about_checkout_paths(snapshot, "lib") == [f"local_only (from {tmp_path / 'lib'})"]


def test_a_virtual_environment_inside_the_checkout_is_not_the_checkout(
    tmp_path: Path, on_path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    """The README's set-up makes .venv in the checkout: its packages are the job environment's
    business (its requirements), not modules the project forgot to ship."""
    site = ".venv/lib/python3.11/site-packages"
    files = ["app/__init__.py", f"{site}/numpy/__init__.py", f"{site}/six.py", "lib/local_only.py"]
    snapshot = project(tmp_path, files, ["app/__init__.py"])
    monkeypatch.setattr(sys, "prefix", str(tmp_path / ".venv"))
    on_path(tmp_path, tmp_path / site, tmp_path / "lib")
    with caplog.at_level(logging.WARNING):
        missing = warn_about_checkout_paths(snapshot, "")
    assert missing == [f"local_only (from {tmp_path / 'lib'})"]
