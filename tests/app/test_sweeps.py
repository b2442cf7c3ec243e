"""Sweeps: the objective Hydra's sweepers optimise, typed grid values, one registered model per
sweep, the champion alias, readable run names (real subprocess runs, real sqlite stores)."""

import contextlib
import json
import os
import pty
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from mlflow.tracking import MlflowClient

from moonml.config.compose import compose_config
from moonml.errors import MoonmlError
from moonml.train import train
from tests.helpers import SMALL_GRID, clean_env, data_args, run_moonml

OPTUNA = [
    "hydra/sweeper=optuna",
    "hydra.sweeper.n_trials=4",
    "hydra.sweeper.n_jobs=1",
    "hydra.sweeper.direction=maximize",
    "hydra.sweeper.sampler.seed=0",
    "model.params.min_samples_leaf=choice(1,8,30,60)",
]


def store(workdir: Path) -> MlflowClient:
    return MlflowClient(tracking_uri=f"sqlite:///{workdir / 'mlflow.db'}")


def moonml_runs(client: MlflowClient) -> list:
    experiment = client.get_experiment_by_name("moonml")
    return client.search_runs([experiment.experiment_id])


@pytest.mark.e2e
def test_optuna_sweep_completes_and_registers_only_its_best_run(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    result = run_moonml(
        "-m", *OPTUNA, *data_args(), *SMALL_GRID, "model.cv=2", f"hydra.sweep.dir={sweep}", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # The sweeper got a float from every trial: its best value is the best run's cv_best_score.
    best = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    client = store(tmp_path)
    runs = moonml_runs(client)
    assert len(runs) == 4 and {r.info.status for r in runs} == {"FINISHED"}
    scores = {r.info.run_id: r.data.metrics["cv_best_score"] for r in runs}
    assert best["best_value"] == pytest.approx(max(scores.values()))
    # All runs share the sweep's tag and are named after what they tried, not "0", "1", ...
    assert {r.data.tags["moonml.sweep"] for r in runs} == {str(sweep)}
    names = sorted(r.info.run_name for r in runs)
    assert all("min_samples_leaf=" in name and "max_depth=[5]" in name for name in names), names
    assert all("/" not in name for name in names), names
    # One version, of the best run, registered at the sweep's end; it holds the champion alias.
    [version] = client.search_model_versions("name='moon_model'")
    assert scores[version.run_id] == max(scores.values())
    assert client.get_model_version_by_alias("moon_model", "champion").version == version.version


@pytest.mark.e2e
def test_champion_moves_only_to_a_better_run_on_the_same_data(tmp_path: Path) -> None:
    # Every run gets a version (tracking.register=always): the alias alone is under test here.
    always = ["model.cv=2", "tracking.register=always"]

    def train(*overrides: str) -> None:
        result = run_moonml(*data_args(), *SMALL_GRID, *always, *overrides, cwd=tmp_path)
        assert result.returncode == 0, result.stderr[-3000:]

    client = store(tmp_path)

    def champion() -> str:
        return str(client.get_model_version_by_alias("moon_model", "champion").version)

    train("model.params.min_samples_leaf=1")  # v1: the first version takes the alias
    assert champion() == "1"
    train("model.params.min_samples_leaf=200")  # v2: a much worse forest
    assert champion() == "1"
    train("model.grid.max_depth=[1]", "model.params.min_samples_leaf=1")  # v3: stumps, worse
    assert champion() == "1"
    v1 = client.get_run(client.get_model_version("moon_model", "1").run_id).data.metrics
    v2 = client.get_run(client.get_model_version("moon_model", "2").run_id).data.metrics
    assert v2["cv_best_score"] < v1["cv_best_score"]
    # Other data: not compared, the alias stays, whatever the score.
    other = tmp_path / "train_copy.csv"
    lines = Path(data_args()[0].split("=", 1)[1]).read_text().splitlines()
    other.write_text("\n".join(lines[:-50]) + "\n")
    result = run_moonml(f"data.train_path={other}", data_args()[1], *SMALL_GRID, *always, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert champion() == "1"
    assert "trained on other data" in result.stdout + result.stderr
    # The objective decides: minimising cv_best_score, the worse v2-like run wins.
    train("model.params.min_samples_leaf=300", "objective.direction=minimize")
    assert champion() == "5"


def test_bad_grid_and_params_values_are_one_config_error_before_anything_runs(tmp_path: Path) -> None:
    cfg = compose_config(
        [
            *data_args(),
            "model.grid.max_depth=[2,five]",
            "model.grid.n_estimators=[ten,10]",
            "model.params.min_samples_leaf=-1",
            "model.params.max_features=most",
            "tracking=none",
        ]
    )
    with pytest.raises(MoonmlError) as raised:
        train(cfg, output_dir=str(tmp_path / "out"))
    err = str(raised.value)
    assert "model.grid.max_depth: 'five' is refused" in err
    assert "model.grid.n_estimators: 'ten' is refused" in err
    assert "model.params.min_samples_leaf: -1 is refused" in err
    assert "model.params.max_features: 'most' is refused" in err
    assert not (tmp_path / "out").exists()


def test_unknown_objective_metric_is_a_config_error(tmp_path: Path) -> None:
    cfg = compose_config(
        [*data_args(), "objective.metric=acuracy", "objective.direction=up", "tracking=none"]
    )
    with pytest.raises(MoonmlError) as raised:
        train(cfg, output_dir=str(tmp_path / "out"))
    assert "objective.metric: 'acuracy' is not a metric a run logs" in str(raised.value)
    assert "objective.direction: 'up'" in str(raised.value)


@pytest.mark.e2e
def test_optuna_minimising_a_maximised_objective_is_refused(tmp_path: Path) -> None:
    result = run_moonml(
        "-m",
        "hydra/sweeper=optuna",
        "hydra.sweeper.n_trials=1",
        "model.params.min_samples_leaf=choice(1,2)",
        *data_args(),
        *SMALL_GRID,
        "tracking=none",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "hydra.sweeper.direction=minimize but objective.direction=maximize" in result.stderr
    assert "add hydra.sweeper.direction=maximize" in result.stderr
    # Optuna's storage imports alembic, whose plugins log at INFO through Hydra's console.
    assert "setup plugin" not in result.stdout + result.stderr


@pytest.mark.e2e
def test_metrics_json_holds_the_objective(tmp_path: Path) -> None:
    result = run_moonml(*data_args(), *SMALL_GRID, "tracking=none", "hydra.run.dir=out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert set(metrics) == {"accuracy", "precision", "recall", "f1", "roc_auc", "cv_best_score"}


def test_value_problems_checks_every_value_and_leaves_unknown_names_to_config_problems() -> None:
    from omegaconf import OmegaConf

    from moonml.config.model_checks import value_problems

    model = OmegaConf.create(
        {
            "estimator": "sklearn.ensemble.RandomForestClassifier",
            "params": {"min_samples_leaf": 1, "max_featurez": "x"},
            "grid": {"max_depth": [2, None, "five", 0], "criterion": ["gini", "entropy"]},
        }
    )
    [problem] = value_problems(model)
    assert problem.startswith("model.grid.max_depth: 'five' is refused (max_depth must be an int")
    assert "; 0 is refused" in problem


def test_run_name_is_the_shortened_overrides() -> None:
    from moonml.tracking.names import MAX_RUN_NAME, run_name

    overrides = ["seed=2", "model.grid.max_depth=[10]", "data.train_path=/a/b/train.csv", "+model.params.x=1"]
    assert run_name(overrides, "0") == "seed=2,max_depth=[10],train_path=train.csv,x=1"
    assert run_name([], "12-00-00") == "12-00-00"
    assert len(run_name([f"k{i}=v" for i in range(200)], "0")) == MAX_RUN_NAME


def run_on_terminal(argv: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, str]:
    """moonml with stderr on a real terminal (a pty); stdout captured. Returns (result, terminal)."""
    primary, secondary = pty.openpty()
    seen = bytearray()

    def drain() -> None:
        # Ends with EIO (Linux) once no process holds the terminal's other end.
        with contextlib.suppress(OSError):
            while chunk := os.read(primary, 4096):
                seen.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "moonml", *argv],
            cwd=cwd,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=secondary,
            text=True,
            timeout=240,
        )
    finally:
        os.close(secondary)
        reader.join(timeout=30)
        os.close(primary)
    return done, seen.decode(errors="replace")


@pytest.mark.e2e
def test_parallel_jobs_prefix_their_lines_and_show_no_counter_on_a_terminal(tmp_path: Path) -> None:
    args = [*data_args(), *SMALL_GRID, "tracking=none"]
    single, terminal = run_on_terminal(args, tmp_path)
    assert single.returncode == 0
    assert "grid search: 5/5 fits" in terminal  # a single run on a terminal shows its counter
    done, terminal = run_on_terminal(
        ["-m", "seed=1,2", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", *args], tmp_path
    )
    assert done.returncode == 0, terminal[-3000:]
    assert "grid search" not in terminal
    results = [line for line in done.stdout.splitlines() if "accuracy" in line or "Outputs:" in line]
    assert len(results) == 4
    assert {line.split("] ")[0] + "]" for line in results} == {"[job 0]", "[job 1]"}, done.stdout


def test_a_failed_registration_at_the_sweeps_end_says_how_to_retry(tmp_path: Path) -> None:
    from hydra import compose, initialize_config_dir

    from moonml.app.callbacks import RegisterSweepBest
    from moonml.config.schema import CONFIG_DIR, register_schemas
    from moonml.errors import MoonmlError

    not_a_store = tmp_path / "mlflow.db"
    not_a_store.write_text("not a database\n")
    register_schemas()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        config = compose(
            "config",
            [f"tracking.uri=sqlite:///{not_a_store}", f"hydra.sweep.dir={tmp_path / 'sweep'}"],
            return_hydra_config=True,
        )
    with pytest.raises(MoonmlError) as raised:
        RegisterSweepBest().on_multirun_end(config)
    message = str(raised.value)
    assert message.startswith("the sweep ran, but registering its best run failed (")
    assert message.endswith(
        f"retry with: python -m moonml.model register-best {tmp_path / 'sweep'} --experiment moonml"
    )
    assert "\n" not in message


def test_the_docs_optuna_example_tunes_settings_that_differ_on_the_tutorial_data() -> None:
    """Each value the example lets Optuna choose gives another forest on two features (`sqrt`
    and `log2` both meant one feature: 9 of 20 trials repeated a configuration)."""
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier

    from tests.helpers import REPO, TRAIN_CSV

    page = (REPO / "docs" / "sweeps.md").read_text()
    example = page[page.index("hydra/sweeper=optuna") : page.index("```", page.index("hydra/sweeper=optuna"))]
    choices = re.findall(r"model\.params\.(\w+)=choice\(([^)]*)\)", example)
    assert choices
    train = pd.read_csv(TRAIN_CSV)
    for name, values in choices:
        seen = set()
        for value in values.split(","):
            param = int(value) if value.isdigit() else value
            forest = RandomForestClassifier(n_estimators=1, random_state=0, **{name: param})
            tree = forest.fit(train[["x1", "x2"]], train["y"]).estimators_[0]
            seen.add((tree.max_features_, tree.min_samples_leaf))
        assert len(seen) == len(values.split(",")), f"{name}: {values}"
