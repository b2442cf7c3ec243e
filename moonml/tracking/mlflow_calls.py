"""What the MLflow helper process runs (module-level functions, so that they can be sent there).

Every call names the run moonml opened by its id, through MlflowClient: MLflow's fluent API
would create a run of its own when none is active, which left stray runs RUNNING forever. A
failed call does not stop the later ones (a 404, a refused value: the rest can still be
recorded), except once the server stopped answering: each call would retry for seconds.
"""

import functools
import json
import logging
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd

from moonml.tracking.azureml import job_run_id
from moonml.tracking.datasets import Table
from moonml.tracking.names import MODEL_PATH
from moonml.tracking.server_answers import endpoint_missing, server_unreachable
from moonml.tracking.store_lock import store_lock

# skops refuses to load what it was not told to trust: scikit-learn's own internals that its
# classifiers hold (trees of forests and boosting, HistGradientBoosting's predictors, the MLP's
# optimisers), as skops.io.get_untrusted_types lists them for scikit-learn 1.9.
SKOPS_TRUSTED_TYPES = [
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
]

# MLflow 3's UI (3.4's, say) opens an experiment without this tag on its GenAI pages (traces, an
# empty overview); the value is what the UI writes itself when a user picks "Machine learning".
# 3.15's UI follows a per-browser switch instead (mlflow_console.ML_VIEW). MLflow 2 servers keep
# it as any experiment tag.
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
MACHINE_LEARNING = "custom_model_development"

log = logging.getLogger(__name__)

# This helper's run: its client and id once opened, the logged model's (source, logged model id),
# why the server is taken as gone.
_run: dict[str, Any] = {"client": None, "id": None, "model": None, "unreachable": None}

# What store errors mean, for the one line the user reads (SQLAlchemy's own first line can be
# an unrelated hint about autoflush).
_KNOWN_CAUSES = {
    "readonly database": "read-only database (the store's file or folder is not writable)",
    "file is not a database": "not an MLflow store (a damaged or foreign file)",
}
_NOISE = ("(raised as a result of", "(Background on this error")


def describe(err: BaseException) -> str:
    """One line saying what went wrong, from the error and the errors it was raised from."""
    chain, seen = [], set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        chain.append(err)
        err = getattr(err, "orig", None) or err.__cause__ or err.__context__
    for error in chain:
        for needle, meaning in _KNOWN_CAUSES.items():
            if needle in str(error):
                return meaning
    lines = [line for line in str(chain[0]).splitlines() if line.strip() and not line.startswith(_NOISE)]
    return lines[0].strip() if lines else type(chain[0]).__name__


def _one_line_errors(call: Callable) -> Callable:
    # The parent reports a single line; the full error stays attached for HYDRA_FULL_ERROR=1.
    @functools.wraps(call)
    def reported(*args: Any) -> Any:
        try:
            return call(*args)
        except Exception as err:
            raise RuntimeError(describe(err)) from err

    return reported


def quiet_helper_logs() -> None:
    # A failing call is reported once, by the parent; urllib3 would add a line per retry.
    logging.getLogger("urllib3").setLevel(logging.ERROR)


