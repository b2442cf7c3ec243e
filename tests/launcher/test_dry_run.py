"""Dry runs of moonml for every compute x environment: the real azureml-core objects, offline."""

import json
import re
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from azureml.core import Environment, ScriptRunConfig
from hydra.core.utils import JobStatus

from tests.helpers import moonml_sweep

NEVER_SHIPPED = [
    "config.json",
    "conf/nested/config.json",
    ".env",
    "keys/client.pem",
    ".git-credentials",
    "passwd_link",
    "mlflow.db",
    "mlruns/0/meta.yaml",
    "outputs/old.txt",
    "tests/test_x.py",  # by the project's .amlignore
    ".git/HEAD",
]
ENVIRONMENTS = [
    ("pip", []),
    ("docker", ["environment.image=myacr.azurecr.io/moonml:1.0"]),
    ("registered", ["environment.name=moonml-env", "environment.version=3"]),
]


def run_config_as_submitted(src: ScriptRunConfig, environment: str) -> dict[str, Any]:
    """What Experiment.submit serialises as the run's "Configuration" (azureml-core's own code)."""
    from azureml._execution._commands import _serialize_run_config_to_dict
    from azureml.core.script_run_config import get_run_config_from_script_run

    sent = _serialize_run_config_to_dict(get_run_config_from_script_run(src))
    if environment == "registered":  # its definition is fetched from the workspace at submit
        sent["environment"] = {"name": "moonml-env", "version": "3"}
    return sent


@contextmanager
def dry_run(runner: Any, project: Path, sweep_dir: Path, overrides: list[str]) -> Iterator[list[Any]]:
    """The sweep's JobReturns; Hydra's runner deletes the sweep dir when the block ends."""
    sweep = moonml_sweep(runner, project, sweep_dir, ["hydra.launcher.dry_run=true", *overrides])
    with sweep:
        assert sweep.returns is not None
        yield list(sweep.returns[0])


