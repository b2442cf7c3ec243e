"""The job's AzureML Environment, from the app's `environment` settings.

Three kinds: pip (AzureML builds an image from a requirements file), docker (an image with
user-managed dependencies), registered (an environment that already exists in the workspace).
pip and docker definitions are named by a hash of their content, so an unchanged definition
maps to the same name and version and AzureML reuses the image it built before.
"""

import hashlib
import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from azureml_launcher.errors import LauncherError
from azureml_launcher.snapshot import wheels as _wheels

KINDS = ("pip", "docker", "registered")
# Environment() and from_pip_requirements add this placeholder; it would land in every job.
_SDK_PLACEHOLDER_VARS = ("EXAMPLE_ENV_VAR",)


@dataclass(frozen=True)
class EnvSpec:
    kind: str
    name: str
    version: Optional[str]  # None for a registered environment: its latest version
    definition: dict[str, Any] = field(default_factory=dict)  # what the hash covers
    requirements_path: Optional[Path] = None  # pip only

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, **self.definition}

    @property
    def env_vars(self) -> dict[str, str]:
        return dict(self.definition.get("env_vars", {}))


def content_version(definition: Mapping[str, Any]) -> str:
    blob = json.dumps(definition, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def spec_from_settings(
    settings: Optional[Mapping[str, Any]],
    source_dir: Path,
    app_name: str,
    env_vars: Mapping[str, str],
    pins: Sequence[str] = (),
) -> EnvSpec:
    """The job's environment; `pins` (name==version) are what the app's shipped wheels require,
    added to a pip environment's requirements file (which may then be absent)."""
    if not settings:
        raise LauncherError(
            "no environment for the job: give the app an `environment` node, or set "
            "hydra.launcher.environment={type: pip, requirements: requirements.txt}"
        )
    kind = settings.get("type")
    if kind not in KINDS:
        raise LauncherError(
            f"environment type {kind!r} is not one of {', '.join(KINDS)} "
            "(set environment.type or hydra.launcher.environment.type)"
        )
    # Variables may come with the environment (environment.env_vars) and from the launcher.
    merged = {**(settings.get("env_vars") or {}), **env_vars}
    variables = {str(k): str(v) for k, v in sorted(merged.items())}
    if kind == "registered":
        name = settings.get("name")
        if not name:
            raise LauncherError("environment=registered needs environment.name=NAME")
        version = settings.get("version")
        return EnvSpec(
            "registered", str(name), None if version is None else str(version), {"env_vars": variables}
        )
    if kind == "docker":
        image = settings.get("image")
        if not image:
            raise LauncherError("environment=docker needs environment.image=REGISTRY/NAME:TAG")
        definition = {
            "type": "docker",
            "image": str(image),
            "registry": _registry(settings.get("registry")),
            "env_vars": variables,
        }
        return EnvSpec("docker", f"{app_name}-docker", content_version(definition), definition)
    requirements = Path(str(settings.get("requirements") or "requirements.txt"))
    path = requirements if requirements.is_absolute() else source_dir / requirements
    if not path.is_file() and not pins:
        raise LauncherError(f"environment=pip: requirements file {path} not found (environment.requirements)")
    listed = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    lines = [line.strip() for line in listed if line.strip() and not line.strip().startswith("#")]
    named = _wheels.requirement_names(lines)
    lines += [pin for pin in pins if _wheels.requirement_names([pin]).isdisjoint(named)]
    python = settings.get("python_version")
    if not python:
        # Not the submitting interpreter's: the job's image must suit the pins, not this machine.
        raise LauncherError(
            "environment=pip needs python_version: a Python version every pin of the "
            "requirements installs on (e.g. environment.python_version=3.11)"
        )
    definition = {
        "type": "pip",
        "python_version": str(python),
        "requirements": lines,
        "env_vars": variables,
    }
    return EnvSpec(
        "pip", f"{app_name}-pip", content_version(definition), definition, path if path.is_file() else None
    )


def _registry(settings: Optional[Mapping[str, Any]]) -> Optional[dict[str, Optional[str]]]:
    """Where a private image is pulled from: its registry address, and either the names of the
    variables holding a username and password or the client id of the identity that may pull
    (None: the workspace's own identity)."""
    if not settings or not settings.get("address"):
        return None
    fields = {
        key: settings.get(key) for key in ("address", "username_env", "password_env", "identity_client_id")
    }
    if bool(fields["username_env"]) != bool(fields["password_env"]):
        raise LauncherError("environment.registry: set both username_env and password_env, or neither")
    if fields["username_env"] and fields["identity_client_id"]:
        raise LauncherError(
            "environment.registry: pull either with a username and password or with an identity"
        )
    return {key: None if value is None else str(value) for key, value in fields.items()}


def registry_credentials(spec: EnvSpec, env: Mapping[str, str], reveal: bool) -> tuple[str, str]:
    """The registry's username and password, from the variables the registry settings name.

    Not revealed (dry run): placeholders naming the variables, so no secret is written.
    """
    registry = spec.definition["registry"]
    names = (registry["username_env"], registry["password_env"])
    if not reveal:
        return f"${{{names[0]}}}", f"${{{names[1]}}}"
    missing = [name for name in names if not env.get(name)]
    if missing:
        raise LauncherError(
            f"environment.registry {registry['address']}: {', '.join(missing)} not set (the "
            "registry's username and password, e.g. of an ACR token or service principal)"
        )
    return env[names[0]], env[names[1]]


def build(spec: EnvSpec, variables: Mapping[str, str], reveal: bool = True) -> Any:
    """The azureml.core Environment of a pip or docker spec (no network).

    `variables` (the process environment) holds the registry credentials; reveal=False (dry
    run) writes placeholders naming them instead.
    """
    from azureml.core import Environment

    if spec.kind == "pip":
        # From the cleaned lines the version hash covers: the SDK would keep comment lines
        # as pip "packages".
        with tempfile.TemporaryDirectory() as folder:
            cleaned = Path(folder) / "requirements.txt"
            cleaned.write_text("\n".join(spec.definition["requirements"]) + "\n", encoding="utf-8")
            env = Environment.from_pip_requirements(name=spec.name, file_path=str(cleaned))
        env.python.conda_dependencies.set_python_version(spec.definition["python_version"])
    elif spec.kind == "docker":
        env = Environment(name=spec.name)
        env.docker.base_image = spec.definition["image"]
        env.python.user_managed_dependencies = True
        registry = spec.definition["registry"]
        if registry is not None:
            target = env.docker.base_image_registry
            target.address = registry["address"]
            if registry["username_env"]:
                target.username, target.password = registry_credentials(spec, variables, reveal)
            elif registry["identity_client_id"]:
                from azureml.core.container_registry import RegistryIdentity

                target.registry_identity = RegistryIdentity()
                target.registry_identity.client_id = registry["identity_client_id"]
    else:
        raise ValueError("registered environments are fetched from the workspace: use fetch()")
    for var in _SDK_PLACEHOLDER_VARS:
        env.environment_variables.pop(var, None)
    env.version = spec.version
    env.environment_variables.update(spec.definition["env_vars"])
    return env


def fetch(spec: EnvSpec, workspace: Any) -> Any:
    """The registered environment, from the workspace (a network call: run under a deadline)."""
    from azureml.core import Environment

    return Environment.get(workspace, name=spec.name, version=spec.version)


def serialise(env: Any) -> dict[str, Any]:
    """The environment's definition as azureml-core serialises it (repr() is its JSON)."""
    return dict(json.loads(repr(env)))
