"""The command a shipped job runs: how this app was started, plus the job's overrides.

The job replays exactly the composition the launcher saw: the job's own overrides, the Hydra
overrides that shape a single run (job name, logging, chdir, ...), the config name, and fixed
settings that make the remote process a plain single run with its outputs in `run_dir`.
"""

import re
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Optional

from omegaconf import DictConfig, OmegaConf

from azureml_launcher.errors import LauncherError

# Hydra overrides that belong to the launching process, not to the job: the launcher and
# sweeper, where the sweep writes, the mode, the job's index in the sweep.
NOT_REPLAYED = (
    "hydra/launcher",
    "hydra.launcher",
    "hydra/sweeper",
    "hydra.sweeper",
    "hydra.sweep",
    "hydra.run",
    "hydra.mode",
    "hydra.job.num",
    "hydra.job.id",
)
_PLAIN_VALUE = re.compile(r"[\w/.\-:@%+~]*")


def override_key(override: str) -> str:
    key = override.split("=", 1)[0]
    return key.lstrip("+~")


def is_replayed_hydra_override(override: str) -> bool:
    key = override_key(override)
    return not any(key == prefix or key.startswith(prefix + ".") for prefix in NOT_REPLAYED)


def hydra_value(value: str) -> str:
    """value as a Hydra override value: quoted if it has characters the grammar reserves."""
    if _PLAIN_VALUE.fullmatch(value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def detect_entry(task_function: Optional[Callable[..., Any]], source_dir: Path) -> list[str]:
    """argv that starts this app again from the project root: ["python", "-m", pkg] or a script.

    How this process was started says it, wherever @hydra.main sits: `python -m pkg` leaves the
    main module's spec, a console script names its entry point, `python script.py` leaves
    sys.argv[0].
    """
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is not None and spec.name:
        return ["python", "-m", spec.name.removesuffix(".__main__")]
    # A console script whose entry point is pkg.__main__:main starts what `python -m pkg` does.
    module = _console_script_module(Path(sys.argv[0]).name) or getattr(task_function, "__module__", None)
    if module and module.endswith(".__main__"):
        return ["python", "-m", module.removesuffix(".__main__")]
    script = Path(sys.argv[0]).resolve()
    if module == "__main__" and script.suffix == ".py" and script.is_file():
        try:
            relative = script.relative_to(source_dir.resolve())
        except ValueError:
            raise LauncherError(
                f"the app's script {script} is not inside the shipped project "
                f"{source_dir}: run it from the project root or set "
                "hydra.launcher.source_dir"
            ) from None
        return ["python", relative.as_posix()]
    raise LauncherError(
        f"cannot tell how to start this app again on the node (task function in module "
        f"{module!r}, sys.argv[0]={sys.argv[0]!r}); set hydra.launcher.command, "
        "e.g. hydra.launcher.command='python -m mypkg'"
    )


def _console_script_module(name: str) -> Optional[str]:
    """The module of the installed console script called `name`, if there is one."""
    from importlib.metadata import entry_points

    found = entry_points(group="console_scripts", name=name)
    return next((entry.module for entry in found), None)


def entry_from_setting(command: str) -> list[str]:
    argv = shlex.split(command)
    if not argv:
        raise LauncherError("hydra.launcher.command is empty")
    return argv


def check_entry_shipped(entry: Sequence[str], shipped: set[str]) -> None:
    """Fail early when the snapshot lacks the module or script the command starts."""
    if len(entry) >= 3 and entry[1] == "-m":
        top = entry[2].split(".")[0]
        if any(p.startswith(top + "/") for p in shipped) or f"{top}.py" in shipped:
            return
        raise LauncherError(
            f"the shipped project does not contain {top!r} (started as `{shlex.join(entry)}`): "
            "run from the project root, or set hydra.launcher.source_dir, or check .amlignore"
        )
    scripts = [a for a in entry[1:] if a.endswith(".py")]
    for script in scripts[:1]:
        if script not in shipped:
            raise LauncherError(
                f"the shipped project does not contain {script}: check .amlignore and "
                "hydra.launcher.source_dir"
            )


def job_overrides(sweep_config: DictConfig) -> tuple[list[str], list[str]]:
    """(task overrides, replayed hydra overrides) of one job, as Hydra recorded them."""
    task = [str(o) for o in OmegaConf.to_container(sweep_config.hydra.overrides.task)]  # type: ignore[union-attr]
    hydra = [
        str(o)
        for o in OmegaConf.to_container(sweep_config.hydra.overrides.hydra)  # type: ignore[union-attr]
        if is_replayed_hydra_override(str(o))
    ]
    return task, hydra


def config_dirs(sweep_config: DictConfig, source_dir: Path) -> list[str]:
    """--config-dir folders given on the command line, relative to the shipped project."""
    dirs = []
    for source in sweep_config.hydra.runtime.config_sources or []:
        if source.provider != "command-line" or source.schema != "file":
            continue
        path = Path(str(source.path)).resolve()
        try:
            dirs.append(path.relative_to(source_dir.resolve()).as_posix())
        except ValueError:
            raise LauncherError(
                f"--config-dir {path} is outside the shipped project {source_dir}: move it into "
                "the project (or set hydra.launcher.source_dir to a folder holding both)"
            ) from None
    return dirs


def build_argv(
    entry: Sequence[str],
    sweep_config: DictConfig,
    run_dir: str,
    extra_overrides: Sequence[str],
    source_dir: Path,
) -> list[str]:
    task, hydra = job_overrides(sweep_config)
    config_name = sweep_config.hydra.job.config_name
    argv = list(entry)
    if config_name:
        argv.append(f"--config-name={config_name}")
    argv += [f"--config-dir={d}" for d in config_dirs(sweep_config, source_dir)]
    argv += task + list(extra_overrides) + hydra
    # A plain single run (whatever the app's config says about mode and launcher), writing
    # where the backend collects outputs: ./outputs on AzureML, the sweep's job dir locally.
    argv += ["hydra.mode=RUN", "hydra/launcher=basic", f"hydra.run.dir={hydra_value(run_dir)}"]
    return argv
