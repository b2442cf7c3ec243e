"""`python -m moonml.model`: the model registry commands (moonml.cli.model)."""
