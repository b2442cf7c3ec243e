"""How moonml's time and memory grow with the data: one run on generated data.

Runs `python -m moonml data=generated data.n_samples=N [OVERRIDES...]` in a scratch folder (full
tracking unless an override says otherwise) and samples the memory of all its processes (the
run, the search's workers and their forkserver, the MLflow helper) together, shared pages counted
once (PSS), five times a second. Prints the wall time, the peak of that sum, and the size of the
data itself.

    python bench/scale.py 1000000 [model.grid.n_estimators=[10,25] ...]
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# make_moons rows as moonml holds them: two float64 features and an int64 label.
ROW_BYTES = 3 * 8


def session_pss(session_id: int) -> int:
    """Bytes of memory used by all the live processes of a session, shared pages counted once."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[3]) != session_id:
                continue
            rollup = (stat.parent / "smaps_rollup").read_text().splitlines()
        except OSError:
            continue  # it ended while we looked
        total += next(int(line.split()[1]) * 1024 for line in rollup if line.startswith("Pss:"))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("samples", type=int, help="rows to generate")
    parser.add_argument("overrides", nargs="*", help="more moonml overrides, e.g. a reduced grid")
    args = parser.parse_args()
    command = [sys.executable, "-m", "moonml", "data=generated", f"data.n_samples={args.samples}"]
    with tempfile.TemporaryDirectory() as scratch, open(Path(scratch) / "console.txt", "w") as console:
        start = time.perf_counter()
        process = subprocess.Popen(
            [*command, *args.overrides, "hydra.run.dir=run"],
            cwd=scratch,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        peak = 0
        while process.poll() is None:
            peak = max(peak, session_pss(process.pid))
            time.sleep(0.2)
        seconds = time.perf_counter() - start
        if process.returncode != 0:
            sys.exit(f"moonml failed:\n{(Path(scratch) / 'console.txt').read_text()}")
        model_mb = (Path(scratch) / "run" / "model.joblib").stat().st_size / 1e6
    data_mb = args.samples * ROW_BYTES / 1e6
    print(
        f"{args.samples:,} rows ({data_mb:.0f} MB of data), overrides: {' '.join(args.overrides) or 'none'}"
    )
    print(f"wall time {seconds:.1f} s; peak memory (PSS), all processes together, {peak / 1e6:.0f} MB")
    print(f"({peak / 1e6 / data_mb:.1f} x the data); model.joblib {model_mb:.1f} MB")


if __name__ == "__main__":
    main()
