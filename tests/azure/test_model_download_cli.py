"""`python -m moonml.model download ... tracking=azureml` places the model like the MLflow path does.

Double at azureml.core.Model (the `model_registry` fixture): lookup and download leave the machine.
"""

from pathlib import Path

from moonml.cli.model import main
from tests.azure.test_model_and_tracking import model_registry  # noqa: F401 - a fixture


def test_azureml_download_is_staged_then_moved_into_the_folder(model_registry, tmp_path, capsys) -> None:  # noqa: F811
    target = tmp_path / "out"
    assert main(["download", "moon_model:3", "--output", str(target), "tracking=azureml"]) == 0
    assert (target / "model" / "MLmodel").is_file()
    assert f"downloaded moon_model:3 to {target / 'model'}" in capsys.readouterr().out
    staged_in = Path(model_registry[1][1])
    assert staged_in != target and not staged_in.exists()  # downloaded elsewhere, then moved
    assert {path.name for path in tmp_path.iterdir()} == {"out"}


def test_azureml_download_refuses_a_folder_with_files(model_registry, tmp_path, capsys) -> None:  # noqa: F811
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["download", "moon_model:3", "--output", str(tmp_path), "tracking=azureml"]) == 1
    assert "--force" in capsys.readouterr().err
    assert model_registry == []  # refused before the registry was asked
    assert {path.name for path in tmp_path.iterdir()} == {"keep.txt"}
