"""The AzureML Hydra launcher's machinery; the plugin in hydra_plugins/ only points here.

Apps import `azureml_launcher.api` (the public API); the rest is arranged by what it does:
launch.py (compose the jobs, pick a backend), job.py / command.py / environment.py / inputs.py
(one job as it ships), snapshot/ (which files ship, the secret scan, the dry run's listing),
v1/ (azureml-core: run configuration, dry run, submission), v2/ (azure-ai-ml: client, command
job, submission), local.py (backend=local), wait.py (waiting for submitted runs), workspace.py
(workspace ids, credentials, deadlines), sdk.py / sdk_logs.py (the optional SDKs and their logs).
"""

__version__ = "0.1.0"
