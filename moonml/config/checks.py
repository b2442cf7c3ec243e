"""The config preflight: every problem of a composed config, reported at once, before anything
runs or leaves the machine (the tracking server's probe, the AzureML workspace, a dataset download)."""

from omegaconf import DictConfig

from moonml.azure import running_as_shipped_job, running_in_azureml_job
from moonml.azure.v2 import uses_v2
from moonml.config.data_checks import table_problems
from moonml.config.model_checks import config_problems, seed_and_jobs_problems, value_problems
from moonml.config.objective import objective_problems
from moonml.config.schema import added_key_problems
from moonml.data.moons import setting_problems
from moonml.errors import MoonmlError
from moonml.tracking.names import naming_problems
from moonml.tracking.store_check import check_scheme
from moonml.tracking.uri import tracking_uri


def check_config(cfg: DictConfig) -> None:
    """Raise one MoonmlError listing every problem, rather than failing on the first."""
    problems = added_key_problems(cfg) + seed_and_jobs_problems(cfg) + config_problems(cfg.model)
    problems += value_problems(cfg.model) + objective_problems(cfg.objective) + table_problems(cfg.data)
    problems += naming_problems(cfg.tracking)
    if cfg.data.source == "generated":
        settings = (cfg.data.n_samples, cfg.data.noise, cfg.data.test_size, cfg.data.seed)
        problems += [
            f"data.{name}: {why}" for name, why in setting_problems(*settings, min_samples=20).items()
        ]
    if cfg.compute.target and not running_as_shipped_job():
        problems.append(
            f"compute.target={cfg.compute.target}: that compute is an AzureML cluster; submit with "
            "hydra/launcher=azureml, or train here with compute=local"
        )
    problems += _settings_checked_when_used(cfg)
    if len(problems) == 1:
        raise MoonmlError(f"invalid config: {problems[0]}")  # one problem, one line
    if problems:
        raise MoonmlError("invalid config:\n  " + "\n  ".join(problems))


def _settings_checked_when_used(cfg: DictConfig) -> list[str]:
    """The AzureML SDK and the tracking URI's kind, which their own code checks only on first use."""
    checks = [lambda: uses_v2(cfg.azureml)]
    # tracking=azureml asks the workspace for its URI: that call is the tracking session's.
    if cfg.tracking.backend == "mlflow" and not running_in_azureml_job():
        checks.append(lambda: check_scheme(tracking_uri(cfg.tracking, cfg.azureml)))
    problems = []
    for check in checks:
        try:
            check()
        except MoonmlError as err:
            problems.append(str(err))
    return problems