@_one_line_errors
def start_run(uri: str, experiment_name: str, run_name: str | None, started_s: float) -> tuple[str, str]:
    """Open the run (inside an AzureML job: the job's), dated `started_s`, when moonml's run began:
    this process gets to it only after importing MLflow, while the search may be long under way."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.tracking.context.registry import resolve_tags

    # log_model finds the store through the process-wide URI (and the run through its id).
    mlflow.set_tracking_uri(uri)
    # Opening a sqlite store (MlflowClient does it at once) creates or migrates it: one process
    # at a time. Creating the experiment under the same lock keeps parallel jobs from colliding
    # on its name.
    with store_lock(uri):
        client = MlflowClient(uri)
        run = _job_run(client) or client.create_run(
            _experiment_id(client, experiment_name),
            start_time=int(started_s * 1000),
            # MLflow's own tags (user, source, git commit), as mlflow.start_run sets them.
            tags=resolve_tags(),
            run_name=run_name,
        )
    _use_run(client, run.info.run_id, run.info.experiment_id)
    return run.info.run_id, run.info.experiment_id


def take_over_run(uri: str, run_id: str, experiment_id: str) -> None:
    """In a new helper process (moonml.tracking.helper): log into the run an earlier one opened.

    Not a one-line-error call: if it fails, every call after it fails with the reason.
    """
    import mlflow
    from mlflow import MlflowClient

    _run.update(id=run_id)
    try:
        mlflow.set_tracking_uri(uri)
        with store_lock(uri):
            client = MlflowClient(uri)
        _use_run(client, run_id, experiment_id)
    except Exception as err:
        _run["unreachable"] = f"a new helper process could not take the run over ({describe(err)})"
        raise


def _use_run(client: Any, run_id: str, experiment_id: str) -> None:
    import mlflow

    _run.update(client=client, id=run_id, model=None, unreachable=None)
    # log_model files the logged model under the active experiment (else Default): make it the
    # run's own, which inside an AzureML job is the one the job was filed under.
    mlflow.set_experiment(experiment_id=experiment_id)
    # Import what log_model needs now, while the parent searches the grid.
    import mlflow.sklearn
    import skops.io  # noqa: F401


def _job_run(client: Any) -> Any:
    # Inside an AzureML job the service made the run, filed under the experiment the submitter
    # chose: log into that one by id, never changing experiment.
    run_id = job_run_id()
    return client.get_run(run_id) if run_id else None


def _experiment_id(client: Any, name: str) -> str:
    from mlflow.exceptions import MlflowException

    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        try:
            return client.create_experiment(name, tags={EXPERIMENT_KIND_TAG: MACHINE_LEARNING})
        except MlflowException:
            # Another process created it meanwhile (a server's store takes no lock of ours).
            experiment = client.get_experiment_by_name(name)
            if experiment is None:
                raise
    if experiment.lifecycle_stage == "deleted":
        raise RuntimeError(
            f"experiment {name!r} is deleted in this store: restore it (mlflow experiments restore "
            f"--experiment-id {experiment.experiment_id}) or set tracking.experiment_name"
        )
    if EXPERIMENT_KIND_TAG not in experiment.tags:  # a kind the user chose stays
        _mark_machine_learning(client, experiment.experiment_id)
    return experiment.experiment_id


def _mark_machine_learning(client: Any, experiment_id: str) -> None:
    from mlflow.exceptions import MlflowException

    try:
        client.set_experiment_tag(experiment_id, EXPERIMENT_KIND_TAG, MACHINE_LEARNING)
    except MlflowException as err:
        # A hint for the UI: a store that refuses it (no write access to the experiment, say)
        # must not cost the run.
        log.warning(
            "experiment %s not marked as machine learning for MLflow's UI: %s", experiment_id, describe(err)
        )


@_one_line_errors
def log_call(method: str, *args: Any) -> None:
    """Make one logging call (`method`) against the open run, unless the server stopped answering."""
    if _run["id"] is None:
        raise RuntimeError("no MLflow run is open")
    if _run["unreachable"]:
        raise RuntimeError(f"not attempted: {_run['unreachable']}")
    try:
        _LOGGING_CALLS[method](_run["client"], _run["id"], *args)
    except Exception as err:
        if server_unreachable(err):
            _run["unreachable"] = f"the server stopped answering ({describe(err)})"
        raise


def _log_params(client: Any, run_id: str, params: dict[str, Any]) -> None:
    from mlflow.entities import Param

    client.log_batch(run_id, params=[Param(name, str(value)) for name, value in params.items()])


def _log_metrics(client: Any, run_id: str, metrics: dict[str, float]) -> None:
    from mlflow.entities import Metric

    now_ms = int(time.time() * 1000)
    client.log_batch(
        run_id, metrics=[Metric(name, float(value), now_ms, 0) for name, value in metrics.items()]
    )


def _set_tags(client: Any, run_id: str, tags: dict[str, str]) -> None:
    from mlflow.entities import RunTag

    client.log_batch(run_id, tags=[RunTag(name, str(value)) for name, value in tags.items()])


def _log_artifact(client: Any, run_id: str, path: str) -> None:
    client.log_artifact(run_id, path)


def _log_dict(client: Any, run_id: str, content: Any, name: str) -> None:
    client.log_dict(run_id, content, name)


def _log_tables(client: Any, run_id: str, tables: list[Table]) -> None:
    """The tables as the run's dataset inputs, as mlflow.log_input records a from_pandas dataset."""
    import mlflow.data
    from mlflow.entities import Dataset, DatasetInput, InputTag
    from mlflow.exceptions import MlflowException
    from mlflow.utils.mlflow_tags import MLFLOW_DATASET_CONTEXT

    inputs = []
    for table in tables:
        with warnings.catch_warnings():
            # Hints about integer columns and ambiguous local sources: nothing a user acts on.
            warnings.simplefilter("ignore", UserWarning)
            described = mlflow.data.from_pandas(
                table.sample, source=table.source, name=table.name, targets=table.label, digest=table.digest
            )._to_mlflow_entity()
        # The schema is the sample's; the size is the whole table's.
        profile = {"num_rows": table.rows, "num_elements": table.rows * table.sample.shape[1]}
        dataset = Dataset(
            described.name,
            described.digest,
            described.source_type,
            described.source,
            described.schema,
            json.dumps(profile),
        )
        inputs.append(DatasetInput(dataset, [InputTag(MLFLOW_DATASET_CONTEXT, table.context)]))
    try:
        client.log_inputs(run_id, datasets=inputs)
    except MlflowException as err:
        if not endpoint_missing(err):
            raise
        # A server without MLflow's datasets API: the data.* tags still name the data.
        log.warning("the run's datasets are not recorded: this tracking server has no API for them")


