"""One job as it ships: its command, target, environment, names and tags, all decided locally."""

import copy
import re
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Optional

from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn, JobStatus
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from azureml_launcher.contract import SWEEP_DIR_VAR
from azureml_launcher.environment import EnvSpec
from azureml_launcher.inputs import InputSpec


@dataclass
class JobSpec:
    idx: int
    overrides: list[str]  # the job's task overrides, as Hydra reports them
    sweep_config: DictConfig  # the job's composed config, hydra node included
    hydra_cfg: DictConfig  # HydraConfig of this job (for JobReturn.hydra_cfg)
    job_dir: Path  # the job's directory under the local sweep dir
    argv: list[str]  # the command on AzureML, "python" first
    settings: dict[str, Any]  # the launcher settings resolved against this job's config
    compute_target: Optional[str]
    environment: Optional[EnvSpec]
    experiment_name: str
    display_name: str
    in_sweep: bool  # one of several jobs (see part_of_a_sweep), not a run shipped on its own
    tags: dict[str, str] = field(default_factory=dict)
    env_vars: dict[str, str] = field(default_factory=dict)
    inputs: list[InputSpec] = field(default_factory=list)  # registered datasets attached to the run
    # Commands run before argv on AzureML (installing an installed app's shipped wheels); the
    # local backend skips them: the app is installed here already.
    setup: list[list[str]] = field(default_factory=list)

    @property
    def command(self) -> str:
        return self.shell_command()

    def shell_command(self, app_prefix: str = "") -> str:
        """The job's command line on AzureML: the setup, then the app (app_prefix before it)."""
        return " && ".join([*(shlex.join(argv) for argv in self.setup), app_prefix + shlex.join(self.argv)])

    @property
    def run_vars(self) -> dict[str, str]:
        """Variables of this run only: never part of an environment (its version would change)."""
        if not self.in_sweep:
            return {}
        return {SWEEP_DIR_VAR: str(Path(str(self.sweep_config.hydra.sweep.dir)).absolute())}

    def job_return(self, status: JobStatus, value: Any) -> JobReturn:
        ret = JobReturn()
        ret.overrides = list(self.overrides)
        task_cfg = copy.deepcopy(self.sweep_config)
        with read_write(task_cfg), open_dict(task_cfg):
            del task_cfg["hydra"]
        ret.cfg = task_cfg
        ret.hydra_cfg = self.hydra_cfg
        ret.working_dir = str(self.job_dir)
        ret.task_name = str(self.sweep_config.hydra.job.name)
        ret.status = status
        ret.return_value = value
        return ret


def app_name(entry: Sequence[str]) -> str:
    """A short name for the app: its package for `python -m pkg`, else the script's stem."""
    if len(entry) >= 3 and entry[1] == "-m":
        return entry[2].split(".")[0]
    scripts = [a for a in entry[1:] if a.endswith(".py")]
    return Path(scripts[0]).stem if scripts else "hydra-app"


def app_version(entry: Sequence[str]) -> Optional[str]:
    if len(entry) >= 3 and entry[1] == "-m":
        try:
            return version(entry[2].split(".")[0])
        except PackageNotFoundError:
            return None
    return None


def git_commit(source_dir: Path) -> Optional[str]:
    """HEAD of the project, with "+dirty" when the shipped files differ from it."""
    try:
        head = subprocess.run(
            ["git", "-C", str(source_dir), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(source_dir), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if dirty else head


def experiment_name(configured: Optional[str], app: str) -> str:
    # AzureML experiment names: letters, digits, '-', '_', up to 255, starting alphanumeric.
    name = re.sub(r"[^\w-]", "-", configured or app).strip("-_") or "hydra-app"
    return name[:255]


def current_hydra_cfg() -> DictConfig:
    cfg = HydraConfig.instance().cfg
    assert cfg is not None
    return copy.deepcopy(cfg)  # type: ignore[arg-type]


def resolved_settings(sweep_config: DictConfig) -> dict[str, Any]:
    """hydra.launcher resolved against this job's config (so compute=... sweeps work)."""
    settings = OmegaConf.to_container(sweep_config.hydra.launcher, resolve=True)
    assert isinstance(settings, dict)
    return settings
