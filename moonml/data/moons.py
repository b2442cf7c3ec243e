"""The noisy two-moons data set, made the way the tutorial made its CSV files."""

from pathlib import Path

import pandas as pd

from moonml.data import FEATURES, LABEL, Split


def generate_split(n_samples: int, noise: float, test_size: float, seed: int) -> Split:
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    points, labels = make_moons(n_samples=n_samples, shuffle=True, noise=noise, random_state=seed)
    frame = pd.DataFrame(points, columns=FEATURES)
    frame[LABEL] = labels
    train, test = train_test_split(frame, test_size=test_size, random_state=seed)
    fingerprint = {
        "data.generator": (
            f"make_moons(n_samples={n_samples}, noise={noise}, test_size={test_size}, seed={seed})"
        )
    }
    return Split(
        train=train.reset_index(drop=True), test=test.reset_index(drop=True), fingerprint=fingerprint
    )


def write_split(split: Split, output_dir: str) -> list[Path]:
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in (("train.csv", split.train), ("test.csv", split.test)):
        frame.to_csv(folder / name, index=False)
        written.append(folder / name)
    return written
