"""Secrets found by content in any file that would ship (detect-secrets): the submission is refused.

The fake secrets are made when the tests run, so that no scanner of this repository (and no push
protection) takes the test file itself for a leak.
"""

import base64
import json
import os
import random
import string
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from azureml_launcher.errors import LauncherError
from azureml_launcher.snapshot import contents as _snapshot
from azureml_launcher.snapshot import secret_scan as _secret_scan
from launcher_helpers import dry_run, git, needs_git, plant, shipped

RNG = random.Random(19)
ENTRY = ["python", "-m", "pkg"]
APP = {"pyproject.toml": "[project]\nname = 'pkg'\n", "pkg/__init__.py": "", "pkg/train.py": "print('hi')\n"}


def word(n: int) -> str:
    return "".join(RNG.choice(string.ascii_letters + string.digits) for _ in range(n))


def b64(n: int) -> str:
    return base64.b64encode(RNG.randbytes(n)).decode()


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


CLIENT_SECRET = f"{word(3)}8Q~{word(34)}"
PASSWORD = word(20)
JWT = ".".join(
    [
        b64url(b'{"alg":"HS256","typ":"JWT"}'),
        b64url(b'{"sub":"moon","iat":1767225600}'),
        b64url(RNG.randbytes(32)),
    ]
)
PEM = "-----BEGIN PRIVATE KEY-----\n" + b64(1200) + "\n-----END PRIVATE KEY-----\n"
IMAGE = b64(60_000)  # a plot in a notebook's output: high entropy, and no secret
NOTEBOOK = json.dumps(
    {
        "cells": [
            {
                "cell_type": "code",
                "source": ["plot(model)"],
                "outputs": [{"output_type": "display_data", "data": {"image/png": IMAGE}}],
            },
            {
                "cell_type": "code",
                "source": ["print(connection_string)"],
                "outputs": [
                    {
                        "output_type": "stream",
                        "name": "stdout",
                        "text": [
                            "DefaultEndpointsProtocol=https;AccountName=moonstore;"
                            f"AccountKey={b64(64)};EndpointSuffix=core.windows.net\n"
                        ],
                    }
                ],
            },
            {
                "cell_type": "code",
                "source": ["print(sas_url)"],
                "outputs": [
                    {
                        "output_type": "stream",
                        "name": "stdout",
                        "text": [
                            "https://moonstore.blob.core.windows.net/data/train.csv?sv=2022-11-02&ss=b"
                            "&srt=sco&sp=rl&se=2026-12-31T00:00:00Z&spr=https"
                            f"&sig={quote(b64(32), safe='')}\n"
                        ],
                    }
                ],
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    },
    indent=1,
)
GCP_KEY = json.dumps(
    {
        "type": "service_account",
        "project_id": "moon",
        "description": "x" * 9000,  # the key sits past the first 8 KB
        "private_key_id": RNG.randbytes(20).hex(),
        "private_key": PEM,
        "client_email": "moon@moon.iam.gserviceaccount.com",
    },
    indent=2,
)
KUBECONFIG = (
    "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n"
    "    server: https://moon.hcp.westeurope.azmk8s.io:443\n  name: moon\nusers:\n- name: clusterUser\n"
    f"  user:\n    client-key-data: {b64(600)}\n    token: {RNG.randbytes(32).hex()}\n"
)
# Issue 19, item 1: (file, content, a marker on the line of the finding, the kind detect-secrets names)
PLANTED = [
    (
        "settings.ini",
        f"[azure]\ntenant_id = moon\nclient_secret = {CLIENT_SECRET}\n",
        "client_secret",
        "Secret Keyword",
    ),
    ("app.yaml", f"service:\n  name: scorer\n  password: {PASSWORD}\n", "password", "Secret Keyword"),
    (
        "appsettings.json",
        json.dumps({"AzureAd": {"ClientId": "moon", "ClientSecret": CLIENT_SECRET}}, indent=2),
        "ClientSecret",
        "Secret Keyword",
    ),
    ("notebooks/analysis.ipynb", NOTEBOOK, "AccountKey=", "Azure Storage Account access key"),
    ("notebooks/analysis.ipynb", NOTEBOOK, "&sig=", "Azure Storage SAS signature"),
    (
        "sp.json",  # what `az ad sp create-for-rbac` prints
        json.dumps({"appId": "moon", "name": "ci", "password": CLIENT_SECRET, "tenant": "t"}, indent=2),
        "password",
        "Secret Keyword",
    ),
    (
        "docker-config.json",
        json.dumps({"auths": {"moonacr.azurecr.io": {"auth": b64(30)}}}, indent=2),
        '"auth"',
        "Base64 High Entropy String",
    ),
    ("token.txt", JWT + "\n", JWT[:10], "JSON Web Token"),
    (
        "scripts/train.sh",
        f"#!/bin/sh\nexport MLFLOW_TRACKING_USERNAME=moon\nexport MLFLOW_TRACKING_PASSWORD={PASSWORD}\n",
        "PASSWORD=",
        "Secret Keyword (unquoted)",
    ),
    ("gcp-sa.json", GCP_KEY, "BEGIN PRIVATE KEY", "Private Key"),
    ("cluster.yaml", KUBECONFIG, "client-key-data", "Base64 High Entropy String"),
    ("notes/key.txt", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n", "BEGIN", "Private Key"),
    ("pkg/client.py", f'API_KEY = "{word(32)}"\n', "API_KEY", "Secret Keyword"),
    ("pkg/github.py", f'token = "ghp_{word(36)}"\n', "ghp_", "GitHub Token"),
]


def finding(rel: str, content: str, marker: str, kind: str) -> str:
    """How the refusal names a finding: file:line (kind)."""
    line = next(i for i, text in enumerate(content.splitlines(), start=1) if marker in text)
    return f"{rel}:{line} ({kind})"


def refusal(project: Path) -> str:
    snapshot = _snapshot.build(project, ENTRY)
    with pytest.raises(LauncherError) as err:
        _snapshot.check(snapshot, max_mb=300, max_files=2000, max_data_mb=10)
    return str(err.value)


@pytest.mark.parametrize("rel, content, marker, kind", PLANTED, ids=[f"{p[0]}-{p[3]}" for p in PLANTED])
def test_a_secret_in_any_file_refuses_naming_it(
    tmp_path: Path, rel: str, content: str, marker: str, kind: str
) -> None:
    plant(tmp_path, {**APP, rel: content})
    message = refusal(tmp_path)
    assert finding(rel, content, marker, kind) in message
    assert "Remove each secret" in message
    assert "detect-secrets scan > .secrets.baseline" in message


@pytest.mark.parametrize(
    "rel, content",
    [
        ("notebooks/plot.ipynb", json.dumps({"outputs": [{"data": {"image/png": IMAGE}}]}, indent=1)),
        ("scripts/run.sh", "export MLFLOW_TRACKING_PASSWORD=$MLFLOW_PASSWORD\nTOKEN=${TOKEN}\n"),
        ("scripts/pragma.sh", f"export MLFLOW_TRACKING_PASSWORD={PASSWORD}  # pragma: allowlist secret\n"),
        ("pkg/code.py", "token = os.environ['MOON_TOKEN']\npassword = getpass()\n"),
        ("data/train.csv", "x1,x2,y\n" + "".join(f"{RNG.random()},{RNG.random()},1\n" for _ in range(500))),
    ],
    ids=["notebook-image", "shell-variables", "pragma", "code", "data"],
)
def test_what_is_no_secret_ships(tmp_path: Path, rel: str, content: str) -> None:
    plant(tmp_path, {**APP, rel: content})
    snapshot = _snapshot.build(tmp_path, ENTRY)
    _snapshot.check(snapshot, max_mb=300, max_files=2000, max_data_mb=10)
    assert rel in snapshot.paths


def test_a_scan_is_remembered_by_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, own_cache: Path
) -> None:
    """A second launch reads again only the files that changed; what was found is not forgotten."""
    rel, content, *_ = PLANTED[1]
    project = tmp_path / "project"
    plant(project, {**APP, rel: content})
    first = refusal(project)
    read: list[str] = []
    real = _secret_scan._scan_file
    monkeypatch.setattr(_secret_scan, "_scan_file", lambda rel: read.append(rel) or real(rel))
    assert refusal(project) == first and read == []
    plant(project, {"pkg/train.py": "print('changed')\n"})
    assert refusal(project) == first and read == ["pkg/train.py"]
    [remembered] = own_cache.iterdir()
    stale = own_cache / "secret-scan-0123456789abcdef.json"
    stale.write_text("{}")
    os.utime(stale, (0, 0))  # a project last launched long ago is forgotten
    refusal(project)
    assert list(own_cache.iterdir()) == [remembered]


def test_a_long_scan_says_what_it_reads(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    plant(tmp_path, {**APP, "notes/log.txt": "nothing secret here\n" * 20_000})
    snapshot = _snapshot.build(tmp_path, ENTRY)
    with caplog.at_level("INFO"):
        _snapshot.check(snapshot, max_mb=300, max_files=2000, max_data_mb=10)
        _snapshot.check(snapshot, max_mb=300, max_files=2000, max_data_mb=10)  # remembered: silent
    said = [r.getMessage() for r in caplog.records]
    assert said == ["reading 4 files (0.4 MB) for secrets (detect-secrets)"]


def test_the_baseline_settings_are_used(tmp_path: Path) -> None:
    """As `detect-secrets scan --exclude-files '^docs/'` wrote them: paths relative to the project,
    and a scan remembered under other settings is not reused."""
    project = tmp_path / "project"
    plant(project, {**APP, "docs/setup.yaml": PLANTED[1][1], "app.yaml": PLANTED[1][1]})
    assert "docs/setup.yaml:3 (Secret Keyword)" in refusal(project)
    baseline = {
        "version": "1.5.0",
        "plugins_used": [{"name": "KeywordDetector"}],
        "filters_used": [{"path": "detect_secrets.filters.regex.should_exclude_file", "pattern": ["^docs/"]}],
        "results": {},
    }
    (project / ".secrets.baseline").write_text(json.dumps(baseline))
    message = refusal(project)
    assert "app.yaml:3 (Secret Keyword)" in message and "docs/" not in message


@pytest.mark.e2e
@needs_git
def test_the_dry_run_refuses_every_planted_secret_in_one_line(tinyapp: Path, tmp_path: Path) -> None:
    plant(tinyapp, {rel: content for rel, content, _, _ in PLANTED})
    git(tinyapp, "init", "-q")
    git(tinyapp, "add", "-A")  # git-tracked files too
    sweep = tmp_path / "sweep"
    done = dry_run(tinyapp, sweep)
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr
    [line] = [text for text in done.stderr.splitlines() if "would ship" in text]
    for planted in PLANTED:
        assert finding(*planted) in line
    assert "detect-secrets scan > .secrets.baseline" in line
    assert PASSWORD not in done.stderr + done.stdout  # named, never printed
    assert not (sweep / "azureml_snapshot").exists()


@pytest.mark.e2e
@needs_git
def test_a_finding_accepted_in_the_baseline_ships(tinyapp: Path, tmp_path: Path) -> None:
    """The tool's own workflow: `detect-secrets scan > .secrets.baseline` accepts what it lists,
    unless an audit marked it a real secret."""
    plant(tinyapp, {"app.yaml": PLANTED[1][1], "pkg/client.py": PLANTED[-2][1]})
    git(tinyapp, "init", "-q")
    git(tinyapp, "add", "-A")
    scanned = subprocess.run(
        [sys.executable, "-m", "detect_secrets", "scan"],
        cwd=tinyapp,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    baseline = json.loads(scanned.stdout)
    assert set(baseline["results"]) == {"app.yaml", "pkg/client.py"}
    (tinyapp / ".secrets.baseline").write_text(scanned.stdout)
    sweep = tmp_path / "sweep"
    done = dry_run(tinyapp, sweep)
    assert done.returncode == 0, done.stderr
    assert {"app.yaml", "pkg/client.py"} <= shipped(sweep)

    baseline["results"]["app.yaml"][0]["is_secret"] = True  # audited: a real secret
    (tinyapp / ".secrets.baseline").write_text(json.dumps(baseline))
    done = dry_run(tinyapp, tmp_path / "again")
    assert done.returncode == 1
    assert "app.yaml:3 (Secret Keyword)" in done.stderr
    assert "pkg/client.py" not in done.stderr
