"""The launcher's settings: `hydra/launcher=azureml` selects them, `hydra.launcher.<field>=...` sets one.

App settings are read through documented conventions (`compute.target`, `environment`,
`azureml`, `tracking.experiment_name`) with `oc.select` defaults, so any Hydra app works; an app
without those keys sets the `hydra.launcher.*` fields directly.
"""

from dataclasses import dataclass, field
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf


@dataclass
class AzureMLLauncherConf:
    _target_: str = "hydra_plugins.hydra_azureml_launcher.azureml_launcher.AzureMLLauncher"

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

    # AzureML compute target name; read per job, so a sweep over compute groups works.
    compute_target: Optional[str] = "${oc.select:compute.target,null}"
    # The job's Python environment: {type: pip|docker|registered, ...}; see the README.
    environment: Any = "${oc.select:environment,null}"
    # Workspace settings handed to workspace.connect (config_path, subscription_id, ..., timeout_s).
    workspace: Any = "${oc.select:azureml,null}"
    # Experiment the runs are filed under; None: the app's name.
    experiment_name: Optional[str] = "${oc.select:tracking.experiment_name,null}"
    # sdk=v2: registered data mounted as a job input when `source` is azureml ({name, version}).
    data: Any = "${oc.select:data,null}"

    # Project root shipped as the run's source_directory (filtered, see _snapshot.py); None: the
    # working directory Hydra was started from (hydra.runtime.cwd, which is not yet set when
    # Hydra instantiates the launcher, hence no interpolation here).
    source_dir: Optional[str] = None
    # Entry of the replayed command, e.g. "python -m mypkg"; None: how this process was started.
    command: Optional[str] = None
    # Appended to every job's command, e.g. ["tracking=azureml"].
    extra_overrides: list[str] = field(default_factory=list)
    # Extra environment variables of the job (merged into the AzureML environment definition).
    env_vars: dict[str, str] = field(default_factory=dict)

    # Refuse a snapshot above AzureML's limits before uploading anything.
    max_snapshot_mb: float = 300.0
    max_snapshot_files: int = 2000
    # Data files (csv, parquet, ...) above this size must be a registered dataset instead.
    max_data_mb: float = 10.0

    # JSON file the app writes in its output dir; local backend returns its content as metrics.
    metrics_file: str = "metrics.json"
    # local backend: jobs run at the same time.
    local_parallel: int = 1


PROMOTE_CALLBACK = "hydra_plugins.hydra_azureml_launcher._promote.PromoteRunToMultirun"


def _node() -> Any:
    # Launchers only run in multirun mode, yet `hydra/launcher=azureml` without -m must submit.
    # Setting hydra.mode here does not work (the hydra config's own _self_ comes later and
    # resets it), but callbacks merge additively: the node brings a callback that turns a
    # single run into a one-job multirun before the task would run in this process.
    return OmegaConf.create(
        {
            "hydra": {
                "launcher": OmegaConf.structured(AzureMLLauncherConf),
                "callbacks": {"azureml_launcher_promote": {"_target_": PROMOTE_CALLBACK}},
            }
        }
    )


ConfigStore.instance().store(
    group="hydra/launcher",
    name="azureml",
    node=_node(),
    package="_global_",
    provider="hydra_azureml_launcher",
)
