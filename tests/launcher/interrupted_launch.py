"""`python -m moonml ...` as a user starts it, with only the steps that leave 127.0.0.1 doubled.

Run by test_wait.py as `python interrupted_launch.py v1|v2 ARGS...` in a fresh process, to be
interrupted with SIGINT while it waits. Everything else (Hydra, the launcher, the SDK's clients
polling and cancelling) is real and talks to the stand-in server the test runs on 127.0.0.1 (its
address in the environment).

Doubled, v2: the token request (login service) and jobs.create_or_update (uploads the code to
blob storage). v1: finding the workspace through ARM (stand_in_azure.v1_workspace instead) and
Experiment.submit (uploads the snapshot; here it returns the real Run of that id). The stand-in
answers the jobs and runs it was not told of with its `new_jobs` statuses.
"""

import runpy
import sys
from types import SimpleNamespace
from typing import Any


def double_v2() -> None:
    from azure.ai.ml.operations import EnvironmentOperations, JobOperations
    from azure.core.credentials import AccessToken
    from azure.identity import ClientSecretCredential

    ClientSecretCredential.get_token = lambda self, *scopes, **kw: AccessToken("stand-in-token", 2**31)

    def create(self: Any, job: Any, **kwargs: Any) -> Any:
        return SimpleNamespace(name=job.name, studio_url=f"https://ml.azure.com/runs/{job.name}")

    JobOperations.create_or_update = create
    EnvironmentOperations.get = lambda self, name, version=None, label=None: SimpleNamespace(name=name)


def double_v1() -> None:
    from azureml.core import Experiment, Run
    from hydra.core.plugins import Plugins

    Plugins.instance()  # its scan re-executes the plugin's modules: patch them after it
    from azureml_launcher import workspace as _workspace

    from tests.stand_in_azure import v1_workspace

    _workspace.connect = lambda settings: v1_workspace()
    Experiment.submit = lambda self, config, tags=None, run_id=None, **kwargs: Run(self, run_id)


if __name__ == "__main__":
    sdk, *args = sys.argv[1:]
    {"v1": double_v1, "v2": double_v2}[sdk]()
    sys.argv = ["moonml", *args]
    runpy.run_module("moonml", run_name="__main__", alter_sys=True)
