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


ZSH_DRIVER = r"""
zmodload zsh/zpty
zpty session 'zsh -f -i'
zpty -w session 'PS1="> "; source completion.zsh'
zpty -w -n session $'moonml data=g\t'
sleep 10
zpty -w -n session $'\x05 # end of line\n'
sleep 1
while zpty -r -t session chunk; do print -rn -- "$chunk"; done
zpty -d session
"""


@pytest.mark.skipif(shutil.which("zsh") is None, reason="no zsh here (apt-get install zsh)")
def test_the_readmes_zsh_lines_complete_overrides_on_tab(tmp_path: Path) -> None:
    """In a real interactive zsh (on a pseudo-terminal): the README's lines, `moonml data=g` and TAB.
    Hydra's `install=zsh` line alone failed there: `command not found: complete`."""
    readme = (REPO / "README.md").read_text()
    (lines,) = re.findall(r"^```zsh\n(.*?)^```", readme, re.MULTILINE | re.DOTALL)
    (tmp_path / "completion.zsh").write_text(lines)
    script = shutil.which("moonml", path=str(Path(sys.executable).parent))
    assert script, "the moonml console script is not installed"
    env = clean_env(PATH=f"{Path(script).parent}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(
        ["zsh", "-f", "-c", ZSH_DRIVER], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert "moonml data=generated # end of line" in result.stdout, result.stdout[-2000:]


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
