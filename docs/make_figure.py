"""Regenerate the docs' pictures (the README's docs/decision_boundary.png by default) from what
moonml draws today.

Runs the pipeline (no tracking) in a temporary folder and copies the named figures to docs/:
    python docs/make_figure.py [--figure NAME.png ...] [OVERRIDE ...]
e.g. `--figure confusion_matrix.png --figure feature_importance.png` and the overrides choosing the
data. The tutorial's CSVs are the default data; `--table breast_cancer` (or wine) trains on that
table of scikit-learn's instead, as the README's "Your own data" does.
"""

import argparse
import shutil
import tempfile
from pathlib import Path

from moonml.config.compose import compose_config
from moonml.train import train

DOCS = Path(__file__).resolve().parent
# The tutorial's CSVs, wherever the script is started from.
DATA = [f"data.{name}_path={DOCS.parent / 'data' / name}.csv" for name in ("train", "test")]


def main(
    overrides: list[str], figures: list[str], table: str | None = None, folder: Path = DOCS
) -> list[Path]:
    with tempfile.TemporaryDirectory() as out:
        if table:
            from sklearn import datasets

            path = Path(out) / f"{table}.csv"
            getattr(datasets, f"load_{table}")(as_frame=True).frame.to_csv(path, index=False)
            chosen = [f"data.path={path}", "data.label=target", f"data.name={table}", *overrides]
        else:
            # Another data option (data=...) replaces the tutorial's CSVs.
            chosen = overrides if any(o.startswith("data=") for o in overrides) else [*DATA, *overrides]
        train(compose_config(["tracking=none", *chosen]), output_dir=out)
        targets = [folder / name for name in figures]
        for target in targets:
            shutil.copyfile(Path(out) / target.name, target)
    return targets


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figure", action="append", help="a figure the run writes (repeatable)")
    parser.add_argument("--table", choices=["breast_cancer", "wine"], help="a table of scikit-learn's")
    parser.add_argument("overrides", nargs="*", help="moonml config overrides")
    args = parser.parse_args()
    for path in main(args.overrides, args.figure or ["decision_boundary.png"], args.table):
        print(path)
