"""moonml against the plain scikit-learn script on a wider table: numbers, text columns, 3 classes.

Generates, with a fixed seed, a table of --rows rows (30 numeric features, 4 categorical text
features, a label of 3 classes), splits it 80/20 (stratified) into train and test files (Parquet,
or CSV with --format csv) in a scratch folder, then runs, alternately, `python -m moonml` with
full tracking (the embedded sqlite store, model registration; data.label pointing at the label
column; the default RandomForest and grid) and bench/reference_table.py (the same pipeline, one-hot
encoding then the RandomForest, the same grid, GridSearchCV with cv=5 on every core, test metrics,
joblib dump; no tracking). Prints median wall times and CPU times (all the processes of each
run: on a busy machine, wall times measure the neighbours too), the median of the per-round
ratios moonml / plain script, and moonml's phases read from its log.

    python bench/wide.py [--repeats 3] [--rows 50000] [--format parquet]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from runs import DEBUG_LOG, moonml_command, phases, run  # this folder's: run as `python bench/wide.py`
from scale import measure
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SEED = 42
LABEL = "label"
NUMERIC = 30
# Each text column's number of categories.
CATEGORIES = (3, 5, 8, 12)


def wide_table(rows: int, seed: int) -> pd.DataFrame:
    """30 numeric features, 4 text ones binned from informative directions with some noise, 3 classes."""
    X, y = make_classification(
        n_samples=rows,
        n_features=NUMERIC + len(CATEGORIES),
        n_informative=12,
        n_redundant=6,
        n_classes=3,
        flip_y=0.05,
        random_state=seed,
    )
    table = pd.DataFrame(X[:, :NUMERIC], columns=[f"num{i:02d}" for i in range(NUMERIC)])
    rng = np.random.default_rng(seed)
    for index, count in enumerate(CATEGORIES):
        source = X[:, NUMERIC + index]
        levels = np.digitize(source, np.quantile(source, np.linspace(0, 1, count + 1)[1:-1]))
        noisy = rng.random(rows) < 0.1  # a tenth of the rows get a random category
        levels[noisy] = rng.integers(0, count, noisy.sum())
        table[f"cat{index}"] = np.array([f"c{index}_{level}" for level in range(count)])[levels]
    table[LABEL] = np.array(["alpha", "beta", "gamma"])[y]
    return table


def write_split(table: pd.DataFrame, folder: Path, suffix: str, seed: int) -> tuple[Path, Path]:
    train, test = train_test_split(table, test_size=0.2, stratify=table[LABEL], random_state=seed)
    paths = folder / f"train.{suffix}", folder / f"test.{suffix}"
    for frame, path in zip((train, test), paths, strict=True):
        frame.to_csv(path, index=False) if suffix == "csv" else frame.to_parquet(path, index=False)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="rounds of the two (default 3)")
    parser.add_argument("--rows", type=int, default=50_000, help="rows, train and test (default 50,000)")
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        train, test = write_split(wide_table(args.rows, SEED), scratch, args.format, SEED)
        moonml = moonml_command(train, test, f"data.label={LABEL}", "data.name=wide", DEBUG_LOG)
        reference = [sys.executable, str(BENCH / "reference_table.py"), str(train), str(test), LABEL, "."]
        # Creating the sqlite store is a one-time cost, left out: a small tracked run creates it.
        tutorial = moonml_command(REPO / "data" / "train.csv", REPO / "data" / "test.csv")
        small = ["model.grid.n_estimators=[10]", "model.grid.criterion=[gini]", "model.grid.max_depth=[2]"]
        run([*tutorial, *small], scratch)
        times: dict[str, list[float]] = {"moonml": [], "plain script": []}
        cpu: dict[str, list[float]] = {label: [] for label in times}
        split = []
        for round_ in range(1, args.repeats + 1):
            for label, command in (("moonml", moonml), ("plain script", reference)):
                (scratch / "run" / "moonml.log").unlink(missing_ok=True)  # runs append to it
                started = time.time()
                measured = measure(command, scratch)
                times[label].append(measured.seconds)
                cpu[label].append(measured.cpu_s)
                if label == "moonml":
                    split.append(phases(scratch / "run" / "moonml.log", started, started + measured.seconds))
                wall, used = measured.seconds, measured.cpu_s
                print(f"round {round_} {label}: wall {wall:.1f} s, CPU {used:.1f} s", flush=True)
    print(
        f"{args.rows:,} rows, {NUMERIC} numeric + {len(CATEGORIES)} text features, 3 classes, "
        f"{args.format}; {args.repeats} round(s)"
    )
    for name, values in (("wall", times), ("CPU (all processes)", cpu)):
        for label, seconds in values.items():
            print(f"{name} {label:13s} median {statistics.median(seconds):7.1f} s   runs: {_listed(seconds)}")
        ratios = [mine / plain for mine, plain in zip(values["moonml"], values["plain script"], strict=True)]
        print(f"{name} moonml / plain script: median of rounds {statistics.median(ratios):.2f}")
    medians = {phase: statistics.median(run_[phase] for run_ in split) for phase in split[0]}
    print("moonml phases (median s): " + ", ".join(f"{p} {s:.1f}" for p, s in medians.items()))


def _listed(values: list[float]) -> str:
    return ", ".join(f"{value:.1f}" for value in values)


if __name__ == "__main__":
    main()
