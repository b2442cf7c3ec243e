"""The model registry's hygiene: which runs get a version, and where the champion alias points.

A run's objective (`moonml.objective` / `moonml.objective_direction` tags), its metrics and its
data fingerprint (`data.*` tags) are read from MLflow, so every decision here can be redone from
the store alone. The champion moves only to a version that strictly beats it on the same data.
"""

import logging

from mlflow.entities import Run
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from moonml.objective import beats
from moonml.sweep import SWEEP_TAG

log = logging.getLogger(__name__)
OBJECTIVE_TAG = "moonml.objective"
DIRECTION_TAG = "moonml.objective_direction"
FINGERPRINT_PREFIX = "data."


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
    """The run that is best by its objective (all runs of one sweep share it)."""
    best: tuple[Run, float] | None = None
    for run in runs:
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
    client: MlflowClient, experiment_name: str, sweep: str, name: str, alias: str | None
) -> ModelVersion | None:
    """Register the model of the sweep's best finished run; None when the sweep has no such run.

    Doing it twice adds no version: a version of `name` from that run already is the answer.
    """
    experiment = client.get_experiment_by_name(experiment_name)
    if experiment is None:
        return None
    # Status is checked here, not in the filter: not every MLflow server filters on it.
    runs = [r for r in sweep_runs(client, experiment.experiment_id, sweep) if r.info.status == "FINISHED"]
    best = best_run(runs)
    if best is None:
        return None
    for version in client.search_model_versions(f"name='{name}'"):
        if version.run_id == best.info.run_id:
            log.info(
                "the sweep's best run %s is %s version %s already", best.info.run_name, name, version.version
            )
            return version
    version = register_run_model(client, name, best.info.run_id)
    log.info(
        "sweep's best run %s (%s) registered as %s version %s",
        best.info.run_name,
        best.info.run_id,
        name,
        version.version,
    )
    promote_if_better(client, name, version.version, alias)
    return version


def register_run_model(client: MlflowClient, name: str, run_id: str) -> ModelVersion:
    """A new version of `name` from the model the run logged as `model`."""
    run = client.get_run(run_id)
    models = client.search_logged_models(
        experiment_ids=[run.info.experiment_id],
        filter_string=f"source_run_id = '{run_id}' AND name = 'model'",
    )
    if not models:
        raise MlflowException(f"run {run_id} logged no model named 'model'")
    return new_version(client, name, models[0].model_uri, run_id, models[0].model_id)


def new_version(client: MlflowClient, name: str, source: str, run_id: str, model_id: str) -> ModelVersion:
    """Register `source` (a logged model) as the next version of `name`, creating the name once.

    Through the client, never MLflow's process-wide tracking or registry URI.
    """
    try:
        client.create_registered_model(name)
    except MlflowException as err:
        if err.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
    return client.create_model_version(name, source=source, run_id=run_id, model_id=model_id)


def promote_if_better(client: MlflowClient, name: str, version: str, alias: str | None) -> bool:
    """Point `alias` at `version` when no version holds it or the new one beats the holder.

    Only versions trained on the same data (equal `data.*` tags) and for the same objective
    metric are compared; otherwise the alias stays, with a message saying why.
    """
    if not alias:
        return False
    candidate_version = client.get_model_version(name, version)
    candidate = client.get_run(candidate_version.run_id)
    try:
        holder_version = client.get_model_version_by_alias(name, alias)
    except MlflowException:
        holder_version = None  # no version holds the alias yet
    if holder_version is not None:
        holder = client.get_run(holder_version.run_id)
        reason = _not_better_reason(candidate, holder)
        if reason:
            log.info("%s@%s stays version %s: %s", name, alias, holder_version.version, reason)
            return False
    client.set_registered_model_alias(name, alias, version)
    log.info("%s@%s is now version %s", name, alias, version)
    return True


def _not_better_reason(candidate: Run, holder: Run) -> str | None:
    """Why `candidate` may not take the alias from `holder`; None when it beats it."""
    if fingerprint(candidate) != fingerprint(holder):
        return "it was trained on other data (data.* tags differ); set another tracking.champion_alias"
    objective = objective_of(candidate)
    if objective is None:
        return "the new run has no objective metric"
    metric, direction, value = objective
    incumbent = holder.data.metrics.get(metric)
    if incumbent is not None and not beats(value, incumbent, direction):
        return f"{metric} {value:.4f} does not beat {incumbent:.4f}"
    return None
