"""The room's processes: whether one is alive, ending one for good, a learner's server's port.

``scripts/room stop`` ends the hub and the proxy by the pids they wrote, then every
process a learner's Unix user still runs; a zombie counts as gone. ``own_port`` is
where each learner's Jupyter server listens (``room.spawner``).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def alive(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return zombie(pid)


def zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return True


def end(pid: int, wait_s: float = 30) -> None:
    """SIGTERM, then SIGKILL after ``wait_s``: the process itself, not its pid file."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + wait_s
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if not gone(pid):
        os.kill(pid, signal.SIGKILL)
        while not gone(pid):
            time.sleep(0.1)


def pids_of(uid: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if proc.stat().st_uid == uid:
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


RESERVED = range(
    20000, 32000
)  # below Linux's ephemeral ports (32768-60999): no port-0 bind lands here


def own_port(uid: int) -> int:
    """A port for a learner's server that nothing else on the machine picks at random.

    JupyterHub's own choice is any free port, found by binding port 0: an ephemeral port,
    which another learner's process may bind in the seconds before this server does. In
    a 30-learner load test one learner's server port was taken by another process's
    ZMQ socket and the hub gave up on that learner after 120 s. Here each learner has a
    port of their own, from their uid, below the ephemeral range; if it is busy, the next.
    """
    import socket

    first = RESERVED.start + uid % len(RESERVED)
    for port in (*range(first, RESERVED.stop), *range(RESERVED.start, first)):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    msg = f"no free port for a learner's server in {RESERVED.start}-{RESERVED.stop - 1}"
    raise RuntimeError(msg)
