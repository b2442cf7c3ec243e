"""`generate` and `download` never overwrite a user's files unless told to with --force."""

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from moonml.cli import data as data_cli
from tests.helpers import clean_env, run_moonml

USER_CSV = "x1,x2,y\n9,9,1\n"


def error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr[-2000:]
    return lines[0]


def generate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`python -m moonml.data generate ARGS` in `cwd`, in-process: the module runs exactly main()
    (the process, its exit code and its one line, are checked end to end in tests/data)."""
    out, err = io.StringIO(), io.StringIO()
    before = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = data_cli.main(["generate", *args])
    finally:
        os.chdir(before)
    return subprocess.CompletedProcess(["generate", *args], code, out.getvalue(), err.getvalue())


def test_generate_refuses_to_overwrite_the_users_csv(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.csv").write_text(USER_CSV)
    line = error_line(generate("--output", "data", cwd=tmp_path))
    assert "data/train.csv" in line and "--force" in line
    assert (tmp_path / "data" / "train.csv").read_text() == USER_CSV
    assert not (tmp_path / "data" / "test.csv").exists()  # nothing written when refusing


def test_generate_force_overwrites(tmp_path: Path) -> None:
    (tmp_path / "test.csv").write_text(USER_CSV)
    result = generate("--output", ".", "--force", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len((tmp_path / "test.csv").read_text().splitlines()) == 201


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--noise", "nan"], "--noise"),
        (["--noise", "inf"], "--noise"),
        (["--noise", "-0.1"], "--noise"),
        (["--seed", "-1"], "--seed"),
        (["--seed", str(2**32)], "--seed"),
        (["--samples", "2"], "--samples"),
        (["--test-size", "1"], "--test-size"),
    ],
)
def test_generate_refuses_bad_settings(args: list[str], fragment: str, tmp_path: Path) -> None:
    line = error_line(generate("--output", "out", *args, cwd=tmp_path))
    assert fragment in line
    assert not (tmp_path / "out").exists()


def test_generate_into_an_existing_file(tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("mine")
    line = error_line(generate("--output", "notes", cwd=tmp_path))
    assert "notes" in line and "not a folder" in line
    assert (tmp_path / "notes").read_text() == "mine"


def test_generate_under_an_existing_file(tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("mine")
    line = error_line(generate("--output", "notes/data", cwd=tmp_path))
    assert "notes/data" in line


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory whose sqlite store holds a registered model moon_model:1."""
    workdir = tmp_path_factory.mktemp("registry")
    script = (
        "import mlflow\n"
        "from sklearn.dummy import DummyClassifier\n"
        "mlflow.set_tracking_uri('sqlite:///mlflow.db')\n"
        "with mlflow.start_run():\n"
        "    mlflow.sklearn.log_model(DummyClassifier().fit([[0], [1]], [0, 1]), name='model',\n"
        "        registered_model_name='moon_model', pip_requirements=['scikit-learn'],\n"
        "        serialization_format='cloudpickle')\n"
    )
    made = subprocess.run(
        [sys.executable, "-c", script],
        cwd=workdir,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert made.returncode == 0, made.stderr[-3000:]
    return workdir


def download(registry: Path, output: Path, *args: str) -> subprocess.CompletedProcess:
    return run_moonml(
        "download", "moon_model:1", "--output", str(output), *args, cwd=registry, module="moonml.model"
    )


def entries(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir()}


@pytest.mark.e2e
def test_download_refuses_a_folder_with_files(registry: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text("my-deps\n")
    line = error_line(download(registry, project))
    assert str(project) in line and "--force" in line
    assert entries(project) == {"requirements.txt"}
    assert (project / "requirements.txt").read_text() == "my-deps\n"
    assert entries(tmp_path) == {"project"}  # no temporary folder left beside it


@pytest.mark.e2e
def test_download_into_an_existing_file(registry: Path, tmp_path: Path) -> None:
    (tmp_path / "model").write_text("mine")
    line = error_line(download(registry, tmp_path / "model"))
    assert str(tmp_path / "model") in line and "not a folder" in line
    assert (tmp_path / "model").read_text() == "mine"
    assert entries(tmp_path) == {"model"}


@pytest.mark.e2e
def test_download_force_replaces_colliding_files_and_keeps_the_rest(registry: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text("my-deps\n")
    (project / "notes.txt").write_text("mine\n")
    result = download(registry, project, "--force")
    assert result.returncode == 0, result.stderr[-2000:]
    assert (project / "MLmodel").is_file()
    assert "scikit-learn" in (project / "requirements.txt").read_text()
    assert (project / "notes.txt").read_text() == "mine\n"
    assert entries(tmp_path) == {"project"}
    assert not [name for name in entries(project) if name.startswith(".moonml")]  # staging removed


@pytest.mark.e2e
def test_download_into_a_new_folder_and_a_failed_download_leaves_nothing(
    registry: Path, tmp_path: Path
) -> None:
    result = download(registry, tmp_path / "new" / "model")
    assert result.returncode == 0, result.stderr[-2000:]
    # stderr is a pipe here: no progress bar (MLflow draws one whatever the stream).
    assert "Downloading artifacts" not in result.stderr and "\r" not in result.stderr, result.stderr
    assert (tmp_path / "new" / "model" / "MLmodel").is_file()
    assert entries(tmp_path / "new") == {"model"}
    failed = run_moonml(
        "download", "moon_model:9", "--output", str(tmp_path / "other"), cwd=registry, module="moonml.model"
    )
    assert "version=9" in error_line(failed)
    assert entries(tmp_path) == {"new"}
