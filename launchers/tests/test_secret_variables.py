"""Job variables read from the submitting machine's environment never ship: found as written."""

import pytest
from azureml_launcher.errors import LauncherError
from azureml_launcher.secret_variables import (
    refuse_variables_read_from_the_environment,
    variables_read_from_env,
)
from omegaconf import OmegaConf


def config(launcher_vars: dict, environment_vars: dict, **top: object) -> object:
    return OmegaConf.create(
        {
            **top,
            "environment": {"type": "pip", "env_vars": environment_vars},
            "hydra": {
                "launcher": {"environment": "${oc.select:environment,null}", "env_vars": launcher_vars}
            },
        }
    )


def test_direct_and_indirect_reads_are_found_and_plain_values_are_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MY_TOKEN", "a-value-nobody-may-see")
    cfg = config(
        {"A": "${oc.env:MY_TOKEN}", "B": "plain", "C": "${oc.env:MISSING_VAR,fallback}"},
        {"D": "${secrets.token}", "E": "${oc.select:secrets.plain,x}", "F": "prefix-${oc.env:MY_TOKEN}"},
        secrets={"token": "${oc.env:MY_TOKEN}", "plain": "no-secret"},
    )
    assert variables_read_from_env(cfg) == [
        ("A", "${oc.env:MY_TOKEN}"),
        ("C", "${oc.env:MISSING_VAR,fallback}"),
        ("D", "${oc.env:MY_TOKEN}"),
        ("F", "${oc.env:MY_TOKEN}"),
    ]


def test_the_refusal_is_one_line_naming_each_variable_and_no_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_TOKEN", "a-value-nobody-may-see")
    cfg = config({"A": "${oc.env:MY_TOKEN}"}, {"B": "${oc.env:MY_TOKEN}"})
    with pytest.raises(LauncherError) as err:
        refuse_variables_read_from_the_environment(cfg)
    message = str(err.value)
    assert "\n" not in message and "a-value-nobody-may-see" not in message
    assert message.startswith("job variable A reads the environment (${oc.env:MY_TOKEN}); B reads")
    assert "Key Vault" in message


def test_plain_variables_and_an_app_without_environment_pass() -> None:
    refuse_variables_read_from_the_environment(config({"PYTHONPATH": "launchers"}, {"X": "1"}))
    bare = OmegaConf.create({"hydra": {"launcher": {"environment": "${oc.select:environment,null}"}}})
    refuse_variables_read_from_the_environment(bare)
