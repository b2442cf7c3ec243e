"""A run registers a version only when it becomes its data's champion (tracking.register=champion,
the default), and says so either way; tracking.register=always registers every run. A local run,
a sweep's end and `register-best` follow the same rule (real subprocess runs, a real sqlite store)."""

import re
import subprocess
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from moonml.config.compose import compose_config
from moonml.errors import MoonmlError
from moonml.train import train
from tests.helpers import SMALL_GRID, data_args, run_moonml

WORSE = "model.params.min_samples_leaf=200"  # a much worse forest than the default leaves
BETTER = "model.params.min_samples_leaf=1"
NOT_BETTER = re.compile(
    r"not registered: not better than champion moon_model version (\d+) "
    r"\(cv_best_score ([0-9.]+) vs ([0-9.]+)\); to register it anyway: tracking\.register=always$",
    re.MULTILINE,
)


def versions(client: MlflowClient) -> list[str]:
    return sorted((str(v.version) for v in client.search_model_versions("name='moon_model'")), key=int)


def champion(client: MlflowClient) -> str:
    return str(client.get_model_version_by_alias("moon_model", "champion").version)


def moonml(tmp_path: Path, *args: str, module: str = "moonml") -> str:
    result: subprocess.CompletedProcess = run_moonml(*args, cwd=tmp_path, module=module)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def local_run(tmp_path: Path, *overrides: str) -> str:
    return moonml(tmp_path, *data_args(), *SMALL_GRID, "model.cv=2", *overrides)


@pytest.mark.e2e
@pytest.mark.timeout(900)  # four training runs
def test_a_run_registers_only_when_it_becomes_the_champion(tmp_path: Path) -> None:
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    out = local_run(tmp_path, WORSE)  # the first run on this data: the champion
    assert "registered moon_model version 1 as the champion (moon_model@champion)" in out
    assert versions(client) == ["1"] and champion(client) == "1"

    out = local_run(tmp_path, WORSE)  # the same run again: a tie is not better
    [(holder, score, incumbent)] = NOT_BETTER.findall(out)
    assert (holder, score) == ("1", incumbent)
    assert "registered moon_model version" not in out
    assert versions(client) == ["1"] and champion(client) == "1"

    out = local_run(tmp_path, BETTER)  # strictly better on the same data: registered, the champion
    assert "registered moon_model version 2 as the champion (moon_model@champion)" in out
    assert versions(client) == ["1", "2"] and champion(client) == "2"

    out = local_run(tmp_path, WORSE, "tracking.register=always")  # today's behaviour, on request
    assert re.search(
        r"^registered moon_model version 3, not the champion: not better than champion moon_model "
        r"version 2 \(cv_best_score [0-9.]+ vs [0-9.]+\)$",
        out,
        re.MULTILINE,
    ), out
    assert versions(client) == ["1", "2", "3"] and champion(client) == "2"


@pytest.mark.e2e
@pytest.mark.timeout(900)
def test_a_sweeps_end_and_register_best_follow_the_same_rule(tmp_path: Path) -> None:
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    local_run(tmp_path, BETTER)
    assert versions(client) == ["1"]
    sweep = tmp_path / "sweep"
    result = run_moonml(
        "-m", *data_args(), *SMALL_GRID, "model.cv=2", "model.params.min_samples_leaf=60,200",
        f"hydra.sweep.dir={sweep}", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    # The sweep's best is worse than the champion: nothing registered, and the sweep says so.
    assert NOT_BETTER.search(result.stdout + result.stderr), result.stdout + result.stderr
    assert versions(client) == ["1"]

    out = moonml(tmp_path, "register-best", str(sweep), module="moonml.model")
    [(holder, score, incumbent)] = NOT_BETTER.findall(out)
    assert holder == "1" and float(score) < float(incumbent)
    assert versions(client) == ["1"]

    forced = ["register-best", str(sweep), "tracking.register=always"]
    out = moonml(tmp_path, *forced, module="moonml.model")
    forced_line = r"^registered moon_model version 2, not the champion: not better than champion "
    assert re.search(forced_line + r"moon_model version 1 \(", out, re.MULTILINE), out
    assert versions(client) == ["1", "2"] and champion(client) == "1"
    out = moonml(tmp_path, *forced, module="moonml.model")  # twice: no second version
    assert "the sweep's best run is moon_model version 2 already" in out
    assert versions(client) == ["1", "2"]


@pytest.mark.parametrize(
    "overrides, problem",
    [
        (
            ["tracking.register=sometimes"],
            "tracking.register: 'sometimes' is not one of champion, always (tracking.register_model=null "
            "registers nothing)",
        ),
        (
            ["tracking.champion_alias=null"],
            "tracking.register=champion needs tracking.champion_alias (it is null): name an alias, "
            "or set tracking.register=always",
        ),
    ],
)
def test_a_register_setting_that_cannot_work_is_one_config_line(
    overrides: list[str], problem: str, tmp_path: Path
) -> None:
    cfg = compose_config([*data_args(), *overrides, f"tracking.uri=sqlite:///{tmp_path / 'mlflow.db'}"])
    with pytest.raises(MoonmlError) as raised:
        train(cfg, output_dir=str(tmp_path / "out"))
    assert str(raised.value) == f"invalid config: {problem}"
    assert not (tmp_path / "out").exists()
