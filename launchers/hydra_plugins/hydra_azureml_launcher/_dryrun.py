"""dry_run=true: write, per job, what AzureML would receive; touch no network.

Under <sweep dir>/<job subdir>/azureml/: run_config.yml (the RunConfiguration derived from the
ScriptRunConfig, as the SDK submits it), script_run_config.json (source directory, command,
target, experiment, display name, tags), environment.json, command.txt, snapshot_files.tsv and
snapshot_left_out.tsv (path and reason of every file or folder that does not ship). The snapshot
itself is materialised once under <sweep dir>/azureml_snapshot/.
"""

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus

from . import _environment, _snapshot
from ._job import JobSpec

log = logging.getLogger(__name__)
PRINTED_LEFT_OUT = 40  # the console gets a glance; the .tsv holds the whole list


def script_run_config(spec: JobSpec, source_directory: Path, environment: Any) -> Any:
    """The real azureml.core ScriptRunConfig of a job (built offline)."""
    from azureml.core import ScriptRunConfig

    src = ScriptRunConfig(
        source_directory=str(source_directory),
        command=spec.command,
        compute_target=spec.compute_target,
        environment=environment,
    )
    if spec.environment is not None and spec.environment.kind == "registered":
        # A registered environment is used as it is; the job's variables go on the run instead.
        src.run_config.environment_variables.update(spec.environment.env_vars)
    return src


def offline_environment(spec: JobSpec) -> Any:
    """pip/docker: the Environment object; registered: None (it is fetched at submit time)."""
    assert spec.environment is not None
    if spec.environment.kind == "registered":
        return None
    return _environment.build(spec.environment)


def write_job(spec: JobSpec, snapshot: _snapshot.Snapshot, snapshot_dir: Path) -> tuple[Path, Any]:
    from azureml.core.script_run_config import get_run_config_from_script_run

    out = spec.job_dir / "azureml"
    (out / ".azureml").mkdir(parents=True, exist_ok=True)  # RunConfiguration.save needs it
    environment = offline_environment(spec)
    src = script_run_config(spec, snapshot_dir, environment)
    run_config = get_run_config_from_script_run(src)
    run_config.save(path=str(out), name="run_config.yml", separate_environment_yaml=False)
    assert spec.environment is not None
    if environment is not None:
        env_doc = _environment.serialise(environment)
    else:
        env_doc = {"registered": True, **spec.environment.describe()}
    (out / "environment.json").write_text(json.dumps(env_doc, indent=2), encoding="utf-8")
    (out / "command.txt").write_text(spec.command + "\n", encoding="utf-8")
    (out / "snapshot_files.tsv").write_text(
        "".join(f"{size}\t{path}\n" for path, size in snapshot.files), encoding="utf-8"
    )
    (out / "snapshot_left_out.tsv").write_text(
        "".join(f"{path}\t{reason}\n" for path, reason in snapshot.left_out), encoding="utf-8"
    )
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
    (out / "script_run_config.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return out, src


def print_left_out(snapshot: _snapshot.Snapshot, listing: Path) -> None:
    """What stays home and why, once per sweep (every job ships the same snapshot)."""
    if not snapshot.left_out:
        return
    lines = [f"[azureml dry run] left out of the snapshot ({len(snapshot.left_out)}, all in {listing}):"]
    width = max(len(path) for path, _ in snapshot.left_out[:PRINTED_LEFT_OUT])
    lines += [f"  {path:<{width}}  {reason}" for path, reason in snapshot.left_out[:PRINTED_LEFT_OUT]]
    if len(snapshot.left_out) > PRINTED_LEFT_OUT:
        lines.append(f"  ... and {len(snapshot.left_out) - PRINTED_LEFT_OUT} more")
    print("\n".join(lines), flush=True)


def write_all(specs: Sequence[JobSpec], snapshot: _snapshot.Snapshot, sweep_dir: Path) -> list[JobReturn]:
    snapshot_dir = _snapshot.materialise(snapshot, sweep_dir / "azureml_snapshot")
    results = []
    for spec in specs:
        out, src = write_job(spec, snapshot, snapshot_dir)
        if spec is specs[0]:
            print_left_out(snapshot, out / "snapshot_left_out.tsv")
        print(f"[azureml dry run] job #{spec.idx}: {spec.command}\n  written to {out}", flush=True)
        # The ScriptRunConfig itself too, for callers of Hydra's API (and the tests).
        value = {"dry_run_dir": str(out), "script_run_config": src}
        results.append(spec.job_return(JobStatus.COMPLETED, value))
    return results
