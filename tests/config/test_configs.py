"""Every config option composes; bad overrides fail at composition and name the key."""

import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from moonml.config.compose import compose_config
from moonml.config.schema import CONFIG_DIR
from moonml.errors import MoonmlError
from moonml.train import train
from tests.helpers import REPO, clean_env, data_args, run_moonml

# Options whose YAML leaves a value for the user to fill in (???).
REQUIRED_VALUES = {
    ("environment", "docker"): ["environment.image=example.azurecr.io/moonml:1"],
    ("environment", "registered"): ["environment.name=moonml-env"],
}
GROUPS = ["data", "model", "tracking", "compute", "environment"]


def all_options() -> list[tuple[str, str]]:
    return [
        (group, path.stem) for group in GROUPS for path in sorted((Path(CONFIG_DIR) / group).glob("*.yaml"))
    ]


def test_every_group_has_options() -> None:
    found = {group for group, _ in all_options()}
    assert found == set(GROUPS)


@pytest.mark.parametrize(("group", "option"), all_options())
def test_every_option_composes(group: str, option: str) -> None:
    cfg = compose_config([f"{group}={option}", *REQUIRED_VALUES.get((group, option), [])])
    container = OmegaConf.to_container(cfg[group], resolve=True, throw_on_missing=True)
    assert isinstance(container, dict) and container


def test_defaults_match_the_tutorial() -> None:
    cfg = compose_config()
    assert OmegaConf.to_container(cfg.model.grid) == {
        "n_estimators": [10, 25, 100],
        "criterion": ["gini", "entropy"],
        "max_depth": [2, 5, 10, None],
    }
    assert (cfg.model.cv, cfg.model.scoring) == (5, "accuracy")
    assert (cfg.data.train_path, cfg.data.test_path) == ("data/train.csv", "data/test.csv")
    assert (cfg.tracking.backend, cfg.tracking.register_model) == ("mlflow", "moon_model")
    assert cfg.compute.target is None


def test_grid_is_overridden_and_extended_from_the_command_line() -> None:
    cfg = compose_config(
        [
            "model.grid.n_estimators=[10,50]",
            "model.grid.max_depth=[3,null]",
            "+model.grid.min_samples_leaf=[1,5]",
        ]
    )
    assert OmegaConf.to_container(cfg.model.grid) == {
        "n_estimators": [10, 50],
        "criterion": ["gini", "entropy"],
        "max_depth": [3, None],
        "min_samples_leaf": [1, 5],
    }


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        (["sed=1"], "sed"),
        (["model.cv=five"], "cv"),
        (["model.gird.n_estimators=[1]"], "gird"),
        (["model.grid.n_estimater=[1]"], "n_estimater"),
        (["tracking.urii=http://x"], "urii"),
        (["data.n_samples=10"], "n_samples"),  # a key of data=generated, not of data=moons
        (["data=generated", "data.noise=lots"], "noise"),
    ],
)
def test_bad_override_fails_naming_the_key(overrides: list[str], key: str) -> None:
    with pytest.raises(MoonmlError, match=key):
        compose_config(overrides)


@pytest.mark.e2e
def test_bad_override_on_the_command_line_exits_non_zero(tmp_path: Path) -> None:
    result = run_moonml("model.cv=five", cwd=tmp_path)
    assert result.returncode != 0
    assert "model.cv" in result.stderr
    assert not (tmp_path / "mlflow.db").exists()


def test_bad_grid_axis_is_reported_with_every_other_problem(tmp_path: Path) -> None:
    cfg = compose_config(
        [
            *data_args(),  # missing data files would stop the run before the config is checked
            "+model.grid.min_sample_leaf=[1]",
            "model.cv=1",
            "model.scoring=acuracy",
            "tracking=none",
        ]
    )
    with pytest.raises(MoonmlError) as raised:
        train(cfg, output_dir=str(tmp_path / "run"))
    for fragment in ("model.grid.min_sample_leaf", "model.cv", "model.scoring"):
        assert fragment in str(raised.value)
    assert not (tmp_path / "run").exists()


def test_cluster_compute_without_the_azureml_launcher_is_refused(tmp_path: Path) -> None:
    cfg = compose_config([*data_args(), "compute.target=cpu-cluster", "tracking=none"])
    with pytest.raises(MoonmlError, match="hydra/launcher=azureml"):
        train(cfg, output_dir=str(tmp_path / "run"))


@pytest.mark.e2e
@pytest.mark.parametrize("args", [["--help"], ["--cfg", "job"]])
def test_help_and_cfg_import_no_heavy_library(args: list[str], tmp_path: Path) -> None:
    import subprocess

    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "moonml", *args],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {
        line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line
    }
    assert "hydra" in imported  # the check sees imports at all
    assert not imported & {"mlflow", "sklearn", "matplotlib", "azureml", "azure"}


def test_config_dir_is_the_repository_conf() -> None:
    assert Path(CONFIG_DIR) == REPO / "conf"


def test_a_config_that_cannot_be_read_is_not_called_a_bad_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no override given (a wheel without its configs said `bad override`), the error names
    the config folder."""
    import moonml.config.compose

    monkeypatch.setattr(moonml.config.compose, "CONFIG_DIR", str(tmp_path / "conf"))
    with pytest.raises(MoonmlError) as raised:
        compose_config()
    assert "bad override" not in str(raised.value) and str(tmp_path / "conf") in str(raised.value)
