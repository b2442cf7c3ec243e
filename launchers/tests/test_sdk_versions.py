"""The launcher's `azure` extra allows exactly the SDK versions it was tested with where it uses
a function the SDK does not make public (sdk.TESTED), and the installed one is among them."""

from importlib.metadata import version

import tomllib
from azureml_launcher.sdk import TESTED
from launcher_helpers import HERE
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet


def test_the_tested_sdk_versions_are_the_declared_ones() -> None:
    project = tomllib.loads((HERE.parent / "pyproject.toml").read_text())["project"]
    declared = {
        Requirement(line).name: Requirement(line).specifier
        for line in project["optional-dependencies"]["azure"]
    }
    assert TESTED
    for package, tested in TESTED.items():
        assert declared[package] == SpecifierSet(tested), package
        assert version(package) in declared[package]
