"""How moonml's time and memory grow with the data: one run on generated data.

Runs `python -m moonml data=generated data.n_samples=N [OVERRIDES...]` in a scratch folder (full
tracking unless an override says otherwise) and samples the memory of all its processes (the
run, the search's workers and their forkserver, the MLflow helper) together, shared pages counted
once (PSS), five times a second. Prints the wall time, the peak of that sum, and the size of the
data itself.

    python bench/scale.py 1000000 [model.grid.n_estimators=[10,25] ...]

With --reference GRID_JSON it measures bench/reference.py (the plain script: GridSearchCV, no
tracking) the same way instead, on the same generated data, with that grid, e.g.
'{"n_estimators": [10, 25], "criterion": ["gini"], "max_depth": [10, null]}'.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

# make_moons rows as moonml holds them: two float64 features and an int64 label.
ROW_BYTES = 3 * 8
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")  # the unit of /proc/PID/stat's CPU times


class Process(NamedTuple):
    command: str
    pss: int  # bytes: shared pages split between the processes sharing them, so the values add up
    cpu_s: float  # user + system time so far


def session_processes(session_id: int) -> dict[int, Process]:
    """Each live process of a session: its command line, memory and CPU time."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) != session_id:
                continue
            rollup = (stat.parent / "smaps_rollup").read_text().splitlines()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # it ended while we looked
        pss = next(int(line.split()[1]) * 1024 for line in rollup if line.startswith("Pss:"))
        cpu_s = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        found[int(stat.parent.name)] = Process(command.strip(), pss, cpu_s)
    return found


def grid_json(text: str) -> str:
    try:
        grid = json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"not JSON ({err})") from None
    if not isinstance(grid, dict):
        raise argparse.ArgumentTypeError("give a JSON object: parameter name -> list of values")
    return json.dumps(grid)


class Measured(NamedTuple):
    seconds: float  # wall time
    peak: int  # bytes, PSS of all the processes together at their peak
    at_peak: dict[int, Process]
    # CPU time of all the processes, each as last sampled: the last 0.2 s of each, and processes
    # shorter than that, are missed. Unlike wall time, it does not grow with the machine's load.
    cpu_s: float


def measure(command: list[str], cwd: Path) -> Measured:
    """Wall time, peak memory and CPU time of `command`, all its processes together."""
    with open(cwd / "console.txt", "w") as console:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, stdout=console, stderr=subprocess.STDOUT, start_new_session=True
        )
        peak, at_peak, cpu = 0, {}, {}
        while process.poll() is None:
            members = session_processes(process.pid)
            cpu |= {pid: member.cpu_s for pid, member in members.items()}
            total = sum(member.pss for member in members.values())
            if total > peak:
                peak, at_peak = total, members
            time.sleep(0.2)
        seconds = time.perf_counter() - start
    if process.returncode != 0:
        sys.exit(f"{command[1]} failed:\n{(cwd / 'console.txt').read_text()}")
    return Measured(seconds, peak, at_peak, sum(cpu.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("samples", type=int, help="rows to generate")
    parser.add_argument("overrides", nargs="*", help="more moonml overrides, e.g. a reduced grid")
    parser.add_argument(
        "--reference", metavar="GRID_JSON", type=grid_json, help="measure the plain script instead"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        if args.reference is None:
            command = [sys.executable, "-m", "moonml", "data=generated", f"data.n_samples={args.samples}"]
            seconds, peak, _, _ = measure([*command, *args.overrides, "hydra.run.dir=run"], scratch)
            label = " ".join(args.overrides) or "no overrides"
            model = scratch / "run" / "model.joblib"
        else:
            generate = [sys.executable, "-m", "moonml.data", "generate", "--output", str(scratch)]
            subprocess.run([*generate, "--samples", str(args.samples)], check=True, capture_output=True)
            reference = Path(__file__).resolve().parent / "reference.py"
            train, test = scratch / "train.csv", scratch / "test.csv"
            command = [sys.executable, str(reference), str(train), str(test), str(scratch), args.reference]
            seconds, peak, _, _ = measure(command, scratch)
            label, model = f"bench/reference.py, grid {args.reference}", scratch / "model.joblib"
        model_mb = model.stat().st_size / 1e6
    data_mb = args.samples * ROW_BYTES / 1e6
    print(f"{args.samples:,} rows ({data_mb:.0f} MB of data), {label}")
    print(f"wall time {seconds:.1f} s; peak memory (PSS), all processes together, {peak / 1e6:.0f} MB")
    print(f"({peak / 1e6 / data_mb:.1f} x the data); model.joblib {model_mb:.1f} MB")


if __name__ == "__main__":
    main()
