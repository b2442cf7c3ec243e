"""The names moonml records runs and models under, which the registry reads back."""

from pathlib import Path

# Every run of one sweep carries this tag (the sweep's directory), so the MLflow UI can filter
# them and the sweep's end (or `python -m moonml.model register-best`) finds them.
SWEEP_TAG = "moonml.sweep"
MODEL_PATH = "model"  # the name of the run's model (its artifact path where logged as artifacts)
# MLflow refuses longer run names.
MAX_RUN_NAME = 250


def run_name(overrides: list[str], fallback: str) -> str:
    """`seed=2,max_depth=[10]` from the job's overrides: last key part, file names not paths."""
    parts = []
    for override in overrides:
        key, sep, value = override.lstrip("+~").partition("=")
        short_value = Path(value).name if "/" in value and not value.startswith("[") else value
        parts.append(f"{key.rsplit('.', 1)[-1]}{sep}{short_value}")
    name = ",".join(parts) or fallback
    return name if len(name) <= MAX_RUN_NAME else name[: MAX_RUN_NAME - 3] + "..."
