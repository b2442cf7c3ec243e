"""Every config problem is reported before anything leaves the machine (issue 20, item 4).

`train(cfg)` called in-process with a composed config: a bad model group and a tracking server
that is down, or one that would answer, must give the config error at once, without a probe.
"""

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from moonml.config.compose import compose_config
from moonml.errors import MoonmlError
from moonml.train import train

BAD_MODEL = ["model.cv=1", "model.scoring=most_accurate"]


@pytest.fixture
def listening_port() -> Iterator[tuple[int, list]]:
    """A real TCP port on 127.0.0.1 that records every connection made to it (and answers none)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    connections: list = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            connections.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], connections
    stop.set()
    thread.join(5)
    for connection in connections:
        connection.close()
    server.close()


def assert_config_error(err: MoonmlError) -> None:
    message = str(err)
    assert message.startswith("invalid config:"), message
    assert "model.cv: needs at least 2 folds, got 1" in message
    assert "model.scoring: 'most_accurate' is not a scikit-learn scorer name" in message
    assert "tracking" not in message and "unreachable" not in message


def test_config_problems_come_before_an_unreachable_server(tmp_path: Path) -> None:
    cfg = compose_config(["data=generated", "tracking.uri=http://127.0.0.1:9", *BAD_MODEL])
    started = time.monotonic()
    with pytest.raises(MoonmlError) as raised:
        train(cfg, output_dir=str(tmp_path / "run"))
    assert_config_error(raised.value)
    assert time.monotonic() - started < 5  # the server probe would retry for ~12 s
    assert not (tmp_path / "run").exists()


def test_no_connection_is_made_for_a_config_that_cannot_run(
    tmp_path: Path, listening_port: tuple[int, list]
) -> None:
    port, connections = listening_port
    cfg = compose_config(["data=generated", f"tracking.uri=http://127.0.0.1:{port}", *BAD_MODEL])
    with pytest.raises(MoonmlError) as raised:
        train(cfg, output_dir=str(tmp_path / "run"))
    assert_config_error(raised.value)
    time.sleep(0.5)  # a connection made at the last moment is accepted by now
    assert connections == []


def test_config_problems_come_before_the_azureml_workspace(tmp_path: Path) -> None:
    """tracking=azureml would look the workspace up (config.json, credentials, then the network)."""
    cfg = compose_config(["data=generated", "tracking=azureml", *BAD_MODEL])
    with pytest.raises(MoonmlError) as raised:
        train(cfg, output_dir=str(tmp_path / "run"))
    assert_config_error(raised.value)


def test_every_config_problem_is_in_the_one_error(tmp_path: Path) -> None:
    """Settings checked only once used (the tracking URI's kind, the AzureML SDK) are listed too."""
    cfg = compose_config(
        ["data=generated", "tracking.uri=htp://127.0.0.1:9", "azureml.sdk=v3", "seed=-1", *BAD_MODEL]
    )
    with pytest.raises(MoonmlError) as raised:
        train(cfg, output_dir=str(tmp_path / "run"))
    message = str(raised.value)
    assert "model.cv" in message and "model.scoring" in message and "seed: -1" in message
    assert "azureml.sdk='v3'" in message
    assert "the tracking URI (htp://...) is no kind of store MLflow tracks to" in message
