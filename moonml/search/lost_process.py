"""What to say when a process moonml depends on dies: how it ended, and whether memory ran out.

The kernel's out-of-memory killer ends its victim with SIGKILL, like `kill -9`; its counter in
/proc/vmstat (Linux; cgroup limits included) tells the two apart.
"""

import signal
from pathlib import Path

_VMSTAT = Path("/proc/vmstat")


def oom_kills() -> int | None:
    """How many processes the out-of-memory killer has ended since boot; None where unknown."""
    try:
        for line in _VMSTAT.read_text().splitlines():
            name, _, count = line.partition(" ")
            if name == "oom_kill":
                return int(count)
    except (OSError, ValueError):
        pass
    return None


def how_it_ended(exitcode: int | None, oom_kills_before: int | None) -> tuple[str, bool]:
    """`exitcode` as multiprocessing reports it (-N: signal N), told for a user ("was killed by
    the out-of-memory killer..."), and whether memory running out is the likely cause.

    `oom_kills_before`: oom_kills() from before the process could have died.
    """
    if exitcode is None or exitcode >= 0:
        return f"exited (code {exitcode})", False
    try:
        name = signal.Signals(-exitcode).name
    except ValueError:
        name = f"signal {-exitcode}"
    if -exitcode != signal.SIGKILL:
        return f"was killed ({name})", False
    now = oom_kills()
    if now is None or oom_kills_before is None:
        return "was killed (SIGKILL), as the out-of-memory killer does when memory runs out", True
    if now > oom_kills_before:
        return "was killed by the out-of-memory killer: the machine ran out of memory", True
    return "was killed (SIGKILL), not by the out-of-memory killer", False
