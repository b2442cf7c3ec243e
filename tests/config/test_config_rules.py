"""Settings moonml does not know, and values scikit-learn would refuse only at the search, are
config errors found up front: before any output folder, MLflow store or run is made."""

from pathlib import Path

import pytest
from omegaconf import OmegaConf, open_dict

from moonml.config.compose import compose_config
from moonml.errors import MoonmlError
from moonml.train import train
from tests.helpers import data_args, run_moonml

# `+key=value` adds a key Hydra would accept and moonml ignore: typos of the top level and of
# each typed group.
ADDED_KEYS = {"sed": 7, "modle": {"x": 1}, "model.foo": 3, "tracking.foo": 1, "data.lable": "z"}


@pytest.mark.parametrize("key", list(ADDED_KEYS))
def test_an_added_key_moonml_does_not_know_fails_composition(key: str) -> None:
    with pytest.raises(MoonmlError, match=rf"\b{key}: moonml has no such setting"):
        compose_config([f"+{key}=1"])


def test_train_lists_every_added_key_before_writing(tmp_path: Path) -> None:
    cfg = compose_config([*data_args(), "tracking=none"])
    with open_dict(cfg):
        for key, value in ADDED_KEYS.items():
            OmegaConf.update(cfg, key, value, force_add=True)
    with pytest.raises(MoonmlError) as raised:
        train(cfg, output_dir=str(tmp_path / "run"))
    for key in ADDED_KEYS:
        assert f"{key}: moonml has no such setting" in str(raised.value)
    assert not (tmp_path / "run").exists()


def test_free_form_mappings_still_take_new_keys() -> None:
    cfg = compose_config(
        [
            "+model.params.max_samples=0.5",
            "+model.grid.min_samples_leaf=[1,5]",
            "+environment.env_vars.OMP_NUM_THREADS=1",
            "data=azureml",
            "+data.azureml_inputs.extra={dataset:extra_set}",
        ]
    )
    assert cfg.model.params.max_samples == 0.5
    assert cfg.environment.env_vars.OMP_NUM_THREADS == "1"


@pytest.mark.e2e
def test_hydras_typo_hint_followed_on_the_command_line_is_refused(tmp_path: Path) -> None:
    """`moonml sed=7` makes Hydra suggest `+sed=7`, which then ran with seed 42."""
    result = run_moonml(*data_args(), "+sed=7", "tracking=none", cwd=tmp_path)
    assert result.returncode == 1
    assert "sed: moonml has no such setting" in result.stderr
    assert "Traceback" not in result.stderr and "Metrics:" not in result.stdout


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("seed=-1", "seed: -1 is out of range"),
        ("seed=4294967296", "seed: 4294967296 is out of range"),
        ("model.n_jobs=0", "model.n_jobs: 0 workers"),
    ],
)
def test_values_the_search_would_refuse_are_config_errors(
    override: str, fragment: str, tmp_path: Path
) -> None:
    store = tmp_path / "mlflow.db"
    cfg = compose_config([*data_args(), override, f"tracking.uri=sqlite:///{store}"])
    with pytest.raises(MoonmlError, match="invalid config") as raised:
        train(cfg, output_dir=str(tmp_path / "run"))
    assert fragment in str(raised.value)
    assert not (tmp_path / "run").exists()
    assert not store.exists()  # no MLflow run was opened, so none is left FAILED


def test_the_extreme_seeds_are_accepted() -> None:
    from moonml.config.model_checks import MAX_SEED, seed_and_jobs_problems

    for seed in (0, MAX_SEED):
        assert seed_and_jobs_problems(compose_config([f"seed={seed}"])) == []
