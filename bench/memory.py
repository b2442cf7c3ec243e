"""Peak memory of moonml against the plain script, on the same two-moons rows, measured alike.

Generates N rows of two moons (`python -m moonml.data generate`), then runs, alternately,
`python -m moonml` with full tracking (the embedded sqlite store, model registration),
bench/reference.py (GridSearchCV, no tracking) and `python -m moonml tracking=none` on those
files with the same reduced grid, and samples the memory of all the processes of each run
together five times a second: moonml's run, its search workers and their forkserver, its MLflow
helper; the script and its joblib workers. PSS, not a sum of RSS: pages several processes share
(libraries, the search's memory-mapped data) are counted once, as the machine holds them once.
Prints each round, each process' share at the peak, and the medians.

    python bench/memory.py 1000000 [--repeats 1]
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from runs import moonml_command  # this folder's: run as `python bench/memory.py`
from scale import measure

BENCH = Path(__file__).resolve().parent
# 4 candidates x 5 folds, as bench/scale.py's figures: the default grid is too long at 1M rows.
GRID = {"n_estimators": [10, 25], "criterion": ["gini"], "max_depth": [10, None]}


def overrides(grid: dict) -> list[str]:
    return [f"model.grid.{name}={json.dumps(values).replace(' ', '')}" for name, values in grid.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("samples", type=int, help="two-moons rows to generate (train + test)")
    parser.add_argument("--repeats", type=int, default=1, help="rounds of the two (default 1)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        generate = [sys.executable, "-m", "moonml.data", "generate", "--output", str(scratch / "data")]
        subprocess.run([*generate, "--samples", str(args.samples)], check=True, capture_output=True)
        train, test = scratch / "data" / "train.csv", scratch / "data" / "test.csv"
        moonml = moonml_command(train, test, *overrides(GRID))
        commands = {
            "moonml": moonml,
            "reference": [
                sys.executable,
                str(BENCH / "reference.py"),
                str(train),
                str(test),
                ".",
                json.dumps(GRID),
            ],
            # Without its MLflow helper process: what the search and the run themselves take.
            "moonml tracking=none": [*moonml, "tracking=none"],
        }
        peaks: dict[str, list[float]] = {label: [] for label in commands}
        for round_ in range(1, args.repeats + 1):
            for label, command in commands.items():
                seconds, peak, at_peak, _ = measure(command, scratch)
                peaks[label].append(peak / 1e6)
                print(f"round {round_} {label}: peak {peak / 1e6:.0f} MB, wall {seconds:.1f} s; at the peak:")
                for pid, process in sorted(at_peak.items()):
                    print(f"    {process.pss / 1e6:6.0f} MB  {pid:>7}  {process.command[:100]}", flush=True)
    reference = statistics.median(peaks["reference"])
    print(f"{args.samples:,} rows, grid {json.dumps(GRID)}, {args.repeats} round(s); median peak memory")
    print(f"(PSS, all processes): plain script {reference:.0f} MB")
    for label in ("moonml", "moonml tracking=none"):
        median = statistics.median(peaks[label])
        print(f"{label}: {median:.0f} MB, {median / reference:.2f} x the plain script's")


if __name__ == "__main__":
    main()
