"""Imported by the Launcher only when it launches: the machinery lives in `azureml_launcher`."""

from azureml_launcher.launch import launch

__all__ = ["launch"]
