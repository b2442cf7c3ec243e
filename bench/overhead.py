"""What moonml costs, or saves, against the plain script it replaces.

Runs, alternately in one invocation, `python -m moonml` with full MLflow tracking (the embedded
sqlite store, model registration), bench/reference.py (the tutorial's plain script: the same grid
search with plain GridSearchCV, evaluate, a plot, dump; no tracking) and `python -m moonml
tracking=none`, on the tutorial data and on generated data of each --samples size. Prints, per
size, median wall times, the median of the per-round ratios to the reference, and the median time
of each moonml phase read from moonml's own log file.

    python bench/overhead.py [--repeats 5] [--samples 20000 ...]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from runs import DEBUG_LOG, moonml_command, phases, run  # this folder's: run as `python bench/overhead.py`

REPO = Path(__file__).resolve().parent.parent
TUTORIAL = (REPO / "data" / "train.csv", REPO / "data" / "test.csv")


def bench_size(name: str, data: tuple[Path, Path], repeats: int, workdir: Path) -> None:
    train, test = data
    moonml = moonml_command(train, test, DEBUG_LOG)
    commands = {
        "moonml": moonml,
        "reference": [
            sys.executable,
            str(REPO / "bench" / "reference.py"),
            str(train),
            str(test),
            str(workdir),
        ],
        "tracking=none": [*moonml, "tracking=none"],
    }
    # The first moonml run creates the sqlite store, a one-time cost: reported, not counted.
    cold, _ = run(commands["moonml"], workdir)
    times: dict[str, list[float]] = {label: [] for label in commands}
    split: dict[str, list[dict[str, float]]] = {"moonml": [], "tracking=none": []}
    for _ in range(repeats):
        for label, command in commands.items():
            (workdir / "run" / "moonml.log").unlink(missing_ok=True)  # runs append to it
            seconds, started = run(command, workdir)
            times[label].append(seconds)
            if label in split:
                split[label].append(phases(workdir / "run" / "moonml.log", started, started + seconds))
    print(f"\n== {name} ({repeats} rounds; first moonml run, creating the store: {cold:.2f} s)")
    for label, values in times.items():
        ratios = [value / reference for value, reference in zip(values, times["reference"], strict=True)]
        print(
            f"{label:14s} median {statistics.median(values):7.2f} s   "
            f"ratio to reference (median of rounds) {statistics.median(ratios):.2f}   "
            f"runs: {', '.join(f'{v:.2f}' for v in values)}"
        )
    for label, runs in split.items():
        medians = {phase: statistics.median(run[phase] for run in runs) for phase in runs[0]}
        print(f"{label:14s} phases (median s): " + ", ".join(f"{p} {s:.2f}" for p, s in medians.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="rounds of the three (default 5)")
    parser.add_argument("--samples", type=int, nargs="*", default=[], help="generated sizes to add")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        sizes = {"tutorial data (1,000 rows)": TUTORIAL}
        for samples in args.samples:
            folder = Path(scratch) / f"data{samples}"
            generate = [sys.executable, "-m", "moonml.data", "generate", "--output", str(folder)]
            subprocess.run([*generate, "--samples", str(samples)], check=True, capture_output=True)
            sizes[f"{samples:,} generated rows"] = (folder / "train.csv", folder / "test.csv")
        for index, (name, data) in enumerate(sizes.items()):
            workdir = Path(scratch) / f"work{index}"
            workdir.mkdir()
            bench_size(name, data, args.repeats, workdir)


if __name__ == "__main__":
    main()
