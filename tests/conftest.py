"""Fixtures every test folder shares: real MLflow servers, MLflow's URIs kept inside their test, an
offline AzureML workspace, and the check that a test starting processes is marked e2e."""

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.azureml_like_mlflow import AzureMLLikeMlflow
from tests.helpers import END_TO_END_COMMAND, mlflow_2_python, start_mlflow_server, stop, this_mlflow

SERVER_FIXTURES = {"mlflow_server", "mlflow_2_server", "azureml_like_mlflow"}


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A server fixture starts before any function fixture: checked here, before fixtures run."""
    servers = SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ()))
    if servers and item.get_closest_marker("e2e") is None:
        pytest.fail(f"{item.nodeid} uses {', '.join(sorted(servers))}: mark it e2e", pytrace=False)


@pytest.fixture(autouse=True)
def processes_only_in_e2e_tests(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail a test that starts moonml, a server or an install without the e2e marker, so that the
    marker keeps selecting exactly the end-to-end tests and the everyday run stays quick."""
    if request.node.get_closest_marker("e2e") is not None:
        return
    popen_init = subprocess.Popen.__init__

    def checked_init(self: subprocess.Popen, args, *rest, **kwargs) -> None:
        words = [args] if isinstance(args, (str, bytes, os.PathLike)) else args
        command = " ".join(os.fsdecode(word) for word in words)
        if END_TO_END_COMMAND.search(command):
            pytest.fail(f"{request.node.nodeid} runs `{command[:120]}`: mark it e2e", pytrace=False)
        popen_init(self, args, *rest, **kwargs)

    monkeypatch.setattr(subprocess.Popen, "__init__", checked_init)


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `mlflow server` (the installed MLflow 3) on 127.0.0.1, stopped after the session."""
    root = tmp_path_factory.mktemp("mlflow-server")
    url, server = start_mlflow_server(this_mlflow(), root, "--artifacts-destination", str(root / "artifacts"))
    yield url
    stop(server)


@pytest.fixture(scope="session")
def mlflow_2_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real MLflow 2.22 `mlflow server` (no logged-models API), artifacts served through it."""
    root = tmp_path_factory.mktemp("mlflow-2-server")
    command = [str(mlflow_2_python()), "-m", "mlflow"]
    url, server = start_mlflow_server(command, root, "--artifacts-destination", str(root / "artifacts"))
    yield url
    stop(server)


@pytest.fixture(scope="session")
def azureml_like_mlflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzureMLLikeMlflow]:
    """AzureML's MLflow surface as reported: a real MLflow 3 server behind a proxy that answers
    404 for the logged-models and registered-model alias endpoints. Artifacts go to the run's
    artifact location directly (a folder here, blob storage there), not through the API."""
    root = tmp_path_factory.mktemp("azureml-like-mlflow")
    upstream, server = start_mlflow_server(
        this_mlflow(), root, "--default-artifact-root", str(root / "artifacts"), "--no-serve-artifacts"
    )
    with AzureMLLikeMlflow.serving(upstream, root) as proxy:
        yield proxy
    stop(server)


# Where MLflow keeps its process-wide URIs (checked against mlflow 3.15). A CLI sets them, as its
# process ends with it; in-process tests must not hand them (or the variables that carry them to
# subprocesses) to the tests that follow.
MLFLOW_URI_GLOBALS = (
    ("mlflow.tracking._tracking_service.utils", "_tracking_uri"),
    ("mlflow.tracking._model_registry.utils", "_registry_uri"),
)
MLFLOW_URI_VARS = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


@pytest.fixture(autouse=True)
def mlflow_uris_stay_in_their_test() -> Iterator[None]:
    saved_env = {name: os.environ.get(name) for name in MLFLOW_URI_VARS}
    saved = {spec: getattr(sys.modules.get(spec[0]), spec[1], None) for spec in MLFLOW_URI_GLOBALS}
    yield
    for name, value in saved_env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    for (module_name, attribute), value in saved.items():
        module = sys.modules.get(module_name)
        if module is not None:
            setattr(module, attribute, value)


@pytest.fixture
def offline_workspace():
    """A real azureml-core Workspace built without any service call."""
    from azureml.core import Workspace
    from azureml.core.authentication import ServicePrincipalAuthentication

    from tests.helpers import SUBSCRIPTION

    auth = ServicePrincipalAuthentication("tenant", "client", "secret", cloud="AzureCloud")
    return Workspace(SUBSCRIPTION, "moon-rg", "moon-ws", auth=auth, _disable_service_check=True)
