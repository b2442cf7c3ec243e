"""Regenerate docs/decision_boundary.png, the README's picture, from what moonml draws today.

Runs the default config's pipeline (no tracking) in a temporary folder and copies its figure:
    python docs/make_figure.py [OVERRIDE ...]
"""

import shutil
import sys
import tempfile
from pathlib import Path

from moonml.config.compose import compose_config
from moonml.train import train

DOCS = Path(__file__).resolve().parent
# The tutorial's CSVs, wherever the script is started from.
DATA = [f"data.{name}_path={DOCS.parent / 'data' / name}.csv" for name in ("train", "test")]


def main(overrides: list[str]) -> Path:
    cfg = compose_config(["tracking=none", *DATA, *overrides])
    with tempfile.TemporaryDirectory() as out:
        train(cfg, output_dir=out)
        target = DOCS / "decision_boundary.png"
        shutil.copyfile(Path(out) / "decision_boundary.png", target)
    return target


if __name__ == "__main__":
    print(main(sys.argv[1:]))
