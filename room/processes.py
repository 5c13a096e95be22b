"""The room's processes by pid: whether one is alive, and ending one for good.

``scripts/room stop`` ends the hub and the proxy by the pids they wrote, then every
process a learner's Unix user still runs; a zombie counts as gone.
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
