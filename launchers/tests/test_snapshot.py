"""What ships in the snapshot, what never does, and the limits checked before any upload."""

import bz2
import gzip
import lzma
import zipfile
from pathlib import Path

import pytest
from azureml_launcher.errors import LauncherError
from azureml_launcher.snapshot import contents as _snapshot
from launcher_helpers import dry_run, git, left_out, needs_git, plant, shipped

ENTRY = ["python", "-m", "pkg"]

NEVER = [
    "config.json",
    "pkg/deep/config.json",
    ".env",
    "sub/.env.production",
    "certs/server.pem",
    "certs/server.key",
    "certs/client.pfx",
    "certs/client.p12",
    "home/id_rsa",
    "home/id_rsa.pub",
    "mlflow.db",
    "outputs/model.joblib",
    "multirun/2026-01-01/0/x.txt",
    ".git/HEAD",
    "pkg/__pycache__/mod.cpython-311.pyc",
    "myvenv/pyvenv.cfg",
    "myvenv/lib/site.py",
]
# An app's own tracking folders (MLflow's mlruns/) are its ignore file's to leave out: the plugin
# knows no app (an app's .amlignore lists them).
SHIPPED = ["pkg/__init__.py", "pkg/mod.py", "conf/config.yaml", "requirements.txt", "data/small.csv"]


def make(root: Path, paths: list[str], size: int = 10) -> None:
    for rel in paths:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)


def test_secrets_state_and_outputs_never_ship(tmp_path: Path) -> None:
    make(tmp_path, NEVER + SHIPPED)
    snapshot = _snapshot.build(tmp_path, ENTRY)
    assert sorted(snapshot.paths) == sorted(SHIPPED)
    assert snapshot.total_bytes == 10 * len(SHIPPED)


def test_amlignore_is_honoured_and_cannot_bring_secrets_back(tmp_path: Path) -> None:
    make(tmp_path, [*SHIPPED, ".env", "docs/a.md", "docs/keep.md", "scratch/x.py", "a/b/tmp.log"])
    (tmp_path / ".amlignore").write_text("docs/\n!docs/keep.md\n/scratch\n*.log\n!.env\n")
    (tmp_path / ".gitignore").write_text("pkg/\n")  # ignored: .amlignore wins, as in AzureML
    snapshot = _snapshot.build(tmp_path, ENTRY)
    assert snapshot.ignore_file == ".amlignore"
    # A directory excluded as a whole is pruned: negating a file inside it has no effect (git too).
    assert sorted(snapshot.paths) == sorted([*SHIPPED, ".amlignore", ".gitignore"])


@needs_git
def test_in_git_what_git_lists_minus_amlignore(tmp_path: Path) -> None:
    make(tmp_path, [*SHIPPED, "build/x.whl", "scratch/x.py", "docs/a.md", "tracked.log"])
    (tmp_path / ".gitignore").write_text("build/\n*.log\n")
    (tmp_path / ".amlignore").write_text("docs/\n/scratch\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-f", "tracked.log")  # tracked although ignored: git lists it
    snapshot = _snapshot.build(tmp_path, ["python", "-m", "elsewhere"])  # no project root needed
    assert snapshot.ignore_file == ".amlignore"
    assert sorted(snapshot.paths) == sorted([*SHIPPED, "tracked.log", ".gitignore", ".amlignore"])
    assert dict(snapshot.left_out) == {"docs/": "matched by .amlignore", "scratch/": "matched by .amlignore"}


def test_gitignore_used_without_amlignore(tmp_path: Path) -> None:
    make(tmp_path, [*SHIPPED, "build/x.whl"])
    (tmp_path / ".gitignore").write_text("build/\n")
    snapshot = _snapshot.build(tmp_path, ENTRY)
    assert snapshot.ignore_file == ".gitignore"
    assert "build/x.whl" not in snapshot.paths


