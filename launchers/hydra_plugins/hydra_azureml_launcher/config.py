"""The launcher's settings: `hydra/launcher=azureml` selects them, `hydra.launcher.<field>=...` sets one.

App settings are read through documented conventions (`compute.target`, `environment`,
`azureml`, `tracking.experiment_name`, `objective.metric`, `data.azureml_inputs`) with
`oc.select` defaults, so any Hydra app works; an app without those keys sets the
`hydra.launcher.*` fields directly.

Hydra runs launchers only in multirun mode: run the app with -m, or let a config set
`hydra.mode: MULTIRUN` (a `# @package _global_` option that also selects this launcher ships a
run without -m).
"""

from dataclasses import dataclass, field
from typing import Any, Optional

from azureml_launcher.contract import LAUNCHER_TARGET
from hydra.core.config_store import ConfigStore


@dataclass
class AzureMLLauncherConf:
    _target_: str = LAUNCHER_TARGET

    # azureml: submit to the workspace; local: run the shipped snapshot and command here.
    backend: str = "azureml"
    # v1: azureml-core ScriptRunConfig runs; v2: azure-ai-ml command jobs (see the README).
    sdk: str = "${oc.select:azureml.sdk,v1}"
    # Write what would be submitted under the sweep dir and touch no network.
    dry_run: bool = False
    # Block until every run ends and return its metrics (for sweepers); false: return on submit.
    wait: bool = False
    # Seconds between status polls while waiting.
    poll_interval_s: float = 15.0
    # Give up waiting after this many seconds (None: wait as long as the runs take).
    wait_timeout_s: Optional[float] = None
    # Ctrl-C while waiting cancels the unfinished runs; false leaves them running (and prints their URLs).
    cancel_on_interrupt: bool = True

    # AzureML compute target name; read per job, so a sweep over compute groups works.
    compute_target: Optional[str] = "${oc.select:compute.target,null}"
    # The job's Python environment: {type: pip|docker|registered, ...}; see the README.
    environment: Any = "${oc.select:environment,null}"
    # Workspace settings handed to workspace.connect (config_path, subscription_id, ..., timeout_s).
    workspace: Any = "${oc.select:azureml,null}"
    # Experiment the runs are filed under; None: the app's name.
    experiment_name: Optional[str] = "${oc.select:tracking.experiment_name,null}"

    # Project root shipped as the run's source_directory (filtered, see the launcher's README);
    # None: the working directory Hydra was started from (hydra.runtime.cwd, which is not yet set
    # when Hydra instantiates the launcher, hence no interpolation here).
    source_dir: Optional[str] = None
    # Entry of the replayed command, e.g. "python -m mypkg"; None: how this process was started.
    command: Optional[str] = None
    # Paths/globs relative to source_dir shipped even if filtered out (never a symlink leading out).
    include: list[str] = field(default_factory=list)
    # Appended to every job's command, e.g. ["tracking=azureml"].
    extra_overrides: list[str] = field(default_factory=list)
    # Registered datasets attached to each run as named inputs: {input_name: {dataset: NAME,
    # version: N or null (latest), mode: mount|download, registered_with: v1|v2 (the SDK that
    # registered it; default v1)}}; on the node the variable <input_name>
    # holds the local path. Read from the app's data.azureml_inputs by convention.
    inputs: Any = "${oc.select:data.azureml_inputs,null}"
    # Extra environment variables of the job (merged into the AzureML environment definition).
    env_vars: dict[str, str] = field(default_factory=dict)

    # Slowest snapshot upload still deemed working: submitting waits timeout_s plus the
    # snapshot's size at this rate (300 MB: 10 more minutes).
    upload_mb_per_s: float = 0.5
    # Refuse a snapshot above AzureML's limits before uploading anything.
    max_snapshot_mb: float = 300.0
    max_snapshot_files: int = 2000
    # Files other than code above this size (compressed ones by their uncompressed size) must
    # be a registered dataset instead.
    max_data_mb: float = 10.0

    # JSON file the app writes in its output dir; local backend returns its content as metrics.
    metrics_file: str = "metrics.json"
    # The one metric each job returns, as a float, to the sweeper (Optuna & co.); a run without
    # it is a failed job. None: the job returns all its metrics (a dict).
    return_metric: Optional[str] = "${oc.select:objective.metric,null}"
    # local backend: jobs run at the same time.
    local_parallel: int = 1


ConfigStore.instance().store(
    group="hydra/launcher",
    name="azureml",
    node=AzureMLLauncherConf,
    package="hydra.launcher",
    provider="hydra_azureml_launcher",
)
