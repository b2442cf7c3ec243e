"""requirements.txt (the shipped job's environment) stays inside what pyproject.toml declares:
the base dependencies and the `job` extra, not the `azure` one (the job needs no AzureML SDK)."""

import tomllib
from packaging.requirements import Requirement

from tests.helpers import REPO

# Not on an index: the job gets it from its snapshot (PYTHONPATH: launchers, conf/environment).
SHIPPED_WITH_THE_JOB = {"hydra-azureml-launcher"}


def declared() -> dict[str, Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    lines = project["dependencies"] + project["optional-dependencies"]["job"]
    reqs = {(req := Requirement(line)).name.lower(): req for line in lines}
    return {name: req for name, req in reqs.items() if name not in SHIPPED_WITH_THE_JOB}


def pinned() -> dict[str, Requirement]:
    lines = (REPO / "requirements.txt").read_text().splitlines()
    reqs = [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]
    return {req.name.lower(): req for req in reqs}


def test_every_runtime_dependency_is_pinned_exactly() -> None:
    pins = pinned()
    assert set(pins) == set(declared()), "requirements.txt and pyproject.toml list different packages"
    for name, req in pins.items():
        (spec,) = req.specifier
        assert spec.operator == "==", f"{name} is not pinned with =="


def test_pins_satisfy_the_declared_ranges() -> None:
    ranges = declared()
    for name, req in pinned().items():
        (spec,) = req.specifier
        assert ranges[name].specifier.contains(spec.version, prereleases=True), (
            f"requirements.txt pins {name}=={spec.version}, outside pyproject's {ranges[name].specifier}"
        )
        assert req.marker == ranges[name].marker, f"{name}: platform markers differ"


def test_the_base_install_needs_no_azure_package() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert not [line for line in project["dependencies"] if line.lower().startswith("azure")]
