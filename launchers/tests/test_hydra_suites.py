"""Hydra's own launcher test suites, run against backend=local (real subprocesses).

The suites run task functions that live in the test process; a launcher that replays a command
runs an app instead, so LauncherTestSuite and BatchedSweeperTestSuite point the command at
suite_app/a_module.py: the same configs and job name as the suites' hydra.test_utils.a_module.
"""

import os
import re
import tempfile
from pathlib import Path

import pytest
from hydra.core.plugins import Plugins
from hydra.plugins.launcher import Launcher
from hydra.test_utils.launcher_common_tests import (
    BatchedSweeperTestSuite,
    IntegrationTestSuite,
    LauncherTestSuite,
)
from hydra.test_utils.test_utils import integration_test
from hydra_plugins.hydra_azureml_launcher.azureml_launcher import AzureMLLauncher

SUITE_APP = Path(__file__).resolve().parent / "suite_app"

pytestmark = pytest.mark.e2e

LOCAL = [
    "hydra.launcher.backend=local",
    f"hydra.launcher.source_dir={SUITE_APP}",
    "hydra.launcher.command='python a_module.py'",
]


def test_discovered_by_hydra() -> None:
    found = {f"{c.__module__}.{c.__name__}" for c in Plugins.instance().discover(Launcher)}
    assert f"{AzureMLLauncher.__module__}.AzureMLLauncher" in found


@pytest.mark.parametrize("launcher_name, overrides", [("azureml", LOCAL)])
class TestAzureMLLauncherLocal(LauncherTestSuite):
    @pytest.mark.skip(
        reason="cannot apply: the resolver is registered in the test process and the task "
        "function's return value is asserted; a replayed command runs in another process"
    )
    def test_sweep_with_custom_resolver(  # type: ignore[override]
        self, launcher_name: str, overrides: list[str]
    ) -> None:
        pass


@pytest.mark.parametrize(
    "launcher_name, overrides",
    [("azureml", [*LOCAL, "hydra/sweeper=basic", "hydra.sweeper.max_batch_size=2"])],
)
class TestAzureMLLauncherBatched(BatchedSweeperTestSuite):
    pass


@pytest.mark.parametrize(
    "task_launcher_cfg, extra_flags",
    [({}, ["-m", "hydra/launcher=azureml", "hydra.launcher.backend=local"])],
)
class TestAzureMLLauncherIntegration(IntegrationTestSuite):
    # The job starts from its snapshot, a fresh temporary copy of the project, as it starts from
    # the uploaded snapshot on AzureML: its original working directory is that copy, not the
    # directory the launcher ran in. These two suite tests assert the opposite, so they are
    # replaced by tests of what a shipped job does see.
    def test_get_orig_dir_multirun(
        self, tmpdir: Path, task_launcher_cfg: dict, extra_flags: list[str]
    ) -> None:
        out = Path(str(tmpdir)) / "output.txt"
        integration_test(
            tmpdir=Path(str(tmpdir)),
            task_config={},
            overrides=extra_flags,
            prints="hydra.utils.get_original_cwd()",
            expected_outputs=None,  # type: ignore[arg-type]
            prolog="import hydra.utils",
        )
        orig = out.read_text().strip()
        assert orig != os.path.realpath(str(tmpdir))
        assert re.fullmatch(
            re.escape(os.path.realpath(tempfile.gettempdir())) + r"/azureml-local-\w+/0",
            os.path.realpath(orig),
        ), orig

    def test_to_absolute_path_multirun(
        self, tmpdir: Path, task_launcher_cfg: dict, extra_flags: list[str]
    ) -> None:
        out = Path(str(tmpdir)) / "output.txt"
        integration_test(
            tmpdir=Path(str(tmpdir)),
            task_config={},
            overrides=[*extra_flags, "hydra.job.chdir=True"],
            prints=["hydra.utils.to_absolute_path('foo/bar')", "os.getcwd()"],
            expected_outputs=None,  # type: ignore[arg-type]
            prolog="import hydra.utils",
        )
        absolute, cwd = out.read_text().splitlines()
        # Relative paths resolve against the snapshot; the job still runs in its sweep dir.
        assert "/azureml-local-" in absolute and absolute.endswith("/0/foo/bar")
        assert Path(cwd).parent.parent.parent == Path(str(tmpdir)) / "multirun"