@pytest.mark.parametrize("environment, env_overrides", ENVIRONMENTS)
def test_every_compute_and_environment(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    environment: str,
    env_overrides: list[str],
) -> None:
    with dry_run(
        hydra_sweep_runner,
        moonml_copy,
        tmp_path / "sweep",
        [
            "compute=cpu-cluster,gpu-cluster",
            f"environment={environment}",
            *env_overrides,
            "model.grid.max_depth=[2,null]",
            "+hydra.launcher.env_vars.PYTHONPATH=launchers",
        ],
    ) as returns:
        computes = [o for r in returns for o in r.overrides if o.startswith("compute=")]
        assert computes == ["compute=cpu-cluster", "compute=gpu-cluster"]
        versions = set()
        for idx, (ret, target) in enumerate(zip(returns, ["cpu-cluster", "gpu-cluster"], strict=True)):
            assert ret.status == JobStatus.COMPLETED
            src = ret.return_value["script_run_config"]
            assert isinstance(src, ScriptRunConfig)
            assert src.run_config.target == target
            argv = shlex.split(src.command)
            assert argv[:4] == ["python", "-m", "moonml", "--config-name=config"]
            assert argv[4:-3] == ret.overrides
            assert "model.grid.max_depth=[2,null]" in argv  # one argument, quoted for the shell
            assert argv[-3:] == ["hydra.mode=RUN", "hydra/launcher=basic", "hydra.run.dir=outputs"]
            assert not any(a.startswith(("hydra.sweep", "hydra.launcher", "hydra.job.num")) for a in argv)

            out = Path(ret.return_value["dry_run_dir"])
            assert out == tmp_path / "sweep" / str(idx) / "azureml"
            assert (out / "command.txt").read_text().strip() == src.command
            sent = json.loads((out / "run_config.json").read_text())
            assert sent == run_config_as_submitted(src, environment)
            # The job is a plain single run; this run variable tells it which sweep it is part of
            # (on the run, not in the environment, whose version would change with every sweep).
            sweep_var = {"HYDRA_AZUREML_LAUNCHER_SWEEP_DIR": str(tmp_path / "sweep")}
            assert sent["environmentVariables"] == src.run_config.environment_variables
            assert sent["target"] == target and sent["command"] == src.command
            assert sent["data"] == {}  # no dataset input without data=azureml
            assert "EXAMPLE_ENV_VAR" not in json.dumps(sent)  # the SDK's placeholder never ships
            assert not (out / ".azureml").exists()
            summary = json.loads((out / "script_run_config.json").read_text())
            assert summary["experiment"] == "moonml"  # tracking=none: the app's name
            assert summary["tags"]["hydra_overrides"] == " ".join(ret.overrides)
            assert summary["tags"]["app"] == "moonml"

            env = src.run_config.environment if environment != "registered" else None
            env_doc = json.loads((out / "environment.json").read_text())
            if environment == "pip":
                assert isinstance(env, Environment)
                assert env.name == "moonml-pip" and re.fullmatch(r"[0-9a-f]{16}", env.version)
                assert env.environment_variables == {"PYTHONPATH": "launchers"}  # no SDK placeholder
                assert src.run_config.environment_variables == sweep_var
                assert not env.python.user_managed_dependencies
                conda = env.python.conda_dependencies
                assert "python=3.11" in list(conda.conda_packages)  # conf/environment/pip.yaml
                pins = (moonml_copy / "requirements.txt").read_text().splitlines()
                assert list(conda.pip_packages) == [p for p in pins if p and not p.startswith("#")]
                assert env_doc["name"] == "moonml-pip" and env_doc["version"] == env.version
                versions.add(env.version)
            elif environment == "docker":
                assert isinstance(env, Environment)
                assert env.docker.base_image == "myacr.azurecr.io/moonml:1.0"
                assert env.python.user_managed_dependencies
                assert env.environment_variables == {"PYTHONPATH": "launchers"}
                assert src.run_config.environment_variables == sweep_var
                assert env_doc["docker"]["baseImage"] == "myacr.azurecr.io/moonml:1.0"
                versions.add(env.version)
            else:
                assert env is None  # fetched from the workspace at submit time, never offline
                assert sent["environment"] == {"name": "moonml-env", "version": "3"}
                assert src.run_config.environment_variables == {"PYTHONPATH": "launchers", **sweep_var}
                assert env_doc == {
                    "registered": True,
                    "name": "moonml-env",
                    "version": "3",
                    "env_vars": {"PYTHONPATH": "launchers"},
                }

            snapshot = Path(src.source_directory)
            shipped = {p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file()}
            for needed in ["moonml/__main__.py", "conf/config.yaml", "requirements.txt", "data/train.csv"]:
                assert needed in shipped
            for path in NEVER_SHIPPED:
                assert (moonml_copy / path).exists()  # planted, and still not shipped:
                assert path not in shipped
            listed = [line.split("\t")[1] for line in (out / "snapshot_files.tsv").read_text().splitlines()]
            assert sorted(listed) == sorted(shipped)
            # Each left-out file is listed with its reason, or the folder it sits in is.
            left = dict(line.split("\t") for line in (out / "snapshot_left_out.tsv").read_text().splitlines())
            for path in NEVER_SHIPPED:
                parents = [path[: i + 1] for i, c in enumerate(path) if c == "/"]
                assert any(left.get(p) for p in [path, *parents]), path
        if environment != "registered":
            assert len(versions) == 1  # identical definitions: one name and version, one image
        printed = capsys.readouterr().out
        assert printed.count("[azureml dry run] job #") == 2
        assert printed.count("[azureml dry run] left out of the snapshot") == 1
        assert "\n  keys/client.pem  " in printed
        assert str(tmp_path / "sweep" / "1" / "azureml") in printed


def test_environment_version_follows_content(tmp_path: Path) -> None:
    from azureml_launcher.environment import spec_from_settings

    (tmp_path / "requirements.txt").write_text("# pins\nhydra-core==1.3.8\n")
    pip = {"type": "pip", "requirements": "requirements.txt", "python_version": "3.11"}
    first = spec_from_settings(pip, tmp_path, "app", {})
    (tmp_path / "requirements.txt").write_text("hydra-core==1.3.8\n# a comment changes nothing\n")
    assert spec_from_settings(pip, tmp_path, "app", {}).version == first.version
    (tmp_path / "requirements.txt").write_text("hydra-core==1.3.7\n")
    assert spec_from_settings(pip, tmp_path, "app", {}).version != first.version
    assert spec_from_settings({**pip, "python_version": "3.12"}, tmp_path, "app", {}).version != first.version
    docker = {"type": "docker", "image": "r/i:1"}
    assert (
        spec_from_settings(docker, tmp_path, "app", {}).version
        != spec_from_settings({**docker, "image": "r/i:2"}, tmp_path, "app", {}).version
    )


