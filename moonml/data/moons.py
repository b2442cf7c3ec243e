"""The noisy two-moons data set, made the way the tutorial made its CSV files."""

import math
from pathlib import Path

import pandas as pd

from moonml.data.split import Split
from moonml.errors import MoonmlError

SPLIT_FILES = ("train.csv", "test.csv")
# The tutorial's columns.
FEATURES = ["x1", "x2"]
LABEL = "y"


def setting_problems(
    n_samples: int, noise: float, test_size: float, seed: int, min_samples: int
) -> dict[str, str]:
    """What is wrong with each make_moons setting, by setting name (empty when all are usable)."""
    problems = {}
    if n_samples < min_samples:
        problems["n_samples"] = f"needs at least {min_samples} rows, got {n_samples}"
    # NaN fails every comparison: test for the good range, not for the bad one.
    if not (math.isfinite(noise) and noise >= 0):
        problems["noise"] = f"must be a finite number >= 0, got {noise}"
    if not 0 < test_size < 1:
        problems["test_size"] = f"must be between 0 and 1, got {test_size}"
    if not 0 <= seed < 2**32:  # numpy's range for a random seed
        problems["seed"] = f"must be a whole number from 0 to 2**32 - 1, got {seed}"
    return problems


def generate_split(n_samples: int, noise: float, test_size: float, seed: int) -> Split:
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    points, labels = make_moons(n_samples=n_samples, shuffle=True, noise=noise, random_state=seed)
    frame = pd.DataFrame(points, columns=FEATURES)
    frame[LABEL] = labels
    train, test = train_test_split(frame, test_size=test_size, random_state=seed)
    generator = f"make_moons(n_samples={n_samples}, noise={noise}, test_size={test_size}, seed={seed})"
    return Split(
        train=train.reset_index(drop=True),
        test=test.reset_index(drop=True),
        label=LABEL,
        features=list(FEATURES),
        fingerprint={"data.generator": generator},
        train_origin=f"data=generated ({generator})",
        test_origin=f"data=generated ({generator}, test part)",
    )


def write_split(split: Split, output_dir: str) -> list[Path]:
    tables = (split.train.to_csv(index=False), split.test.to_csv(index=False))
    return write_files(
        {name: table.encode() for name, table in zip(SPLIT_FILES, tables, strict=True)}, output_dir
    )


def write_files(contents: dict[str, bytes], output_dir: str) -> list[Path]:
    """Write each file (name: bytes) into output_dir; return their paths."""
    folder = Path(output_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in contents.items():
            (folder / name).write_bytes(data)
    except OSError as err:
        raise MoonmlError(f"--output {output_dir}: cannot write there ({err.strerror or err})") from None
    return [folder / name for name in contents]