def _log_model(client: Any, run_id: str, model: Any, example: pd.DataFrame) -> None:
    import mlflow
    import mlflow.sklearn
    import sklearn
    import skops
    from mlflow.exceptions import MlflowException
    from mlflow.models import infer_signature

    how = {
        "signature": infer_signature(example, model.predict(example)),
        "input_example": example,
        "skops_trusted_types": SKOPS_TRUSTED_TYPES,
        # Inferring requirements costs seconds and picks up whatever else is installed.
        "pip_requirements": [
            f"mlflow=={mlflow.__version__}",
            f"scikit-learn=={sklearn.__version__}",
            f"skops=={skops.__version__}",
        ],
    }
    try:
        logged = mlflow.sklearn.log_model(model, name=MODEL_PATH, run_id=run_id, **how)
    except MlflowException as err:
        if not endpoint_missing(err):
            raise
        # No logged-models API (MLflow 2.x, AzureML): log it as MLflow 2 did.
        _run["model"] = (_log_model_as_artifacts(client, run_id, model, how), None)
        return
    _run["model"] = (logged.model_uri, logged.model_id)


def _log_model_as_artifacts(client: Any, run_id: str, model: Any, how: dict[str, Any]) -> str:
    """Save the model, upload it as the run's `model/` artifacts, list it in the run's model
    history tag (where the MLflow UI finds a run's models); return the registry's source."""
    import mlflow.sklearn
    from mlflow.entities import RunTag
    from mlflow.models import Model
    from mlflow.utils.mlflow_tags import MLFLOW_LOGGED_MODELS

    from moonml.tracking.registry import artifact_source  # imports mlflow: in the helper only

    description = Model(artifact_path=MODEL_PATH, run_id=run_id)
    with tempfile.TemporaryDirectory() as folder:
        saved = f"{folder}/{MODEL_PATH}"
        mlflow.sklearn.save_model(model, saved, mlflow_model=description, **how)
        client.log_artifacts(run_id, saved, MODEL_PATH)
    history = json.dumps([description.get_tags_dict()])
    client.log_batch(run_id, tags=[RunTag(MLFLOW_LOGGED_MODELS, history)])
    return artifact_source(client.get_run(run_id))


_LOGGING_CALLS: dict[str, Callable[..., None]] = {
    "log_params": _log_params,
    "log_metrics": _log_metrics,
    "set_tags": _set_tags,
    "log_artifact": _log_artifact,
    "log_dict": _log_dict,
    "log_tables": _log_tables,
    "log_model": _log_model,
}


@_one_line_errors
def register_logged_model(name: str, champion_alias: str | None, always: bool) -> tuple[str | None, str]:
    """Register the run's logged model as a new version of `name` if it becomes the champion (or
    `always`); return (the version, None if not registered; the line saying what happened).

    The run's last step, made only once everything else is logged: a registered model always
    comes from a complete run.
    """
    from moonml.tracking.registry import register_run  # imports mlflow: in the helper only

    client, model = _client(), _run["model"]
    if model is None:
        raise RuntimeError("no model was logged in this run")
    run = client.get_run(_run["id"])
    registration = register_run(client, name, run, *model, champion_alias, always)
    return (registration.version.version if registration.version else None), registration.message


@_one_line_errors
def withdraw_version(name: str, version: str) -> None:
    """Delete the version registered from this run, whose end could not be recorded."""
    _client().delete_model_version(name, version)


@_one_line_errors
def end_run(status: str) -> None:
    _client().set_terminated(_run["id"], status)


def _client() -> Any:
    if _run["client"] is None:  # no run, or a new helper process could not take it over
        raise RuntimeError(_run["unreachable"] or "no MLflow run is open")
    return _run["client"]
