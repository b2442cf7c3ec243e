"""`moonml --help` names the app, lists the groups a user picks from and the other commands."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, clean_env, run_moonml

pytestmark = pytest.mark.e2e  # `moonml --help` and bash completion: real processes


def user_groups() -> dict[str, str]:
    """Each group folder of conf/ (Hydra's own excepted) and its options, as help lists them."""
    folders = sorted(p for p in (REPO / "conf").iterdir() if p.is_dir() and p.name != "hydra")
    return {folder.name: ", ".join(sorted(f.stem for f in folder.glob("*.yaml"))) for folder in folders}


def test_help_names_moonml_its_groups_and_subcommands(tmp_path: Path) -> None:
    result = run_moonml("--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("moonml: ")
    assert "__main__" not in result.stdout and "schema" not in result.stdout
    groups = result.stdout.split("== Configuration groups ==")[1].split("== Other commands ==")[0]
    assert dict(re.findall(r"^  (\w+): (.+)$", groups, re.MULTILINE)) == user_groups()
    for subcommand in ("python -m moonml.data", "python -m moonml.model"):
        assert subcommand in result.stdout
    assert "--shell-completion install=bash" in result.stdout


def test_the_console_script_completes_overrides_in_bash(tmp_path: Path) -> None:
    """The install line from the README, then what bash does on TAB after `moonml data=g`."""
    script = shutil.which("moonml", path=str(Path(sys.executable).parent))
    assert script, "the moonml console script is not installed"
    session = (
        'eval "$(moonml --shell-completion install=bash)"; '
        'COMP_LINE="moonml data=g"; COMP_WORDS=(moonml data=g); COMP_CWORD=1; COMP_POINT=${#COMP_LINE}; '
        'hydra_bash_completion; echo "${COMPREPLY[@]}"'
    )
    env = clean_env(PATH=f"{Path(script).parent}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(
        ["bash", "-c", session], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["data=generated"], result.stderr


def test_bracketed_overrides_are_quoted_in_docs_and_help() -> None:
    """zsh (macOS's default shell) expands an unquoted key=[a,b] and refuses to run the command."""
    docs = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    texts = [*docs, *sorted((REPO / "conf").rglob("*.yaml"))]
    unquoted = [
        f"{path.relative_to(REPO)}: {word}"
        for path in texts
        for word in path.read_text().split()
        if "=[" in word and word.lstrip("`(")[:1] not in ("'", '"')
    ]
    assert unquoted == []
