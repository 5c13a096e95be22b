"""Child processes that die with the kernel: the Resonate server and worker processes.

A workshop kernel gets restarted, interrupted and killed. Nothing the lessons
start may outlive it, so every child is started with ``PR_SET_PDEATHSIG``: the
Linux kernel sends it SIGKILL when its parent goes, however the parent went.
That signal follows the *thread* that started the child, so all children are
started from one long-lived thread, not from whichever thread asked.

Nor may a child die with a mere *interrupt*: JupyterLab's ■ sends SIGINT to the
kernel's whole process group, so every child gets a session (and so a process
group) of its own. It still dies with the kernel, through the signal above.
"""

from __future__ import annotations

import ctypes
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

_PR_SET_PDEATHSIG = 1
_requests: queue.Queue[tuple[Callable[[], Any], Future]] = queue.Queue()
_spawner: threading.Thread | None = None
_lock = threading.Lock()


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _serve() -> None:
    while True:
        job, done = _requests.get()
        try:
            done.set_result(job())
        except BaseException as e:  # noqa: BLE001 - handed back to the caller
            done.set_exception(e)


def spawn(args: list[str], **popen: Any) -> subprocess.Popen:
    """``subprocess.Popen(args)`` from the spawner thread, the child bound to this process's life."""
    global _spawner
    with _lock:
        if _spawner is None:
            _spawner = threading.Thread(target=_serve, name="lab child spawner", daemon=True)
            _spawner.start()
    done: Future = Future()
    _requests.put(
        (
            lambda: subprocess.Popen(
                args, preexec_fn=_die_with_parent, start_new_session=True, **popen
            ),
            done,
        )
    )
    return done.result(timeout=30)


def alive(pid: int) -> bool:
    """True while ``pid`` is a running process (not a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def watch_parent(interval: float = 0.5) -> None:
    """For a child written in Python: exit when the parent is gone (a second line behind PDEATHSIG)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(interval)
        os._exit(0)

    threading.Thread(target=watch, name="watch parent", daemon=True).start()
