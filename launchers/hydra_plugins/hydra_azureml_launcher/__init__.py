"""Hydra launcher that ships each job of a Hydra app to AzureML (or replays it here).

Hydra imports this package (and its non-underscore modules) at startup, so nothing here may
import azureml or other heavy libraries at module level: the Launcher imports `_core` when it
launches, and `_core` the machinery of the `azureml_launcher` package beside this one.
"""

from azureml_launcher import __version__

__all__ = ["__version__"]
