"""Which credentials are used for each environment, and the real azureml-core objects built."""

import os

import pytest
from azureml_launcher import api, workspace
from azureml_launcher.errors import LauncherError
from azureml_launcher.workspace import build_auth, choose_auth

SP = {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s"}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (SP, "service_principal"),
        ({**SP, "MSI_ENDPOINT": "http://169.254.1.1/token"}, "service_principal"),
        ({"MSI_ENDPOINT": "http://localhost:40001/token"}, "managed_identity"),
        ({"IDENTITY_ENDPOINT": "http://localhost:40001/token"}, "managed_identity"),
        # A client id alone names a user-assigned managed identity, not a service principal.
        ({"AZURE_CLIENT_ID": "c", "IDENTITY_ENDPOINT": "http://x"}, "managed_identity"),
        ({}, "cli"),
        ({"AZURE_CLIENT_ID": "c"}, "cli"),
    ],
)
def test_auto_picks_by_environment(env: dict[str, str], expected: str) -> None:
    assert choose_auth("auto", env, terminal=True) == expected
    assert choose_auth("auto", env, terminal=False) == expected  # auto never needs a person


@pytest.mark.parametrize("missing", sorted(SP))
def test_incomplete_service_principal_names_the_missing_variable(missing: str) -> None:
    env = {key: value for key, value in SP.items() if key != missing}
    with pytest.raises(LauncherError, match=f"{missing} not set"):
        choose_auth("service_principal", env, terminal=False)


@pytest.mark.parametrize("present", ["AZURE_TENANT_ID", "AZURE_CLIENT_SECRET"])
def test_auto_refuses_half_a_service_principal(present: str) -> None:
    # A tenant or secret without the rest is a mistake, not a reason to fall back to the CLI.
    with pytest.raises(LauncherError, match="service principal credentials incomplete"):
        choose_auth("auto", {present: "x", "AZURE_CLIENT_ID": "c"}, terminal=False)


@pytest.mark.parametrize("mode", ["interactive", "device_code"])
def test_interactive_kinds_only_with_a_terminal(mode: str) -> None:
    assert choose_auth(mode, {}, terminal=True) == mode
    with pytest.raises(LauncherError, match=f"azureml.auth={mode} needs a terminal"):
        choose_auth(mode, SP, terminal=False)


def test_explicit_modes_are_kept() -> None:
    assert choose_auth("managed_identity", {}, terminal=False) == "managed_identity"
    assert choose_auth("cli", SP, terminal=False) == "cli"


def test_unknown_mode() -> None:
    with pytest.raises(LauncherError, match=r"azureml.auth='browser' is not one of auto, service_"):
        choose_auth("browser", {}, terminal=True)


def test_service_principal_object() -> None:
    from azureml.core.authentication import ServicePrincipalAuthentication

    auth = build_auth("service_principal", SP)
    assert isinstance(auth, ServicePrincipalAuthentication)
    assert (auth._tenant_id, auth._service_principal_id) == ("t", "c")
    assert auth._cloud_type.name == "AzureCloud"


def test_managed_identity_object_user_and_system_assigned() -> None:
    from azureml.core.authentication import MsiAuthentication

    user = build_auth("managed_identity", {"AZURE_CLIENT_ID": "abc"})
    system = build_auth("managed_identity", {})
    assert isinstance(user, MsiAuthentication) and isinstance(system, MsiAuthentication)
    assert user._identity_config == {"client_id": "abc"}
    assert system._identity_config == {}


