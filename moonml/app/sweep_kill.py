"""A sweep killed leaves no job running: jobs in other processes end with the process that launched them.

hydra/launcher=joblib runs each job in a loky worker, the azureml launcher's local backend in a
subprocess. Killed, the launching process took none of them along: running jobs went on to
FINISHED (or stayed RUNNING, their workers idle for minutes) with no parent.
"""

import os
import signal
import sys
import threading
import time
from pathlib import Path

from azureml_launcher import api as launcher_api
from omegaconf import DictConfig

from moonml.search.lifeline import POLL_S
from moonml.tracking.sweep_best import register_best_command

# How long a job whose sweep was stopped may take to record its run's end (KILLED).
_JOB_END_S = 60
# moonml's own source folder: a frame running code from there is a job's.
_PACKAGE = str(Path(__file__).parent.parent)
# In the process that launched a sweep: its pid (job processes are other processes).
_sweep = {"launcher_pid": None, "watched": False}


def end_jobs_with_the_sweep(config: DictConfig) -> None:
    """In the process launching a sweep: jobs in other processes (hydra/launcher=joblib, the
    azureml launcher's local backend) end their runs KILLED and exit once this process is gone,
    however it ended (SIGKILL included); SIGTERM or Ctrl-C ends it at once, saying how to
    register the best of the runs that finished."""
    _sweep["launcher_pid"] = os.getpid()
    launcher = config.hydra.launcher
    target = str(launcher.get("_target_", ""))
    # The azureml launcher's local backend stops its jobs itself, and removes their copies,
    # as the exception unwinds; joblib's would kill them outright (their runs left RUNNING).
    unwind = launcher_api.is_launcher(launcher) and launcher.get("backend") == "local"
    if not (unwind or target.endswith("JoblibLauncher")):
        return  # jobs run in this process (each handles its signals), or on AzureML
    hint = _register_hint(config)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda signum, frame: _stop_the_sweep(hint, unwind))


def watch_the_sweep(multirun: bool) -> None:
    """In a job: once the process that launched its sweep is gone, end the job's run KILLED."""
    multirun_worker = multirun and _sweep["launcher_pid"] != os.getpid()
    if (multirun_worker or launcher_api.replayed_by_local_backend()) and not _sweep["watched"]:
        _sweep["watched"] = True
        main = threading.main_thread().ident
        threading.Thread(
            target=_end_job_with, args=(os.getppid(), main), daemon=True, name="end-with-sweep"
        ).start()


def _register_hint(config: DictConfig) -> str:
    tracking = config.tracking
    if tracking.backend == "none" or not tracking.register_model:
        return ""
    sweep = str(Path(str(config.hydra.sweep.dir)).absolute())
    command = register_best_command(sweep, tracking.experiment_name, in_workspace=False)
    return f"; register the best finished run with: {command}"


def _stop_the_sweep(hint: str, unwind: bool) -> None:
    sys.stderr.write(f"interrupted: the sweep's running jobs end KILLED, the others do not run{hint}\n")
    sys.stderr.flush()
    if unwind:
        raise SystemExit(130)
    # Each job, seeing this process gone, ends its run KILLED and exits.
    os._exit(130)


def _end_job_with(parent_pid: int, main_thread: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(POLL_S)
    if _in_moonml(main_thread):
        os.kill(os.getpid(), signal.SIGTERM)  # moonml's handler: the job's run ends KILLED
        deadline = time.monotonic() + _JOB_END_S
        while _in_moonml(main_thread) and time.monotonic() < deadline:
            time.sleep(0.1)
    os._exit(130)


def _in_moonml(thread: int) -> bool:
    """Whether `thread` is running moonml's code (a job), not its pool's waiting for work."""
    frame = sys._current_frames().get(thread)
    while frame is not None:
        if frame.f_code.co_filename.startswith(_PACKAGE):
            return True
        frame = frame.f_back
    return False
