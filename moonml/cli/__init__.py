"""The command-line tools besides training: `python -m moonml.data` and `python -m moonml.model`."""
