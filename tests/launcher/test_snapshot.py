"""What ships in the snapshot, what never does, and the limits checked before any upload."""

from pathlib import Path

import pytest
from hydra_plugins.hydra_azureml_launcher import _snapshot
from hydra_plugins.hydra_azureml_launcher._errors import LauncherError

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
    "mlruns/0/meta.yaml",
    "mlartifacts/1/a.txt",
    "outputs/model.joblib",
    "multirun/2026-01-01/0/x.txt",
    ".git/HEAD",
    "pkg/__pycache__/mod.cpython-311.pyc",
    "myvenv/pyvenv.cfg",
    "myvenv/lib/site.py",
]
SHIPPED = ["pkg/__init__.py", "pkg/mod.py", "conf/config.yaml", "requirements.txt", "data/small.csv"]


def make(root: Path, paths: list[str], size: int = 10) -> None:
    for rel in paths:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)


def test_secrets_state_and_outputs_never_ship(tmp_path: Path) -> None:
    make(tmp_path, NEVER + SHIPPED)
    snapshot = _snapshot.build(tmp_path)
    assert sorted(snapshot.paths) == sorted(SHIPPED)
    assert snapshot.total_bytes == 10 * len(SHIPPED)


def test_amlignore_is_honoured_and_cannot_bring_secrets_back(tmp_path: Path) -> None:
    make(tmp_path, [*SHIPPED, ".env", "docs/a.md", "docs/keep.md", "scratch/x.py", "a/b/tmp.log"])
    (tmp_path / ".amlignore").write_text("docs/\n!docs/keep.md\n/scratch\n*.log\n!.env\n")
    (tmp_path / ".gitignore").write_text("pkg/\n")  # ignored: .amlignore wins, as in AzureML
    snapshot = _snapshot.build(tmp_path)
    assert snapshot.ignore_file == ".amlignore"
    # A directory excluded as a whole is pruned: negating a file inside it has no effect (git too).
    assert sorted(snapshot.paths) == sorted([*SHIPPED, ".amlignore", ".gitignore"])


def test_gitignore_used_without_amlignore(tmp_path: Path) -> None:
    make(tmp_path, [*SHIPPED, "build/x.whl"])
    (tmp_path / ".gitignore").write_text("build/\n")
    snapshot = _snapshot.build(tmp_path)
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
    snapshot = _snapshot.build(tmp_path)
    with pytest.raises(
        LauncherError, match=r"35 files, more than .*max_snapshot_files=20.*cache/ \(0\.0 MB, 30 files\)"
    ):
        _snapshot.check(snapshot, max_mb=300, max_files=20, max_data_mb=10)


def test_too_big_refused_naming_the_largest(tmp_path: Path) -> None:
    make(tmp_path, ["model/weights.bin"], size=3 * 1024 * 1024)
    make(tmp_path, SHIPPED)
    snapshot = _snapshot.build(tmp_path)
    with pytest.raises(
        LauncherError, match=r"3\.0 MB, more than .*max_snapshot_mb=2\. Largest entries: model/ \(3\.0 MB"
    ):
        _snapshot.check(snapshot, max_mb=2, max_files=2000, max_data_mb=10)
    _snapshot.check(snapshot, max_mb=4, max_files=2000, max_data_mb=10)  # within limits: fine


def test_big_data_must_be_a_registered_dataset(tmp_path: Path) -> None:
    make(tmp_path, ["data/train.csv"], size=2 * 1024 * 1024)
    snapshot = _snapshot.build(tmp_path)
    with pytest.raises(
        LauncherError,
        match=r"data/train\.csv \(2\.0 MB\).*Register the data as an AzureML dataset.*data=azureml",
    ):
        _snapshot.check(snapshot, max_mb=300, max_files=2000, max_data_mb=1)


def test_materialise_copies_exactly_the_snapshot(tmp_path: Path) -> None:
    src = tmp_path / "src"
    make(src, NEVER + SHIPPED)
    snapshot = _snapshot.build(src, also_exclude=[src / "pkg"])
    dest = _snapshot.materialise(snapshot, tmp_path / "dest")
    copied = {p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()}
    assert copied == set(SHIPPED) - {"pkg/__init__.py", "pkg/mod.py"}
