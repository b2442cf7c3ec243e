"""Which workspace: explicit ids, config.json found like Workspace.from_config, clear failures."""

import json
from pathlib import Path

import pytest
from azureml_launcher.errors import LauncherError
from azureml_launcher.workspace import find_config, resolve_workspace_ids

NO_IDS = {"config_path": None, "subscription_id": None, "resource_group": None, "workspace_name": None}


def write_config(path: Path, name: str = "ws-from-file") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"subscription_id": "sub-1", "resource_group": "rg-1", "workspace_name": name})
    )
    return path


def test_config_json_in_cwd(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.json")
    assert resolve_workspace_ids(NO_IDS, cwd=tmp_path) == ("sub-1", "rg-1", "ws-from-file", str(config))


def test_config_json_in_a_parent(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.json", name="parent-ws")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert resolve_workspace_ids(NO_IDS, cwd=deep)[2:] == ("parent-ws", str(config))


def test_dot_azureml_folder_wins_like_the_sdk(tmp_path: Path) -> None:
    # Workspace.from_config searches .azureml/config.json all the way up before plain config.json.
    write_config(tmp_path / "a" / "config.json", name="plain")
    hidden = write_config(tmp_path / ".azureml" / "config.json", name="hidden")
    assert find_config(tmp_path / "a") == hidden


def test_explicit_config_path_relative_to_cwd(tmp_path: Path) -> None:
    write_config(tmp_path / "config.json", name="ignored")
    chosen = write_config(tmp_path / "ws" / "prod.json", name="prod")
    settings = {**NO_IDS, "config_path": "ws/prod.json"}
    assert resolve_workspace_ids(settings, cwd=tmp_path)[2:] == ("prod", str(chosen))


def test_explicit_ids_need_no_config_file(tmp_path: Path) -> None:
    settings = {**NO_IDS, "subscription_id": "s", "resource_group": "r", "workspace_name": "w"}
    assert resolve_workspace_ids(settings, cwd=tmp_path) == ("s", "r", "w", "azureml settings")


def test_missing_config_json_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(LauncherError) as caught:
        resolve_workspace_ids(NO_IDS, cwd=tmp_path)
    message = str(caught.value)
    assert "no config.json in" in message and str(tmp_path) in message
    assert "Download config.json" in message and "AZUREML_WORKSPACE_NAME" in message


def test_missing_explicit_config_path(tmp_path: Path) -> None:
    with pytest.raises(LauncherError, match=r"azureml.config_path=nope.json: no such file"):
        resolve_workspace_ids({**NO_IDS, "config_path": "nope.json"}, cwd=tmp_path)


def test_partial_ids_name_the_missing_ones(tmp_path: Path) -> None:
    write_config(tmp_path / "config.json")
    with pytest.raises(LauncherError) as caught:
        resolve_workspace_ids({**NO_IDS, "workspace_name": "w"}, cwd=tmp_path)
    assert "azureml.subscription_id, azureml.resource_group is not" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"subscription_id": "s", "workspace_name": "w"}), "missing resource_group"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_broken_config_json(tmp_path: Path, content: str, expected: str) -> None:
    (tmp_path / "config.json").write_text(content)
    with pytest.raises(LauncherError, match=expected) as caught:
        resolve_workspace_ids(NO_IDS, cwd=tmp_path)
    assert str(tmp_path / "config.json") in str(caught.value)
