"""launch(): compose each job, decide what ships, hand the jobs to a backend.

Everything that can be decided locally (command, target, environment, snapshot) is decided and
checked for every job before the first one is submitted, so a bad job in a sweep stops the
whole sweep before anything is uploaded.
"""

import dataclasses
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn, configure_log, setup_globals
from hydra.types import HydraContext
from omegaconf import DictConfig, open_dict

from azureml_launcher import command as _command
from azureml_launcher import environment as _environment
from azureml_launcher import inputs as _inputs
from azureml_launcher import job as _job
from azureml_launcher.contract import part_of_a_sweep
from azureml_launcher.errors import LauncherError
from azureml_launcher.sdk import SDKS, require_sdk
from azureml_launcher.sdk_logs import show_sdk_logs
from azureml_launcher.secret_variables import refuse_variables_read_from_the_environment
from azureml_launcher.snapshot import contents as _snapshot
from azureml_launcher.snapshot import wheels as _wheels

if TYPE_CHECKING:  # the plugin imports this module, never the other way round at run time
    from hydra_plugins.hydra_azureml_launcher.azureml_launcher import AzureMLLauncher

log = logging.getLogger(__name__)
BACKENDS = ("azureml", "local")


def launch(
    launcher: "AzureMLLauncher", job_overrides: Sequence[Sequence[str]], initial_job_idx: int
) -> Sequence[JobReturn]:
    setup_globals()
    assert launcher.config is not None and launcher.hydra_context is not None
    config = launcher.config
    configure_log(config.hydra.hydra_logging, config.hydra.verbose)
    show_sdk_logs()  # as hydra.verbose asks, which configure_log has just applied
    settings = launcher.settings
    backend = settings.get("backend")
    if backend not in BACKENDS:
        raise LauncherError(f"hydra.launcher.backend={backend!r}: choose one of {', '.join(BACKENDS)}")
    dry_run = bool(settings.get("dry_run"))
    sdk = settings.get("sdk")
    if sdk not in SDKS:
        raise LauncherError(f"hydra.launcher.sdk={sdk!r}: choose one of {', '.join(SDKS)}")
    if dry_run:
        # The dry run writes the run configuration (v2: the job) as the SDK itself derives it.
        require_sdk("hydra.launcher.dry_run=true", sdk)
    elif backend == "azureml":
        require_sdk("Submitting to AzureML", sdk)

    sweep_dir = Path(str(config.hydra.sweep.dir)).absolute()
    source_dir = Path(str(settings.get("source_dir") or os.getcwd())).absolute()
    entry = (
        _command.entry_from_setting(settings["command"])
        if settings.get("command")
        else _command.detect_entry(launcher.task_function, source_dir)
    )
    # An app installed from a file (not in the folder, not on an index) ships as wheels.
    installed = _wheels.installed_app(entry, source_dir)
    # The sweep dir often sits inside the project (multirun/...): never ship earlier results.
    snapshot = _snapshot.build(
        source_dir,
        entry,
        also_exclude=[sweep_dir],
        include=list(settings.get("include") or []),
        app_installed=installed is not None,
    )
    if installed is None:
        # Run from the wrong folder, the missing app says more than the snapshot's size.
        _command.check_entry_shipped(entry, snapshot.paths)
    _snapshot.check(
        snapshot,
        max_mb=float(settings["max_snapshot_mb"]),
        max_files=int(settings["max_snapshot_files"]),
        max_data_mb=float(settings["max_data_mb"]),
    )
    commit = _job.git_commit(source_dir)
    in_sweep = part_of_a_sweep(config)

    specs = [
        _make_spec(
            launcher.hydra_context,
            config,
            list(overrides),
            initial_job_idx + i,
            entry,
            source_dir,
            backend,
            dry_run,
            commit,
            in_sweep,
            installed.pins if installed else (),
        )
        for i, overrides in enumerate(job_overrides)
    ]
    sweep_dir.mkdir(parents=True, exist_ok=True)
    if installed is not None and (backend == "azureml" or dry_run):
        snapshot = _ship_wheels(installed, snapshot, sweep_dir, specs)
    log.info(
        "AzureML launcher (%s%s): %d job(s), snapshot of %s: %d files, %.1f MB, %d left out",
        backend,
        ", dry run" if dry_run else "",
        len(specs),
        source_dir,
        len(snapshot.files),
        snapshot.total_bytes / _snapshot.MB,
        len(snapshot.left_out),
    )
    if dry_run and sdk == "v2":
        from azureml_launcher.v2 import command_job as _v2

        return _v2.write_all(specs, snapshot, sweep_dir)
    if dry_run:
        from azureml_launcher.v1 import dry_run as _dryrun

        return _dryrun.write_all(specs, snapshot, sweep_dir)
    if backend == "local":
        from azureml_launcher import local as _local

        return _local.run_all(specs, snapshot, parallel=int(settings["local_parallel"]))
    if sdk == "v2":
        from azureml_launcher.v2 import submit as _submit_v2

        return _submit_v2.submit_all(specs, snapshot, settings)
    from azureml_launcher.v1 import submit as _submit

    return _submit.submit_all(specs, snapshot, settings)


