"""The training pipeline: load, grid search, evaluate, plot, save, track. Hydra-free: tests call it.

Every output lands in `output_dir` as soon as it exists, so a run that fails later keeps them.
"""

import json
import logging
import time
from pathlib import Path

import joblib
from azureml_launcher.api import git_commit
from omegaconf import DictConfig

import moonml
from moonml.config.checks import check_config
from moonml.credentials import recorded_config
from moonml.data.sources import load_split
from moonml.data.split import Split
from moonml.evaluation.label_checks import check_labels_fit_metrics
from moonml.evaluation.metrics import test_metrics
from moonml.evaluation.names import CV_BEST_SCORE
from moonml.evaluation.predictions import predict
from moonml.evaluation.report import write_figures
from moonml.search.grid import check_folds, configured_estimator, grid_search, plain_grid
from moonml.search.lifeline import workers_exit_with_this_process
from moonml.search.pipeline import handles_missing
from moonml.tracking.names import SWEEP_TAG, data_name, run_name
from moonml.tracking.run_params import DESCRIPTION_TAG, run_description, settings_params
from moonml.tracking.session import tracking_session
from moonml.tracking.tracker import Tracker

log = logging.getLogger(__name__)


def train(
    cfg: DictConfig,
    output_dir: str,
    overrides: list[str] | None = None,
    sweep: str | None = None,
    shares_terminal: bool = False,
) -> dict[str, float]:
    """Run the whole pipeline for one composed config; return every metric it logged.

    A job of a sweep (`sweep`: the sweep's id) does not register its model: the sweep's end does.
    `shares_terminal`: other jobs may write to this terminal meanwhile (no progress counter).
    """
    started = time.time()  # the MLflow run's start: its duration is the run's, loading included
    check_config(cfg)  # first: a config that cannot run is refused before anything leaves the machine
    with tracking_session(cfg) as tracking:
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        missing_ok = handles_missing(configured_estimator(cfg.model, cfg.seed))
        split = load_split(cfg.data, cfg.azureml, cfg.seed, missing_ok)
        check_labels_fit_metrics(cfg.model.scoring, cfg.objective.metric, split.train[split.label].unique())
        check_folds(cfg.model.cv, split)
        grid = plain_grid(cfg.model)
        with tracking.run(run_name(overrides or [], out.name), started) as tracker:
            metrics = _run_pipeline(cfg, split, grid, out, tracker, overrides or [], sweep, shares_terminal)
        log.info("Outputs: %s", out.resolve())
        log.info("Tracking: %s", tracker.where)
    return metrics


def _run_pipeline(
    cfg: DictConfig,
    split: Split,
    grid: dict,
    out: Path,
    tracker: Tracker,
    overrides: list[str],
    sweep: str | None,
    shares_terminal: bool,
) -> dict[str, float]:
    tags = _run_tags(overrides, split.fingerprint) | _objective_tags(cfg.objective, sweep)
    tracker.set_tags(tags | {DESCRIPTION_TAG: run_description(cfg, grid)})
    tracker.log_tables(split, data_name(cfg.data))
    tracker.log_dict(recorded_config(cfg), "config.yaml")
    tracker.log_dict(overrides, "overrides.yaml")
    tracker.log_params(settings_params(cfg))
    searched = {f"gridsearch/{name}": str(values) for name, values in grid.items()}
    tracker.log_params(searched)
    _show("Hyper-parameters:", searched)

    with tracker.during_search(len(split.train)), workers_exit_with_this_process():
        search = grid_search(cfg.model, split, cfg.seed, shares_terminal)
    model = search.best_estimator_
    joblib.dump(model, out / "model.joblib")
    _cv_results_table(search).to_csv(out / "cv_results.csv", index=False)
    selected = {f"selected/{name}": value for name, value in search.best_params_.items()}
    tracker.log_params(selected)
    _show("Selected hyper-parameters:", selected)

    predictions = predict(model, split.test[split.features])
    metrics = test_metrics(predictions, split.test[split.label])
    _show("Metrics:", {name: round(value, 4) for name, value in metrics.items()})
    metrics[CV_BEST_SCORE] = float(search.best_score_)
    (out / "metrics.json").write_text(_json(metrics))
    # Metrics before the model: whatever becomes of the model, the run keeps its results. The
    # helper logs the model (the longest MLflow call) while this process draws the figures.
    tracker.log_metrics(metrics)
    tracker.log_model(model, split.train[split.features].head(5), register=sweep is None)

    columns = (split.features, split.label)
    figures = write_figures(model, predictions, split.train, split.test, columns, out, cfg.seed)
    for name in (*figures, "model.joblib", "cv_results.csv"):
        tracker.log_artifact(out / name)
    log.debug("figures written; waiting for tracking")
    return metrics


def _show(title: str, values: dict) -> None:
    log.info(title)
    for name, value in values.items():
        log.info("%s %s", name, value)


def _cv_results_table(search):
    import pandas as pd

    table = pd.DataFrame(search.cv_results_)
    keep = [c for c in table.columns if c.startswith(("param_", "split", "mean_", "std_", "rank_"))]
    return table[keep].sort_values("rank_test_score")


def _json(values: dict) -> str:
    return json.dumps({name: float(value) for name, value in values.items()}, indent=2) + "\n"


def _run_tags(overrides: list[str], fingerprint: dict[str, str]) -> dict[str, str]:
    tags = {"moonml.version": moonml.__version__, "moonml.overrides": " ".join(overrides)}
    # The same helper the azureml launcher tags its runs with ("+dirty" for local changes).
    commit = git_commit(Path(__file__).parent)
    if commit:
        tags["moonml.git_commit"] = commit
    return tags | fingerprint


def _objective_tags(objective: DictConfig, sweep: str | None) -> dict[str, str]:
    # The registry ranks versions by these, read back from the run (moonml.tracking.registry).
    tags = {"moonml.objective": objective.metric, "moonml.objective_direction": objective.direction}
    return tags | ({SWEEP_TAG: sweep} if sweep else {})
