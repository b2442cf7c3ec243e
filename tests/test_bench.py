"""bench/wide.py's table: the shape the benchmark claims, the same for a seed, read by moonml as such."""

import importlib
import sys

import pandas as pd
import pytest
from pandas.api.types import is_numeric_dtype

from moonml.data.csv import read_split
from moonml.data.split import Columns
from tests.helpers import REPO


@pytest.fixture(scope="module")
def wide():
    sys.path.insert(0, str(REPO / "bench"))  # the bench's scripts import their neighbours by name
    try:
        yield importlib.import_module("wide")
    finally:
        sys.path.remove(str(REPO / "bench"))


def test_the_table_has_the_claimed_shape_and_is_the_same_for_a_seed(wide) -> None:
    table = wide.wide_table(3000, 42)
    features = table.drop(columns=wide.LABEL)
    numeric = [name for name in features if is_numeric_dtype(features[name])]
    text = [name for name in features if name not in numeric]
    assert (len(table), len(numeric), len(text)) == (3000, 30, 4)
    assert sorted(table[wide.LABEL].unique()) == ["alpha", "beta", "gamma"]
    assert [table[name].nunique() for name in text] == list(wide.CATEGORIES)
    pd.testing.assert_frame_equal(table, wide.wide_table(3000, 42))
    assert not table.equals(wide.wide_table(3000, 7))


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_moonml_reads_the_written_files_as_30_numbers_and_4_text_columns(wide, tmp_path, suffix) -> None:
    train_path, test_path = wide.write_split(wide.wide_table(2000, 42), tmp_path, suffix, 42)
    split = read_split(str(train_path), str(test_path), Columns(label=wide.LABEL))
    train, test = split.train, split.test
    assert (len(train), len(test), len(split.features)) == (1600, 400, 34)
    assert split.categorical() == ["cat0", "cat1", "cat2", "cat3"]
    # Stratified: each class keeps its share in both files.
    shares = train[wide.LABEL].value_counts(normalize=True) - test[wide.LABEL].value_counts(normalize=True)
    assert shares.abs().max() < 0.01
