"""The `azureml` settings of the composed moonml config, for commands that are not Hydra apps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from moonml.config.schema import CONFIG_DIR, register_schemas
from moonml.errors import MoonmlError


def load_azureml_settings(overrides: Sequence[str] = ()) -> Any:
    """cfg.azureml as `python -m moonml` would see it, with the same overrides (azureml.*=...)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    register_schemas()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            cfg = compose(config_name="config", overrides=list(overrides))
        # Resolve now (env vars included) so a bad value is reported here, by name.
        return OmegaConf.create(OmegaConf.to_container(cfg.azureml, resolve=True))
    except (HydraException, OmegaConfBaseException) as err:
        detail = "; ".join(line.strip() for line in str(err).splitlines() if line.strip())
        raise MoonmlError(f"bad config override ({' '.join(overrides)}): {detail}") from None
    finally:
        GlobalHydra.instance().clear()
