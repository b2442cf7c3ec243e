"""The config preflight: every problem of a composed config, reported at once, before anything runs."""

from omegaconf import DictConfig

from moonml.azure import running_as_shipped_job
from moonml.config.model_checks import config_problems, seed_and_jobs_problems, value_problems
from moonml.config.objective import objective_problems
from moonml.config.schema import added_key_problems
from moonml.data.moons import setting_problems
from moonml.errors import MoonmlError


def check_config(cfg: DictConfig) -> None:
    """Raise one MoonmlError listing every problem, rather than failing on the first."""
    problems = added_key_problems(cfg) + seed_and_jobs_problems(cfg) + config_problems(cfg.model)
    problems += value_problems(cfg.model) + objective_problems(cfg.objective)
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
    if problems:
        raise MoonmlError("invalid config:\n  " + "\n  ".join(problems))