def _make_spec(
    hydra_context: HydraContext,
    config: DictConfig,
    overrides: list[str],
    idx: int,
    entry: list[str],
    source_dir: Path,
    backend: str,
    dry_run: bool,
    commit: Optional[str],
    in_sweep: bool,
    pins: Sequence[str],
) -> _job.JobSpec:
    # The job's own composition, as Hydra's launchers do: a sweep over compute=... or
    # environment=... gives each job its own target and environment.
    sweep_config = hydra_context.config_loader.load_sweep_config(config, overrides)
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = f"{sweep_config.hydra.job.name}_{idx}"
        sweep_config.hydra.job.num = idx
    HydraConfig.instance().set_config(sweep_config)
    settings = _job.resolved_settings(sweep_config)
    job_dir = (Path(str(sweep_config.hydra.sweep.dir)) / str(sweep_config.hydra.sweep.subdir)).absolute()
    app = _job.app_name(entry)
    # A dry run checks everything a submission would, whatever the backend.
    ships = backend == "azureml" or dry_run

    target = settings.get("compute_target")
    if ships:
        refuse_variables_read_from_the_environment(sweep_config)
    if ships and not target:
        raise LauncherError(_no_target_message(hydra_context, config, overrides, sweep_config))
    env_vars = {str(k): str(v) for k, v in (settings.get("env_vars") or {}).items()}
    environment: Optional[_environment.EnvSpec] = None
    try:
        environment = _environment.spec_from_settings(
            settings.get("environment"), source_dir, app, env_vars, pins
        )
    except LauncherError:
        if ships:
            raise
        # The local backend runs in this interpreter: the environment only matters on AzureML.

    # On AzureML the run's ./outputs folder is uploaded with the run; locally the job writes
    # straight into its directory of the sweep, like any other Hydra launcher's job.
    run_dir = "outputs" if backend == "azureml" else str(job_dir)
    argv = _command.build_argv(
        entry, sweep_config, run_dir, settings.get("extra_overrides") or [], source_dir
    )
    task_overrides, _ = _command.job_overrides(sweep_config)
    version = _job.app_version(entry)
    tags = {
        "hydra_overrides": " ".join(task_overrides) or "(none)",
        "hydra_job": f"{sweep_config.hydra.job.name} #{idx}",
        "command": " ".join(argv[1:])[:1000],
        "app": app,
    }
    if version:
        tags["app_version"] = version
    if commit:
        tags["git_commit"] = commit
    display = f"{app} #{idx}" + (f" {' '.join(task_overrides)}" if task_overrides else "")
    return _job.JobSpec(
        idx=idx,
        overrides=overrides,
        sweep_config=sweep_config,
        hydra_cfg=_job.current_hydra_cfg(),
        job_dir=job_dir,
        argv=argv,
        settings=settings,
        compute_target=target,
        environment=environment,
        experiment_name=_job.experiment_name(settings.get("experiment_name"), app),
        display_name=display[:250],
        in_sweep=in_sweep,
        tags=tags,
        env_vars=env_vars,
        inputs=_inputs.specs_from_settings(settings.get("inputs")),
    )


def _ship_wheels(
    installed: _wheels.InstalledApp, snapshot: _snapshot.Snapshot, sweep_dir: Path, specs: list[_job.JobSpec]
) -> _snapshot.Snapshot:
    """The installed app's wheels, rebuilt under the sweep dir, added to the snapshot; each job
    installs them first."""
    folder = sweep_dir / "azureml_wheels"
    wheels = [_wheels.rebuild_wheel(dist, folder) for dist in installed.distributions]
    log.info("the app is installed, not in the folder: its wheels ship (%s)", ", ".join(installed.names))
    for spec in specs:
        spec.setup.append(_wheels.install_argv(wheels))
    added = tuple((f"{_wheels.WHEEL_DIR}/{wheel.name}", wheel) for wheel in wheels)
    return dataclasses.replace(snapshot, added=snapshot.added + added)


def _no_target_message(
    hydra_context: HydraContext, config: DictConfig, overrides: list[str], sweep_config: DictConfig
) -> str:
    choice = sweep_config.hydra.runtime.choices.get("compute")
    valid = _targeted_compute_options(hydra_context, config, overrides)
    if choice is not None:
        head = f"compute={choice} has no AzureML compute target (compute.target is null)"
    else:
        head = "no AzureML compute target: this app has no compute.target"
    if valid:
        fix = "choose one of: " + ", ".join(f"compute={o}" for o in valid)
    else:
        fix = "set hydra.launcher.compute_target=NAME (a compute cluster of the workspace)"
    return (
        f"hydra/launcher=azureml: {head}; {fix}, or run here without the azureml launcher, or "
        "run the shipped job here with hydra.launcher.backend=local"
    )


def _targeted_compute_options(
    hydra_context: HydraContext, config: DictConfig, overrides: list[str]
) -> list[str]:
    """Options of the app's `compute` group whose composed target is set."""
    loader = hydra_context.config_loader
    try:
        options = loader.get_group_options("compute")
    except Exception:  # no such group, or the loader cannot list it
        return []
    # The job's own compute=... choice is replaced by each option in turn.
    others = [o for o in overrides if _command.override_key(o) != "compute"]
    valid = []
    for option in options:
        try:
            composed = loader.load_sweep_config(config, [*others, f"compute={option}"])
        except Exception:  # an option that does not compose with this job is not a choice
            continue
        if composed.get("compute") and composed.compute.get("target"):
            valid.append(option)
    return valid
