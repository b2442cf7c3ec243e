"""`moonml --help`'s list of config groups: the packaged options and the user's own.

Hydra's $APP_CONFIG_GROUPS lists the internal schema/* groups too, and leaves out the folders
the primary config adds with hydra.searchpath (the project's own conf/): this resolver lists
the groups a user picks from through the search path the run itself composes with.
"""

from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.object_type import ObjectType
from omegaconf import OmegaConf

RESOLVER = "moonml_config_groups"
HIDDEN = ("hydra", "schema")


def _config_groups() -> str:
    loader = GlobalHydra.instance().config_loader()
    hydra_cfg = HydraConfig.get()
    # Given the config name (and a command-line hydra.searchpath), Hydra lists the options of the
    # search path that config extends.
    where = {"config_name": hydra_cfg.job.config_name, "overrides": list(hydra_cfg.overrides.hydra)}
    groups = [g for g in loader.get_group_options("", ObjectType.GROUP, **where) if g not in HIDDEN]
    lines = [f"  {group}: {', '.join(loader.get_group_options(group, **where))}\n" for group in groups]
    return "".join(lines)


def register_help_resolver() -> None:
    if not OmegaConf.has_resolver(RESOLVER):
        OmegaConf.register_new_resolver(RESOLVER, _config_groups)
