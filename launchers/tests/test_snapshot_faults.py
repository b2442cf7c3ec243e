"""Issue 19: hard links, includes that lead out, unreadable files, the v2 dry run's lists, and a
refusal for too many files that names its cause."""

import os
import shutil
from pathlib import Path

import pytest
from azureml_launcher.errors import LauncherError
from azureml_launcher.snapshot import contents as _snapshot
from launcher_helpers import dry_run, git, left_out, plant, shipped
from test_secret_scan import APP, ENTRY, PEM, refusal

# As root, the kernel checks no file permission; without these two capabilities it checks them as
# for any other user (the files are root's, with the owner's bits cleared).
AS_A_USER = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"] if os.geteuid() == 0 else []
needs_setpriv = pytest.mark.skipif(
    bool(AS_A_USER) and shutil.which("setpriv") is None, reason="setpriv is needed to drop root's rights"
)


@pytest.mark.e2e
def test_a_hard_link_ships_scanned_and_listed_as_one(tinyapp: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    plant(outside, {"notes.txt": "shared notes\n"})
    os.link(outside / "notes.txt", tinyapp / "notes.txt")
    sweep = tmp_path / "sweep"
    done = dry_run(tinyapp, sweep)
    assert done.returncode == 0, done.stderr
    assert "notes.txt" in shipped(sweep)
    listed = (sweep / "0/azureml/snapshot_files.tsv").read_text().splitlines()
    assert [line for line in listed if line.count("\t") == 2] == ["13\tnotes.txt\thard link (2 names)"]
    assert "[azureml dry run] hard links (their other names may be outside the project):" in done.stdout
    assert "\n  notes.txt  hard link (2 names)" in done.stdout


def test_a_hard_link_to_a_secret_outside_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    plant(outside, {"deploy.txt": PEM})
    project = tmp_path / "project"
    plant(project, APP)
    os.link(outside / "deploy.txt", project / "deploy.txt")
    assert "deploy.txt:1 (Private Key)" in refusal(project)


@pytest.mark.parametrize("pattern", ["../outside", "../outside/*.json", "pkg/../../outside", "ABSOLUTE"])
def test_include_names_paths_inside_the_source_folder_only(tmp_path: Path, pattern: str) -> None:
    project = tmp_path / "project"
    plant(project, APP)
    plant(tmp_path / "outside", {"config.json": "{}", "inc/a.py": "x = 1\n"})
    pattern = str(tmp_path / "outside") if pattern == "ABSOLUTE" else pattern
    with pytest.raises(LauncherError) as err:
        _snapshot.build(project, ENTRY, include=[pattern])
    assert str(err.value) == (
        f"hydra.launcher.include: {pattern!r} leads out of the source folder {project}: include "
        "names paths and globs relative to it, inside it"
    )


def test_an_included_file_is_still_scanned(tmp_path: Path) -> None:
    plant(tmp_path, {**APP, "secrets.yaml": "service:\n  password: Zq8Qx7bN2vKp4LmR9sT1\n"})
    assert "secrets.yaml" not in _snapshot.build(tmp_path, ENTRY).paths  # left out by its name
    snapshot = _snapshot.build(tmp_path, ENTRY, include=["secrets.yaml"])
    assert "secrets.yaml" in snapshot.paths
    with pytest.raises(LauncherError, match=r"secrets\.yaml:2 \(Secret Keyword\)"):
        _snapshot.check(snapshot, max_mb=300, max_files=2000, max_data_mb=10)


def test_an_included_folder_does_not_bring_back_credentials(tmp_path: Path) -> None:
    plant(tmp_path, {**APP, "conf/a.yaml": "x: 1\n", "conf/nested/config.json": "{}", "conf/.env": "A=1\n"})
    (tmp_path / ".amlignore").write_text("conf/\n")
    snapshot = _snapshot.build(tmp_path, ENTRY, include=["conf"])
    assert {"conf/a.yaml"} <= snapshot.paths
    assert not {"conf/nested/config.json", "conf/.env"} & snapshot.paths
    assert dict(snapshot.left_out)["conf/nested/config.json"] == "workspace configuration (config.json)"


@pytest.mark.e2e
@needs_setpriv
@pytest.mark.parametrize("what", ["file", "folder", "folder-in-git"])
def test_an_unreadable_file_or_folder_stops_in_one_line(tinyapp: Path, tmp_path: Path, what: str) -> None:
    plant(tinyapp, {"notes/a.txt": "a\n", "notes/b.txt": "b\n"})
    if what == "folder-in-git":
        git(tinyapp, "init", "-q")
        git(tinyapp, "add", "tinyapp", "conf")  # notes/ is untracked: git must read the folder
    unreadable = tinyapp / ("notes/b.txt" if what == "file" else "notes")
    unreadable.chmod(0)
    sweep = tmp_path / "sweep"
    try:
        done = dry_run(tinyapp, sweep, wrapper=AS_A_USER)
    finally:
        unreadable.chmod(0o755)
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr
    [line] = [text for text in done.stderr.splitlines() if "cannot be read" in text]
    name = "notes/b.txt" if what == "file" else "notes/"
    assert line == (
        f"{name} in {tinyapp} cannot be read (Permission denied): make it readable, or leave it out "
        "with .amlignore"
    )
    assert not (sweep / "azureml_snapshot").exists()


@pytest.mark.e2e
def test_the_v2_dry_run_lists_what_was_left_out_as_v1_does(tinyapp: Path, tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    done = dry_run(tinyapp, sweep, "hydra.launcher.sdk=v2")
    assert done.returncode == 0, done.stderr
    assert left_out(sweep) == {
        ".env": "environment file (.env*, *.env, .envrc)",
        "notes.tmp": "matched by .amlignore",
        "tinyapp/config.json": "workspace configuration (config.json)",
    }
    listing = sweep / "0/azureml/snapshot_left_out.tsv"
    assert f"[azureml dry run] left out of the snapshot (3, all in {listing}):" in done.stdout
    assert "\n  tinyapp/config.json  workspace configuration (config.json)" in done.stdout


def test_too_many_files_names_the_folder_that_holds_them(tmp_path: Path) -> None:
    """Big folders of few files come first by size; the refusal is about the count."""
    plant(tmp_path, APP)
    for name in ("models", "data", "docs", "assets", "media", "fonts"):
        plant(tmp_path, {f"{name}/big.bin": "x" * 200_000})
    plant(tmp_path, {f"web/static/icons/{i}.svg": "<svg/>" for i in range(40)})
    plant(tmp_path, {"web/index.html": "<html/>"})
    snapshot = _snapshot.build(tmp_path, ENTRY)
    with pytest.raises(LauncherError) as err:
        _snapshot.check(snapshot, max_mb=300, max_files=30, max_data_mb=10)
    message = str(err.value)
    assert f"has {len(snapshot.files)} files, more than hydra.launcher.max_snapshot_files=30. " in message
    assert "Most files: web/static/icons/ (40 files, 0.0 MB)" in message


def test_a_copy_that_fails_leaves_nothing_half_written(tmp_path: Path) -> None:
    project = tmp_path / "project"
    plant(project, {**APP, "pkg/z_last.py": "x = 1\n"})
    snapshot = _snapshot.build(project, ENTRY)
    (project / "pkg/z_last.py").unlink()  # gone between the choice and the copy
    with pytest.raises(LauncherError, match=r"could not be copied to .*dest \(No such file or directory: "):
        _snapshot.materialise(snapshot, tmp_path / "out" / "dest")
    assert list((tmp_path / "out").iterdir()) == []
