"""dry_run=true: write, per job, what AzureML would receive; touch no network.

Under <sweep dir>/<job subdir>/azureml/: run_config.json (the run configuration exactly as
submit() serialises it into the request, dataset inputs included), script_run_config.json
(source directory, command, target, experiment, display name, tags), environment.json,
command.txt, snapshot_files.tsv and snapshot_left_out.tsv (see snapshot/listing.py). The snapshot
itself is materialised once under <sweep dir>/azureml_snapshot/.
"""

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus

from azureml_launcher import environment as _environment
from azureml_launcher.job import JobSpec
from azureml_launcher.snapshot import contents as _snapshot
from azureml_launcher.snapshot import listing as _listing
from azureml_launcher.v1 import run_config as _v1

log = logging.getLogger(__name__)


def run_config_document(spec: JobSpec, src: Any) -> dict[str, Any]:
    """The run configuration as submit() sends it (its "Configuration"), built offline.

    A registered environment's definition lives in the workspace and is fetched at submit
    time: here it is the reference that names it, never a stand-in definition.
    """
    document = _v1.run_configuration_dict(_v1.run_configuration(src))
    assert spec.environment is not None
    if spec.environment.kind == "registered":
        document["environment"] = {"name": spec.environment.name, "version": spec.environment.version}
    return document


def write_job(spec: JobSpec, snapshot: _snapshot.Snapshot, snapshot_dir: Path) -> tuple[Path, Any]:
    out = spec.job_dir / "azureml"
    out.mkdir(parents=True, exist_ok=True)
    environment = _v1.offline_environment(spec, reveal=False)  # no secret on disk
    src = _v1.script_run_config(spec, snapshot_dir, environment)
    assert spec.environment is not None
    _write_json(out / "run_config.json", run_config_document(spec, src))
    if environment is not None:
        env_doc = _environment.serialise(environment)
    else:
        env_doc = {"registered": True, **spec.environment.describe()}
    _write_json(out / "environment.json", env_doc)
    (out / "command.txt").write_text(spec.command + "\n", encoding="utf-8")
    _listing.write(snapshot, out)
    summary = {
        "experiment": spec.experiment_name,
        "display_name": spec.display_name,
        "compute_target": spec.compute_target,
        "source_directory": str(snapshot_dir),
        "command": spec.command,
        "environment": spec.environment.describe(),
        "tags": spec.tags,
        "snapshot": {"files": len(snapshot.files), "bytes": snapshot.total_bytes},
    }
    _write_json(out / "script_run_config.json", summary)
    return out, src


def _write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_all(specs: Sequence[JobSpec], snapshot: _snapshot.Snapshot, sweep_dir: Path) -> list[JobReturn]:
    snapshot_dir = _snapshot.materialise(snapshot, sweep_dir / "azureml_snapshot")
    results = []
    for spec in specs:
        out, src = write_job(spec, snapshot, snapshot_dir)
        if spec is specs[0]:
            _listing.print_summary(snapshot, out / "snapshot_left_out.tsv")
        print(f"[azureml dry run] job #{spec.idx}: {spec.command}\n  written to {out}", flush=True)
        # The ScriptRunConfig itself too, for callers of Hydra's API (and the tests).
        value = {"dry_run_dir": str(out), "script_run_config": src}
        results.append(spec.job_return(JobStatus.COMPLETED, value))
    return results
