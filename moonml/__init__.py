"""moonml: the two-moons RandomForest, configured with Hydra, tracked in MLflow, shipped to AzureML."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("moonml")
except PackageNotFoundError:  # running from a source snapshot (an AzureML job) without install
    __version__ = "0.1.0+source"
