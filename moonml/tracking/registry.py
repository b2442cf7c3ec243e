"""The model registry's hygiene: which runs get a version, and which version is the champion.

A run's objective (`moonml.objective` / `moonml.objective_direction` tags), its metrics and its
data fingerprint (`data.*` tags) are read from MLflow, so every decision here can be redone from
the store alone. The champion moves only to a version that strictly beats it on the same data.
It is a registry alias where the registry has aliases, else a version tag (AzureML's registry
has none): asked, not guessed from the URI. A run gets a version only when it takes the
champion (`tracking.register=champion`), decided before anything is registered, or always
(`tracking.register=always`); the outcome is one line for the console either way.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

from mlflow.artifacts import list_artifacts
from mlflow.entities import Run
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from moonml.config.objective import beats
from moonml.tracking.names import MODEL_PATH, SWEEP_TAG
from moonml.tracking.server_answers import DOES_NOT_EXIST, endpoint_missing

log = logging.getLogger(__name__)
OBJECTIVE_TAG = "moonml.objective"
DIRECTION_TAG = "moonml.objective_direction"
FINGERPRINT_PREFIX = "data."
# Where the registry has no aliases, the version holding `champion` carries this tag + alias.
ALIAS_TAG_PREFIX = "moonml.alias."
FORCE_HINT = "to register it anyway: tracking.register=always"


@dataclass
class Registration:
    """What registering a run came to: its version (None: not registered) and the line saying so."""

    version: ModelVersion | None
    message: str


def fingerprint(run: Run) -> dict[str, str]:
    return {k: v for k, v in run.data.tags.items() if k.startswith(FINGERPRINT_PREFIX)}


def objective_of(run: Run) -> tuple[str, str, float] | None:
    """(metric, direction, value) the run was trained for; None when it lacks any of them."""
    metric = run.data.tags.get(OBJECTIVE_TAG)
    direction = run.data.tags.get(DIRECTION_TAG, "maximize")
    if metric is None or metric not in run.data.metrics:
        return None
    return metric, direction, run.data.metrics[metric]


def best_run(runs: list[Run]) -> Run | None:
    """The run that is best by its objective (all runs of one sweep share it).

    A tie goes to the run that started first, as Hydra's sweepers give it to their first trial
    (exactly so where trials run one after another; a run starts when its train() starts).
    """
    best: tuple[Run, float] | None = None
    for run in sorted(runs, key=lambda r: (r.info.start_time, r.info.run_id)):
        objective = objective_of(run)
        if objective is None:
            continue
        _, direction, value = objective
        if best is None or beats(value, best[1], direction):
            best = (run, value)
    return best[0] if best else None


def sweep_runs(client: MlflowClient, experiment_id: str, sweep: str) -> list[Run]:
    """Every run of the experiment tagged as part of `sweep`, over all result pages."""
    # MLflow's filter strings have no escape character (o\'brien matched nothing): quote with the
    # quote the path lacks; with both, LIKE's `_` stands for each quote, and exact matches stay.
    if "'" not in sweep:
        condition = f"= '{sweep}'"
    elif '"' not in sweep:
        condition = f'= "{sweep}"'
    else:
        condition = "LIKE '" + "".join("_" if c in "'\"\\" else c for c in sweep) + "'"
    runs: list[Run] = []
    token = None
    while True:
        page = client.search_runs(
            [experiment_id], filter_string=f"tags.`{SWEEP_TAG}` {condition}", page_token=token
        )
        runs += [run for run in page if run.data.tags.get(SWEEP_TAG) == sweep]
        token = page.token
        if not token:
            return runs


def register_sweep_best(
    client: MlflowClient, experiment_name: str, sweep: str, name: str, alias: str | None, always: bool
) -> Registration | None:
    """Register the model of the sweep's best finished run, by the rule of `register_run`; None
    when the sweep has no such run.

    Doing it twice adds no version: a version of `name` from that run already is the answer,
    and it still gets the champion if it beats the holder (a first attempt may have stopped
    between the two).
    """
    experiment = client.get_experiment_by_name(experiment_name)
    if experiment is None:
        return None
    # Status is checked here, not in the filter: not every MLflow server filters on it.
    runs = [r for r in sweep_runs(client, experiment.experiment_id, sweep) if r.info.status == "FINISHED"]
    best = best_run(runs)
    if best is None:
        return None
    for version in all_versions(client, name):
        if version.run_id == best.info.run_id:
            message = f"the sweep's best run is {name} version {version.version} already"
            if alias:
                champion = find_champion(client, name, alias)
                if _refusal(client, champion, best, version.version) is None:
                    move_champion(client, champion, version.version)
                    message += f", now the champion ({champion.label})"
            return Registration(version, message)
    return register_run(client, name, best, *run_model_source(client, best), alias, always)


def run_model_source(client: MlflowClient, run: Run) -> tuple[str, str | None]:
    """(source, logged model id) of the model `run` logged as `model`.

    MLflow 3's logged model where the server has them; else the run's `model/` artifacts, as
    MLflow 2 logged models (MLflow 2.x servers, AzureML).
    """
    run_id = run.info.run_id
    try:
        models = client.search_logged_models(
            experiment_ids=[run.info.experiment_id],
            filter_string=f"source_run_id = '{run_id}' AND name = '{MODEL_PATH}'",
        )
    except MlflowException as err:
        if not endpoint_missing(err):
            raise
        models = []
    if models:
        return models[0].model_uri, models[0].model_id
    source = artifact_source(run)
    # Listed by the artifacts' own URI: listing `runs:/RUN/model` asks for logged models again.
    if "MLmodel" not in {
        Path(item.path).name for item in list_artifacts(artifact_uri=source, tracking_uri=client.tracking_uri)
    }:
        raise MlflowException(f"run {run_id} logged no model named '{MODEL_PATH}'")
    return source, None


def artifact_source(run: Run) -> str:
    """The run's `model/` artifacts, as the registry's source (what MLflow 2 registered)."""
    return f"{run.info.artifact_uri.rstrip('/')}/{MODEL_PATH}"


def register_run(
    client: MlflowClient,
    name: str,
    run: Run,
    source: str,
    model_id: str | None,
    alias: str | None,
    always: bool,
) -> Registration:
    """A new version of `name` from `run`'s model when it takes `alias` from the holder, or
    `always` (then it takes the alias only if it beats the holder); with no alias, always.

    Everything that can be decided is decided before the version exists; if moving the
    champion then fails, the version is removed again: no half-done registration stays.
    """
    champion = find_champion(client, name, alias) if alias else None
    refusal = _refusal(client, champion, run, None) if champion else None
    if refusal and not always:
        return Registration(None, f"not registered: {refusal}; {FORCE_HINT}")
    version = new_version(client, name, source, run.info.run_id, model_id)
    registered = f"registered {name} version {version.version}"
    if champion is None:
        return Registration(version, registered)
    if refusal:
        return Registration(version, f"{registered}, not the champion: {refusal}")
    try:
        move_champion(client, champion, version.version)
    except Exception:
        withdraw(client, version)
        raise
    return Registration(version, f"{registered} as the champion ({champion.label})")


def withdraw(client: MlflowClient, version: ModelVersion) -> None:
    """Delete a version just created, after a later step failed; say so if that fails too."""
    try:
        client.delete_model_version(version.name, version.version)
    except MlflowException as err:
        log.error("version %s of %s could not be removed again: %s", version.version, version.name, err)


def new_version(
    client: MlflowClient, name: str, source: str, run_id: str, model_id: str | None
) -> ModelVersion:
    """Register `source` as the next version of `name`, creating the name once.

    Through the client, never MLflow's process-wide tracking or registry URI.
    """
    try:
        client.create_registered_model(name)
    except MlflowException as err:
        if err.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
    return client.create_model_version(name, source=source, run_id=run_id, model_id=model_id)


@dataclass
class Champion:
    """Which version of `name` holds `alias`: a registry alias, or a version tag where the
    registry has no aliases (AzureML)."""

    name: str
    alias: str
    holder: ModelVersion | None
    by_tag: bool

    @property
    def tag(self) -> str:
        return ALIAS_TAG_PREFIX + self.alias

    @property
    def label(self) -> str:
        return f"{self.name}@{self.alias}"


def find_champion(client: MlflowClient, name: str, alias: str) -> Champion:
    """Where `name@alias` points; asking the registry tells whether it has aliases at all."""
    try:
        return Champion(name, alias, client.get_model_version_by_alias(name, alias), by_tag=False)
    except MlflowException as err:
        if endpoint_missing(err):
            return Champion(name, alias, _tagged_holder(client, name, ALIAS_TAG_PREFIX + alias), by_tag=True)
        if err.error_code in (DOES_NOT_EXIST, "INVALID_PARAMETER_VALUE"):
            return Champion(name, alias, None, by_tag=False)  # no version holds it (or no model yet)
        raise


def _tagged_holder(client: MlflowClient, name: str, tag: str) -> ModelVersion | None:
    # A move stopped between its two steps leaves two holders: the newer version is the champion.
    holders = [v for v in all_versions(client, name) if v.tags.get(tag) == "true"]
    return max(holders, key=lambda v: int(v.version), default=None)


def all_versions(client: MlflowClient, name: str) -> list[ModelVersion]:
    """Every version of `name`, over all result pages; none when there is no such model."""
    quoted = name.replace("'", "\\'")
    versions: list[ModelVersion] = []
    token = None
    while True:
        page = client.search_model_versions(f"name='{quoted}'", page_token=token)
        versions += page
        token = page.token
        if not token:
            return versions


def move_champion(client: MlflowClient, champion: Champion, version: str) -> None:
    """Give `version` the alias (or the tag, then take it from the versions that had it)."""
    if champion.by_tag:
        client.set_model_version_tag(champion.name, version, champion.tag, "true")
        for other in all_versions(client, champion.name):
            if str(other.version) != str(version) and champion.tag in other.tags:
                client.delete_model_version_tag(champion.name, other.version, champion.tag)
    else:
        client.set_registered_model_alias(champion.name, champion.alias, version)


def _refusal(client: MlflowClient, champion: Champion, candidate: Run, version: str | None) -> str | None:
    """Why `candidate` (version `version`, None if not registered yet) does not get the champion;
    None when it does.

    It does when no version holds it, when the holder's run is gone, or when it strictly beats
    the holder on the same data for the same objective.
    """
    holder = champion.holder
    if holder is None:
        return None
    holder_label = f"champion {champion.name} version {holder.version}"
    if version is not None and str(holder.version) == str(version):
        return f"it is the {holder_label} already"
    holder_run = _existing_run(client, holder.run_id)
    if holder_run is None:
        log.info("%s: the run of version %s is gone; it is replaced", champion.label, holder.version)
        return None
    if fingerprint(candidate) != fingerprint(holder_run):
        return (
            f"the {holder_label} was trained on other data (data.* tags differ); "
            "set another tracking.champion_alias for this data"
        )
    objective = objective_of(candidate)
    if objective is None:
        return f"the run has no objective metric to compare with the {holder_label}"
    metric, direction, value = objective
    incumbent = holder_run.data.metrics.get(metric)
    if incumbent is not None and not beats(value, incumbent, direction):
        return f"not better than {holder_label} ({metric} {value:.4f} vs {incumbent:.4f})"
    return None


def _existing_run(client: MlflowClient, run_id: str | None) -> Run | None:
    """The run, unless it was deleted (or deleted and garbage-collected, or never was)."""
    if not run_id:
        return None
    try:
        run = client.get_run(run_id)
    except MlflowException as err:
        if err.error_code == DOES_NOT_EXIST:
            return None
        raise
    return None if run.info.lifecycle_stage == "deleted" else run


def alias_version(client: MlflowClient, name: str, alias: str) -> str:
    """The version `name@alias` names, alias or tag; a clear error when no version holds it."""
    holder = find_champion(client, name, alias).holder
    if holder is None:
        raise MlflowException(f"no version of {name} holds {alias!r}", error_code=DOES_NOT_EXIST)
    return str(holder.version)