def test_no_target_names_the_valid_compute_choices(
    hydra_sweep_runner: Any, moonml_copy: Path, tmp_path: Path
) -> None:
    from azureml_launcher.errors import LauncherError

    with (
        pytest.raises(LauncherError) as err,
        dry_run(hydra_sweep_runner, moonml_copy, tmp_path / "sweep", ["compute=local"]),
    ):
        pass
    message = str(err.value)
    assert "compute=local has no AzureML compute target" in message
    assert "choose one of: compute=cpu-cluster, compute=gpu-cluster" in message
    assert not (tmp_path / "sweep" / "azureml_snapshot").exists()  # nothing written or shipped


@pytest.mark.parametrize(
    "override",
    [
        "+environment.env_vars.TOKEN=${oc.env:MOONML_TEST_TOKEN}",
        "+hydra.launcher.env_vars.TOKEN=${oc.env:MOONML_TEST_TOKEN}",
    ],
    ids=["environment", "launcher"],
)
def test_a_job_variable_read_from_the_environment_is_refused_naming_the_key_vault(
    hydra_sweep_runner: Any, moonml_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, override: str
) -> None:
    """AzureML shows a job's variables and its environment's to every reader of the workspace:
    a secret does not go there, and the dry run writes nothing holding it."""
    from azureml_launcher.errors import LauncherError

    monkeypatch.setenv("MOONML_TEST_TOKEN", "s3cr3t-t0ken-value")
    with (
        pytest.raises(LauncherError) as err,
        dry_run(hydra_sweep_runner, moonml_copy, tmp_path / "sweep", ["compute=cpu-cluster", override]),
    ):
        pass
    message = str(err.value)
    assert "TOKEN reads the environment (${oc.env:MOONML_TEST_TOKEN})" in message
    assert "Key Vault" in message and "s3cr3t" not in message
    # Refused before any job is prepared: no run configuration, environment or snapshot written.
    # (Hydra's own multirun.yaml, written before the launch, is the sweeper's record, not shipped.)
    assert sorted(p.name for p in (tmp_path / "sweep").iterdir()) == ["multirun.yaml"]


@pytest.mark.parametrize(
    "overrides, version, mechanism",
    [([], "latest", "mount"), (["data.version=3", "data.mode=download"], "3", "download")],
    ids=["latest-mounted", "version-downloaded"],
)
def test_registered_dataset_is_a_named_input_of_the_run(
    hydra_sweep_runner: Any,
    moonml_copy: Path,
    tmp_path: Path,
    offline_workspace: Any,
    overrides: list[str],
    version: str,
    mechanism: str,
) -> None:
    from azureml.core.runconfig import Data
    from azureml.core.script_run_config import _update_args_and_io, get_run_config_from_script_run

    with dry_run(
        hydra_sweep_runner,
        moonml_copy,
        tmp_path / "sweep",
        ["compute=cpu-cluster", "data=azureml", *overrides],
    ) as [ret]:
        sent = json.loads((Path(ret.return_value["dry_run_dir"]) / "run_config.json").read_text())
        run_config = get_run_config_from_script_run(ret.return_value["script_run_config"])
    # The job reads the variable named like the input (moonml/data/azureml.py: moon_dataset).
    assert sent["data"] == {
        "moon_dataset": {
            "createOutputDirectories": False,
            "dataLocation": {
                "dataPath": None,
                "dataset": {"id": None, "name": "moon_dataset", "version": version},
                "uri": None,
            },
            "environmentVariableName": "moon_dataset",
            "mechanism": mechanism,
            "options": None,
            "overwrite": False,
            "pathOnCompute": None,
        }
    }
    # As the SDK itself does for inputs that follow the latest version.
    assert ("SkipValidateDatasets" in sent["environmentVariables"]) == (version == "latest")
    # The step Experiment.submit runs on the run configuration before sending it accepts it.
    inputs, _ = _update_args_and_io(offline_workspace, run_config)
    assert [type(i) for i in inputs] == [Data] and run_config.data["moon_dataset"] is inputs[0]


REGISTRY = [
    "environment=docker",
    "environment.image=moonacr.azurecr.io/moonml/train:42",
    "environment.registry.address=moonacr.azurecr.io",
]


