"""What moonml costs on top of the bare grid search it wraps.

Runs, alternately in one invocation, `python -m moonml` (default config, full MLflow tracking into
the embedded sqlite store, model registration) and bench/reference.py (the same grid search in
plain scikit-learn, no tracking, no figures), and prints the median wall time of each and the ratio.

    python bench/overhead.py [--repeats 5] [--samples N]

--samples N runs both on N generated rows (python -m moonml.data generate) instead of the
tutorial's 1,000, to show how moonml's fixed cost shrinks against a longer search.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TRAIN, TEST = REPO / "data" / "train.csv", REPO / "data" / "test.csv"


def wall_time(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each (default 5)")
    parser.add_argument("--samples", type=int, help="generated rows instead of the tutorial's data")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        train, test = TRAIN, TEST
        if args.samples:
            generate = [sys.executable, "-m", "moonml.data", "generate", "--output", scratch]
            subprocess.run([*generate, "--samples", str(args.samples)], check=True, capture_output=True)
            train, test = workdir / "train.csv", workdir / "test.csv"
        moonml = [sys.executable, "-m", "moonml", f"data.train_path={train}", f"data.test_path={test}"]
        reference = [sys.executable, str(REPO / "bench" / "reference.py"), str(train), str(test), scratch]
        # The first moonml run creates the sqlite store, a one-time cost: reported, not counted.
        cold = wall_time(moonml, workdir)
        wall_time(reference, workdir)
        times: dict[str, list[float]] = {"moonml": [], "reference": []}
        for _ in range(args.repeats):
            times["moonml"].append(wall_time(moonml, workdir))
            times["reference"].append(wall_time(reference, workdir))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"{name:9s} median {medians[name]:6.2f} s   runs: {', '.join(f'{v:.2f}' for v in values)}")
    print(f"moonml first run (creates the store): {cold:.2f} s")
    print(f"ratio moonml/reference (median): {medians['moonml'] / medians['reference']:.2f}")


if __name__ == "__main__":
    main()