@pytest.mark.parametrize(
    "lines",
    [
        ["*.log", "!keep.log"],
        ["/top.txt", "docs/", "**/gen/*.py"],
        ["data/*.csv", "!data/small.csv", "a?c.txt", "[xy].md"],
    ],
)
def test_fallback_matcher_agrees_with_pathspec(lines: list[str]) -> None:
    """Without pathspec (it comes with azureml-core only) the subset matcher decides alike."""
    exact = _snapshot._gitignore_matcher(lines)
    fallback = _snapshot._fallback_matcher(lines)
    cases = [
        ("a.log", False),
        ("x/keep.log", False),
        ("keep.log", False),
        ("top.txt", False),
        ("sub/top.txt", False),
        ("docs", True),
        ("x/docs", True),
        ("docs", False),
        ("gen/a.py", False),
        ("p/q/gen/a.py", False),
        ("gen/sub/a.py", False),
        ("data/big.csv", False),
        ("data/small.csv", False),
        ("abc.txt", False),
        ("x.md", False),
        ("z.md", False),
    ]
    for rel, is_dir in cases:
        assert fallback(rel, is_dir) == exact(rel, is_dir), (lines, rel, is_dir)


def test_too_many_files_refused_naming_the_largest(tmp_path: Path) -> None:
    make(tmp_path, [f"cache/{i}.bin" for i in range(30)] + SHIPPED)
    snapshot = _snapshot.build(tmp_path, ENTRY)
    with pytest.raises(
        LauncherError,
        match=r"35 files, more than .*max_snapshot_files=20\. Most files: cache/ \(30 files, 0\.0 MB\)",
    ):
        _snapshot.check(snapshot, max_mb=300, max_files=20, max_data_mb=10)


def test_too_big_refused_naming_the_largest(tmp_path: Path) -> None:
    make(tmp_path, ["model/weights.bin"], size=3 * 1024 * 1024)
    make(tmp_path, SHIPPED)
    snapshot = _snapshot.build(tmp_path, ENTRY)
    with pytest.raises(
        LauncherError,
        match=r"3\.0 MB, more than .*max_snapshot_mb=2\. Largest entries: model/weights\.bin \(3\.0 MB, 1 f",
    ):
        _snapshot.check(snapshot, max_mb=2, max_files=2000, max_data_mb=10)
    _snapshot.check(snapshot, max_mb=4, max_files=2000, max_data_mb=10)  # within limits: fine


def test_big_data_must_be_a_registered_dataset(tmp_path: Path) -> None:
    make(tmp_path, ["data/train.csv"], size=2 * 1024 * 1024)
    make(tmp_path, SHIPPED)
    snapshot = _snapshot.build(tmp_path, ENTRY)
    with pytest.raises(
        LauncherError,
        match=r"data/train\.csv \(2\.0 MB\)\. Register the data as an AzureML dataset and have the job",
    ):
        _snapshot.check(snapshot, max_mb=300, max_files=2000, max_data_mb=1)


