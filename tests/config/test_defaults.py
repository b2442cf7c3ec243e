"""Each default lives in one place: the schema dataclass (moonml/config/schema.py).

An option YAML sets only what that option really sets differently; a default written again in
YAML would silently win over a later change of the schema's.
"""

import dataclasses
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from omegaconf import MISSING, OmegaConf

from moonml.config import schema
from moonml.config.compose import compose_config

CONF = Path(schema.CONFIG_DIR)
GROUPS = ("data", "model", "tracking", "compute", "environment")


def options() -> list[tuple[str, str]]:
    """(group, option) of every option YAML, and ("", "config") for conf/config.yaml."""
    found = [(group, path.stem) for group in GROUPS for path in sorted((CONF / group).glob("*.yaml"))]
    return [("", "config"), *found]


def option_file(group: str, option: str) -> Path:
    return CONF / group / f"{option}.yaml"


def schema_of(group: str, option: str) -> tuple[type, str]:
    """The schema dataclass an option pulls in, and the config key it lands at ("" for the root)."""
    text = option_file(group, option).read_text()
    for entry in yaml.safe_load(text)["defaults"]:
        if isinstance(entry, str) and entry.lstrip("/").startswith("schema/"):
            place, _, package = entry.lstrip("/").removeprefix("schema/").partition("@")
            at = group if package == "_here_" else package
            return schema.SCHEMAS[place], at
    raise AssertionError(f"{option_file(group, option)} pulls in no schema")


def explicit_values(group: str, option: str) -> dict[str, Any]:
    """What the option's YAML itself writes, by dotted key below the schema's place."""
    written = yaml.safe_load(option_file(group, option).read_text())
    written.pop("defaults", None)
    _, at = schema_of(group, option)
    if "@package _global_" in option_file(group, option).read_text() or not group:
        for part in filter(None, at.split(".")):
            written = written.get(part, {})
    return flatten(written)


def flatten(values: dict, prefix: str = "") -> dict[str, Any]:
    flat = {}
    for key, value in values.items():
        if isinstance(value, dict) and value:
            flat |= flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def schema_defaults(cls: type, prefix: str = "") -> dict[str, Any]:
    """Every leaf default of a schema by dotted key (MISSING where it has none), nested schemas included."""
    defaults = {}
    for field in dataclasses.fields(cls):
        if field.default_factory is not dataclasses.MISSING:
            made = field.default_factory()
            if dataclasses.is_dataclass(made):
                defaults |= schema_defaults(type(made), f"{prefix}{field.name}.")
            else:
                defaults[f"{prefix}{field.name}"] = made
        else:
            defaults[f"{prefix}{field.name}"] = field.default
    return defaults


def option_override(group: str, option: str) -> list[str]:
    return [f"{group}={option}"] if group else []


@pytest.mark.parametrize(("group", "option"), options())
def test_no_option_repeats_a_schema_default(group: str, option: str) -> None:
    cls, _ = schema_of(group, option)
    defaults = schema_defaults(cls)
    repeated = sorted(
        key
        for key, value in explicit_values(group, option).items()
        if key in defaults and defaults[key] is not MISSING and defaults[key] == value
    )
    assert repeated == [], f"{option_file(group, option)} repeats the schema's defaults of {repeated}"


def changed(value: Any, declared: Any) -> Any:
    """A value of the field's type that differs from `value`."""
    kinds = [t for t in typing.get_args(declared) if t is not type(None)] or [declared]
    kind = type(value) if value is not None else kinds[0]
    if typing.get_origin(kind) is list:
        return [*(value or []), "x_changed"]
    if kind is bool:
        return not value
    if kind is int:
        return (value or 0) + 7
    if kind is float:
        return (value or 0.0) + 0.05
    return f"{value or 'x'}_changed"


def scalar_fields(cls: type, prefix: str = "") -> list[tuple[str, Any]]:
    """(dotted key, declared type) of every leaf field with a plain default, nested schemas included."""
    hints = typing.get_type_hints(cls)
    found = []
    for field in dataclasses.fields(cls):
        if field.default_factory is not dataclasses.MISSING:
            made = field.default_factory()
            if dataclasses.is_dataclass(made):
                found += scalar_fields(type(made), f"{prefix}{field.name}.")
        elif field.default is not MISSING and hints[field.name] is not Any:
            found.append((f"{prefix}{field.name}", hints[field.name]))
    return found


def with_default(cls: type, key: str, value: Any) -> type:
    """A subclass of schema `cls` whose default at dotted `key` is `value`."""
    name, _, rest = key.partition(".")
    if rest:
        inner = with_default(
            type(next(f for f in dataclasses.fields(cls) if f.name == name).default_factory()), rest, value
        )
        new = dataclasses.field(default_factory=inner)
    elif isinstance(value, list):  # a dataclass takes a mutable default only from a factory
        new = dataclasses.field(default_factory=lambda: list(value))
    else:
        new = dataclasses.field(default=value)
    return dataclasses.make_dataclass(
        cls.__name__, [(name, typing.get_type_hints(cls)[name], new)], bases=(cls,)
    )


def cases() -> list[tuple[str, str, str, Any]]:
    found = []
    for group, option in options():
        cls, _ = schema_of(group, option)
        written, defaults = explicit_values(group, option), schema_defaults(cls)
        # Keys the option sets to a value of its own follow the option, not the schema.
        found += [
            (group, option, key, kind)
            for key, kind in scalar_fields(cls)
            if key not in written or written[key] == defaults[key]
        ]
    return found


@pytest.mark.parametrize(("group", "option", "key", "kind"), cases())
def test_the_composed_config_follows_a_changed_schema_default(
    group: str, option: str, key: str, kind: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cls, at = schema_of(group, option)
    place = next(place for place, known in schema.SCHEMAS.items() if known is cls)
    default = schema_defaults(cls)[key]
    new = changed(default, kind)
    monkeypatch.setitem(schema.SCHEMAS, place, with_default(cls, key, new))
    cfg = compose_config(option_override(group, option))
    full_key = f"{at}.{key}" if at else key
    assert unresolved(cfg, full_key) == new
    monkeypatch.undo()
    assert unresolved(compose_config(option_override(group, option)), full_key) == default


def unresolved(cfg: Any, key: str) -> Any:
    """The value at dotted `key` as written: a default may be an interpolation (tracking's names)."""
    value = OmegaConf.to_container(cfg, resolve=False)
    for part in key.split("."):
        value = value[part]
    return value
