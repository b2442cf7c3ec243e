"""The data stage: where the two-moons data comes from (CSV files, make_moons, an AzureML
dataset), read and validated into one train/test split."""
