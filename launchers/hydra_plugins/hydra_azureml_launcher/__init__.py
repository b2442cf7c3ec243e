"""Hydra launcher that ships each job of a Hydra app to AzureML as a ScriptRunConfig.

Hydra imports this package (and its non-underscore modules) at startup, so nothing here may
import azureml or other heavy libraries at module level; the work lives in `_core`.
"""

__version__ = "0.1.0"
