"""What the benchmarks share: the moonml command they time, a timed run, moonml's phases from its log."""

import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

# Log lines that end each phase (the last one is written at DEBUG: DEBUG_LOG turns it on).
PHASES = {
    "startup": "Hyper-parameters:",
    "search": "Selected hyper-parameters:",
    "evaluate+figures": "figures written",
    "tracking wait": "Outputs:",
}
DEBUG_LOG = "hydra.job_logging.loggers.moonml.level=DEBUG"


def moonml_command(train: Path, test: Path, *overrides: str) -> list[str]:
    """`python -m moonml` on a train and a test file, its run folder `run` in the working directory."""
    return [
        sys.executable,
        "-m",
        "moonml",
        f"data.train_path={train}",
        f"data.test_path={test}",
        "hydra.run.dir=run",
        *overrides,
    ]


def run(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall time of `command`, and the clock time it started at."""
    started, start = time.time(), time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start, started


def phases(log_file: Path, started: float, ended: float) -> dict[str, float]:
    """Each phase's duration from the timestamps of the run's log file (a run with DEBUG_LOG)."""
    ends = {}
    for line in log_file.read_text().splitlines():
        for phase, marker in PHASES.items():
            if marker in line and phase not in ends:
                ends[phase] = datetime.strptime(line[1:24], "%Y-%m-%d %H:%M:%S,%f").timestamp()
    durations, previous = {}, started
    for phase in PHASES:
        durations[phase], previous = ends[phase] - previous, ends[phase]
    return durations | {"exit": ended - previous}