def test_materialise_copies_exactly_the_snapshot(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make(src, NEVER + SHIPPED)
    snapshot = _snapshot.build(src, ENTRY, also_exclude=[src / "pkg"])
    dest = _snapshot.materialise(snapshot, tmp_path / "dest")
    copied = {p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()}
    assert copied == set(SHIPPED) - {"pkg/__init__.py", "pkg/mod.py"}


# Issue 7: what a hostile probe planted in a project; none of it may ship.
PLANTED = {
    ".git-credentials": "https://me:ghp_secret@github.com\n",
    ".azure/msal_token_cache.json": '{"AccessToken": {}, "RefreshToken": {}}',
    ".aws/credentials": "[default]\naws_secret_access_key = abc\n",
    "credentials.json": '{"installed": {"client_secret": "x"}}',
    "secrets.yaml": "password: hunter2\n",
    "secret_prod.json": "{}",
    ".npmrc": "//registry.npmjs.org/:_authToken=abc\n",
    ".pypirc": "[pypi]\npassword = abc\n",
    ".pgpass": "db:5432:*:me:hunter2\n",
    ".netrc": "machine example.com login me password hunter2\n",
    ".envrc": "export AZURE_CLIENT_SECRET=abc\n",
    ".env.local": "SECRET=1\n",
    "prod.env": "SECRET=1\n",
    "my.ppk": "PuTTY-User-Key-File-3: ssh-ed25519\n",
    "certs/server.pem": "x",
    "certs/server.key": "x",
    "certs/client.pfx": "x",
    "certs/client.p12": "x",
    "certs/store.jks": "x",
    "certs/app.keystore": "x",
    "Config.json": '{"subscription_id": "x"}',
    "config.json.bak": '{"subscription_id": "x"}',
    "mlflow.db": "SQLite format 3\x00",
    "backup/mlflow-2026-11-01.db": "SQLite format 3\x00",
    "store.sqlite.bak": "SQLite format 3\x00",
    "deploy/.config/gcloud/application_default_credentials.json": '{"refresh_token": "x"}',
    "deploy/.kube/config": "users: []\n",
}  # Innocent names with secret contents are not dropped but refused: see test_secret_scan.py.
LEFT_OUT_FOLDERS = {".azure/", ".aws/", "deploy/.config/gcloud/", "deploy/.kube/"}
APP_FILES = ["conf/config.yaml", "requirements.txt", "tinyapp/__init__.py", "tinyapp/__main__.py"]


@pytest.mark.e2e
@pytest.mark.parametrize("in_git", [pytest.param(True, marks=needs_git), False], ids=["git", "no-git"])
def test_planted_secrets_and_symlinks_out_never_ship(tinyapp: Path, tmp_path: Path, in_git: bool) -> None:
    plant(tinyapp, PLANTED)
    (tinyapp / "passwd_link").symlink_to("/etc/passwd")
    (tinyapp / "etc_link").symlink_to("/etc")
    (tinyapp / "env_link").symlink_to(".env")  # inside, but its target is a secret
    (tinyapp / "tinyapp" / "alias.py").symlink_to("__init__.py")  # inside: ships as content
    if in_git:
        git(tinyapp, "init", "-q")
        (tinyapp / ".gitignore").write_text("*.log\n")
        (tinyapp / "debug.log").write_text("ignored by git\n")
        git(tinyapp, "add", "-A")  # the worst case: the secrets are even committed
        (tinyapp / "untracked.py").write_text("# would be tracked: ships\n")
    sweep = tmp_path / "sweep"
    done = dry_run(tinyapp, sweep)
    assert done.returncode == 0, done.stderr
    expected = {*APP_FILES, ".amlignore", "tinyapp/alias.py"}
    if in_git:
        expected |= {".gitignore", "untracked.py"}
    assert shipped(sweep) == expected
    left = left_out(sweep)
    files_left = set(PLANTED) | {".env", "tinyapp/config.json", "passwd_link", "etc_link", "env_link"}
    for rel in files_left:
        folder = next((f for f in LEFT_OUT_FOLDERS if rel.startswith(f)), None)
        assert (folder or rel) in left, rel
        assert left[folder or rel], rel  # with its reason
        assert (folder or rel) in done.stdout  # printed too
    assert left["passwd_link"] == "symlink to outside the source folder (/etc/passwd)"
    assert left["config.json.bak"] == "workspace configuration (config.json) (backup copy)"
    if not in_git:
        assert left["notes.tmp"] == "matched by .amlignore"
    assert b"root:" not in b"".join(
        p.read_bytes() for p in (sweep / "azureml_snapshot").rglob("*") if p.is_file()
    )


@pytest.mark.e2e
def test_include_ships_a_dropped_file_but_never_a_symlink_out(tinyapp: Path, tmp_path: Path) -> None:
    plant(tinyapp, {"secrets.yaml": "not really a secret\n", "certs/public.pem": "x", "certs/ca.crt": "x"})
    (tinyapp / "passwd_link").symlink_to("/etc/passwd")
    sweep = tmp_path / "sweep"
    done = dry_run(tinyapp, sweep, "hydra.launcher.include=[secrets.yaml,certs/*.pem,passwd_link]")
    assert done.returncode == 0, done.stderr
    files, left = shipped(sweep), left_out(sweep)
    assert {"secrets.yaml", "certs/public.pem"} <= files
    assert "certs/ca.crt" in left and "certs/ca.crt" not in files  # not named by include
    assert "passwd_link" not in files and left["passwd_link"].startswith("symlink to outside")


@pytest.mark.e2e
def test_include_that_matches_nothing_is_refused(tinyapp: Path, tmp_path: Path) -> None:
    done = dry_run(tinyapp, tmp_path / "sweep", "hydra.launcher.include=[secret.yml]")
    assert done.returncode == 1
    assert "hydra.launcher.include: 'secret.yml' matches nothing in" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.e2e
@pytest.mark.parametrize("where", ["parent", "project"])
def test_home_folder_is_refused(tinyapp: Path, tmp_path: Path, where: str) -> None:
    """Started from a home folder, the checkout in it or its files at its root: nothing ships."""
    home = tinyapp.parent if where == "parent" else tinyapp
    plant(
        home,
        {
            ".ssh/id_ed25519": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
            ".bash_history": "az login\n",
            ".config/gcloud/credentials.db": "x",
            ".kube/config": "x",
        },
    )
    sweep = tmp_path / "sweep"
    done = dry_run(tinyapp, sweep, cwd=home, env={"PYTHONPATH": str(tinyapp)})
    assert done.returncode == 1, done.stdout
    assert (
        f"the source folder {home} holds .ssh, .bash_history, .kube, .config/gcloud at its root, as "
        "a home folder does: it is never shipped. Run from the project root, or set "
        "hydra.launcher.source_dir to the project's folder"
    ) in done.stderr
    assert "Traceback" not in done.stderr
    assert not (sweep / "azureml_snapshot").exists()


def test_the_home_folder_itself_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make(tmp_path, SHIPPED)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(LauncherError, match=r"is your home folder: it is never shipped.*source_dir"):
        _snapshot.build(tmp_path, ENTRY)


def test_outside_git_a_folder_that_is_not_a_project_is_refused(tmp_path: Path) -> None:
    make(tmp_path, ["notes/a.txt", "photos/b.jpg"])
    with pytest.raises(LauncherError, match=r"not in a git work tree and does not look like a project root"):
        _snapshot.build(tmp_path, ENTRY)
    make(tmp_path, ["pyproject.toml"])
    assert "notes/a.txt" in _snapshot.build(tmp_path, ENTRY).paths


@pytest.mark.e2e
def test_gzipped_data_judged_by_its_uncompressed_size(tinyapp: Path, tmp_path: Path) -> None:
    (tinyapp / "data").mkdir()
    with gzip.open(tinyapp / "data" / "big.csv.gz", "wb") as handle:
        handle.write(b"x1,x2,y\n" + b"0.5,0.5,1\n" * 200_000)  # 2 MB of text, a few KB on disk
    assert (tinyapp / "data" / "big.csv.gz").stat().st_size < 100_000
    sweep = tmp_path / "sweep"
    done = dry_run(tinyapp, sweep, "hydra.launcher.max_data_mb=1")
    assert done.returncode == 1
    assert "data files larger than hydra.launcher.max_data_mb=1 would ship with the code: " in done.stderr
    assert "data/big.csv.gz (1.9 MB uncompressed, 0.0 MB on disk)" in done.stderr
    assert "Register the data as an AzureML dataset" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (sweep / "azureml_snapshot").exists()


@pytest.mark.parametrize("suffix", [".zip", ".bz2", ".xz", ".bin"])
def test_other_compressed_or_unknown_files_are_data_too(tmp_path: Path, suffix: str) -> None:
    content = b"0.5,0.5,1\n" * 200_000
    path = tmp_path / f"data/big{suffix}"
    path.parent.mkdir()
    if suffix == ".zip":
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("big.csv", content)
    else:
        opener = {".bz2": bz2.open, ".xz": lzma.open, ".bin": open}[suffix]
        with opener(path, "wb") as handle:
            handle.write(content)
    make(tmp_path, SHIPPED)
    snapshot = _snapshot.build(tmp_path, ENTRY)
    with pytest.raises(LauncherError, match=rf"data/big\{suffix} \(1\.9 MB"):
        _snapshot.check(snapshot, max_mb=300, max_files=2000, max_data_mb=1)
    _snapshot.check(snapshot, max_mb=300, max_files=2000, max_data_mb=2)  # under the limit: fine


@pytest.mark.parametrize(
    "rel",
    ["pkg/credentials.py", "pkg/secrets.py", "docs/passwords.md", "models/tokenizer.json", "conf/db.yaml"],
)
def test_code_and_config_named_like_secrets_still_ship(tmp_path: Path, rel: str) -> None:
    """Name rules for generic words apply to data/config files only: code about secrets ships."""
    make(tmp_path, [*SHIPPED, rel])
    assert rel in _snapshot.build(tmp_path, ENTRY).paths


def test_a_symlink_loop_is_left_out_not_a_crash(tmp_path: Path) -> None:
    make(tmp_path, SHIPPED)
    (tmp_path / "loop").symlink_to("loop")
    snapshot = _snapshot.build(tmp_path, ENTRY)
    assert dict(snapshot.left_out) == {"loop": "broken symlink"}