def test_docker_registry_with_credentials_from_variables_writes_no_secret(
    hydra_sweep_runner: Any, moonml_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACR_USER", "moon-token")
    monkeypatch.setenv("ACR_PASS", "hunter2")
    overrides = [
        "compute=cpu-cluster",
        *REGISTRY,
        "environment.registry.username_env=ACR_USER",
        "environment.registry.password_env=ACR_PASS",
    ]
    with dry_run(hydra_sweep_runner, moonml_copy, tmp_path / "sweep", overrides) as [ret]:
        out = Path(ret.return_value["dry_run_dir"])
        sent = json.loads((out / "run_config.json").read_text())
        written = "".join(p.read_text() for p in out.iterdir() if p.is_file())
    assert sent["environment"]["docker"]["baseImageRegistry"] == {
        "address": "moonacr.azurecr.io",
        "username": "${ACR_USER}",
        "password": "${ACR_PASS}",
        "registryIdentity": None,
    }
    assert "hunter2" not in written


def test_docker_registry_pulled_with_an_identity(
    hydra_sweep_runner: Any, moonml_copy: Path, tmp_path: Path
) -> None:
    overrides = ["compute=cpu-cluster", *REGISTRY, "environment.registry.identity_client_id=cid-1"]
    with dry_run(hydra_sweep_runner, moonml_copy, tmp_path / "sweep", overrides) as [ret]:
        sent = json.loads((Path(ret.return_value["dry_run_dir"]) / "run_config.json").read_text())
    registry = sent["environment"]["docker"]["baseImageRegistry"]
    assert registry["address"] == "moonacr.azurecr.io" and registry["username"] is None
    assert registry["registryIdentity"]["clientId"] == "cid-1"


def test_docker_environment_version_covers_the_registry(tmp_path: Path) -> None:
    from azureml_launcher.environment import build, spec_from_settings
    from azureml_launcher.errors import LauncherError

    docker = {"type": "docker", "image": "moonacr.azurecr.io/i:1"}
    registry = {"address": "moonacr.azurecr.io", "username_env": "U", "password_env": "P"}
    plain = spec_from_settings(docker, tmp_path, "app", {})
    private = spec_from_settings({**docker, "registry": registry}, tmp_path, "app", {})
    other = spec_from_settings({**docker, "registry": {**registry, "address": "b.io"}}, tmp_path, "app", {})
    assert len({plain.version, private.version, other.version}) == 3
    # The secrets are read at submit time: they do not change the environment's identity.
    first = build(private, {"U": "u", "P": "p1"})
    assert build(private, {"U": "u", "P": "p2"}).version == first.version
    assert first.docker.base_image_registry.password == "p1"
    with pytest.raises(LauncherError, match=r"environment.registry moonacr.azurecr.io: P not set"):
        build(private, {"U": "u"})


def test_a_multirun_of_one_job_is_a_plain_run_not_a_sweep(
    hydra_sweep_runner: Any, moonml_copy: Path, tmp_path: Path
) -> None:
    """`python -m moonml compute=cpu-cluster` ships one job: it is told no sweep (so it registers
    its model itself, as a single run does), while each job of a real sweep is told it."""
    with dry_run(hydra_sweep_runner, moonml_copy, tmp_path / "one", ["compute=cpu-cluster"]) as returns:
        [single] = returns
        assert single.return_value["script_run_config"].run_config.environment_variables == {}
    with dry_run(
        hydra_sweep_runner, moonml_copy, tmp_path / "two", ["compute=cpu-cluster", "seed=1,2"]
    ) as returns:
        for ret in returns:
            variables = ret.return_value["script_run_config"].run_config.environment_variables
            assert variables == {"HYDRA_AZUREML_LAUNCHER_SWEEP_DIR": str(tmp_path / "two")}
    # Batches of one job (a sweeper that asks for one trial at a time, or max_batch_size=1)
    # are still parts of a sweep.
    with dry_run(
        hydra_sweep_runner,
        moonml_copy,
        tmp_path / "batched",
        ["compute=cpu-cluster", "seed=1,2", "hydra.sweeper.max_batch_size=1"],
    ) as returns:
        [first] = returns  # the runner yields the first batch's returns
        variables = first.return_value["script_run_config"].run_config.environment_variables
        assert variables == {"HYDRA_AZUREML_LAUNCHER_SWEEP_DIR": str(tmp_path / "batched")}
