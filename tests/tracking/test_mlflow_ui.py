"""The MLflow UI opens moonml's experiments on their runs, not on MLflow 3's GenAI overview (issue 21
item 5): the experiment tag MLflow 3 UIs read, and the address 3.15's UI follows, checked in a real
headless browser."""

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from moonml.tracking.mlflow_console import ui_page
from tests.helpers import start_mlflow_server, stop, this_mlflow, train_tracked

KIND = "mlflow.experimentKind"
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; `apt-get install -y chromium`


@pytest.mark.e2e  # whole tracked training runs, 5-18 s each: kept out of the everyday 5 minutes
def test_experiments_made_before_are_marked_machine_learning_unless_a_kind_was_chosen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (An experiment moonml creates is marked too: tests/tracking/test_run_datasets.py.)
    monkeypatch.chdir(tmp_path)
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=store)
    client.create_experiment("older")  # made before moonml set the tag (or by hand)
    client.create_experiment("chosen", tags={KIND: "genai_development"})
    for name in ("older", "chosen"):
        train_tracked(store, tmp_path / name, f"tracking.experiment_name={name}")

    kinds = {name: client.get_experiment_by_name(name).tags.get(KIND) for name in ("older", "chosen")}
    # The user's choice stays.
    assert kinds == {"older": "custom_model_development", "chosen": "genai_development"}


def rendered_text(url: str, profile: Path) -> str:
    """The page's text once MLflow's single-page app has rendered it in headless chromium."""
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",  # a new browser: nothing remembered from earlier visits
        "--virtual-time-budget=15000",  # without it, only the app's grey placeholders
        "--window-size=1400,1000",
        "--dump-dom",
        url,
    ]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=180, check=True).stdout
    text = re.sub(r"<(script|style)\b.*?</\1>|<[^>]+>", " ", dom, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(text))


@pytest.mark.e2e
@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)"
)
def test_the_mlflow_ui_opens_the_experiment_on_its_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # The store moonml wrote (server.db: the name start_mlflow_server serves).
    store = f"sqlite:///{tmp_path / 'server.db'}"
    train_tracked(store, tmp_path / "run", "seed=3", "tracking.experiment_name=moons")
    experiment_id = MlflowClient(tracking_uri=store).get_experiment_by_name("moons").experiment_id

    url, server = start_mlflow_server(
        this_mlflow(), tmp_path, "--artifacts-destination", str(tmp_path / "mlruns")
    )
    profile = tmp_path / "browser"
    try:
        text = rendered_text(ui_page(url, f"experiments/{experiment_id}"), profile)
    finally:
        stop(server)
        shutil.rmtree(profile, ignore_errors=True)

    assert "No data available" not in text, text[:1500]  # MLflow 3's GenAI overview
    assert "1 matching run" in text and "Run Name" in text, text[:1500]
    assert "seed=3" in text  # the run's name, in the runs table
