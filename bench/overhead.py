"""What moonml costs on top of the bare grid search it wraps.

Runs, alternately in one invocation, `python -m moonml` (default config, full MLflow tracking into
the embedded sqlite store, model registration) and bench/reference.py (the same grid search in
plain scikit-learn, no tracking, no figures), and prints the median wall time of each and the ratio.

    python bench/overhead.py [--repeats 5]
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        moonml = [sys.executable, "-m", "moonml", f"data.train_path={TRAIN}", f"data.test_path={TEST}"]
        reference = [sys.executable, str(REPO / "bench" / "reference.py"), str(TRAIN), str(TEST), scratch]
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
