"""Compose moonml's config outside `python -m moonml` (the CLIs and tests use this)."""

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from moonml.config.schema import CONFIG_DIR, added_key_problems, register_schemas
from moonml.errors import MoonmlError


def compose_config(overrides: list[str] | None = None) -> DictConfig:
    """The config `python -m moonml` would run with these overrides (hydra node included)."""
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    register_schemas()
    try:
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            cfg = compose("config", overrides=overrides or [], return_hydra_config=False)
    except (HydraException, OmegaConfBaseException) as err:
        # Without overrides only moonml's own configs can be at fault (e.g. a folder not found).
        what = "bad override" if overrides else f"moonml's configs in {CONFIG_DIR}"
        raise MoonmlError(f"{what}: {err}") from None
    problems = added_key_problems(cfg)
    if problems:
        raise MoonmlError("bad override: " + "; ".join(problems))
    return cfg
