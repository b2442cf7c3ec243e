"""moonml: the two-moons RandomForest, configured with Hydra, tracked in MLflow, shipped to AzureML."""


def __getattr__(name: str) -> str:
    # Looked up on first use: reading the installed metadata scans every distribution (over a
    # second on a busy machine), and `python -m moonml` imports this package before its own
    # SIGTERM handler can be installed.
    if name != "__version__":
        raise AttributeError(f"module 'moonml' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("moonml")
    except PackageNotFoundError:  # running from a source snapshot (an AzureML job) without install
        return "0.1.0+source"