def test_cli_login_goes_through_azure_identity_with_arm_and_azureml_scopes(monkeypatch) -> None:
    """The `az` call leaves the machine, so the credential is the double: it records scopes."""
    from azure.core.credentials import AccessToken
    from azureml.core.authentication import TokenAuthentication

    scopes_asked: list[tuple[str, ...]] = []

    class FakeCliCredential:
        def get_token(self, *scopes: str) -> AccessToken:
            scopes_asked.append(scopes)
            return AccessToken(f"token-for-{scopes[0]}", 4102444800)

    monkeypatch.setattr("azure.identity.AzureCliCredential", FakeCliCredential)
    monkeypatch.setattr(workspace, "_CACHED_CREDENTIALS", {})
    auth = build_auth("cli", {})
    assert isinstance(auth, TokenAuthentication)
    assert auth.get_authentication_header() == {
        "Authorization": "Bearer token-for-https://management.core.windows.net//.default"
    }
    assert auth._get_azureml_client_token() == "token-for-https://ml.azure.com/.default"
    assert [scope[0] for scope in scopes_asked] == [
        "https://management.core.windows.net//.default",
        "https://ml.azure.com/.default",
    ]


def test_offline_workspace_is_real(offline_workspace) -> None:
    from azureml.core import Workspace

    assert isinstance(offline_workspace, Workspace)
    assert offline_workspace.name == "moon-ws"
    assert offline_workspace.resource_group == "moon-rg"


def test_connect_builds_the_workspace_from_config_json_with_picked_auth(tmp_path, monkeypatch) -> None:
    """Double at the Workspace boundary: the service check is the call that leaves the machine."""
    import json

    import azureml.core
    from azureml.core.authentication import ServicePrincipalAuthentication

    (tmp_path / "config.json").write_text(
        json.dumps({"subscription_id": "sub-9", "resource_group": "rg-9", "workspace_name": "ws-9"})
    )
    for key, value in SP.items():
        monkeypatch.setenv(key, value)
    built = []
    real = azureml.core.Workspace

    def offline(subscription_id, resource_group, workspace_name, auth):
        built.append(auth)
        return real(subscription_id, resource_group, workspace_name, auth=auth, _disable_service_check=True)

    monkeypatch.setattr(azureml.core, "Workspace", offline)
    ws = workspace.connect({"auth": "auto", "timeout_s": 5})
    assert (ws.subscription_id, ws.resource_group, ws.name) == ("sub-9", "rg-9", "ws-9")
    assert isinstance(built[0], ServicePrincipalAuthentication)
    assert built[0]._service_principal_id == "c"


def test_job_detection() -> None:
    job = {"AZUREML_RUN_ID": "run-1", "AZUREML_ARM_SUBSCRIPTION": "s"}
    assert api.running_in_azureml_job(job)
    assert not api.running_in_azureml_job({"AZUREML_RUN_ID": "run-1"})
    assert not api.running_in_azureml_job({})


@pytest.fixture
def fake_az(tmp_path, monkeypatch):
    """An `az` on PATH that logs each start and prints a token, as `az account get-access-token`."""
    monkeypatch.setattr(workspace, "_CACHED_CREDENTIALS", {})
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "az.log"
    script = bin_dir / "az"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{log}"\n'
        'echo "{\\"accessToken\\": \\"tok\\", \\"expires_on\\": $FAKE_AZ_EXPIRES_ON}"\n'
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")

    def starts() -> list[str]:
        return log.read_text().splitlines() if log.exists() else []

    return starts


def test_cli_tokens_are_cached_for_their_lifetime(fake_az, monkeypatch) -> None:
    """The real AzureCliCredential, its `az` a script: one start per scope while tokens live."""
    import time

    monkeypatch.setenv("FAKE_AZ_EXPIRES_ON", str(int(time.time()) + 3600))
    for _ in range(5):  # e.g. the dataset's and the tracking URI's workspace connections
        auth = build_auth("cli", {})
        assert auth.get_authentication_header() == {"Authorization": "Bearer tok"}
        assert auth._get_azureml_client_token() == "tok"
    assert len(fake_az()) == 2  # one for ARM, one for AzureML
    assert all(line.startswith("account get-access-token --output json") for line in fake_az())


def test_cli_tokens_about_to_expire_are_renewed(fake_az, monkeypatch) -> None:
    import time

    monkeypatch.setenv("FAKE_AZ_EXPIRES_ON", str(int(time.time()) + 60))  # within the margin
    auth = build_auth("cli", {})
    for _ in range(3):
        auth.get_authentication_header()
    assert len(fake_az()) == 3
