"""Child processes that die with the kernel: the Resonate server and worker processes.

A workshop kernel gets restarted, interrupted and killed. Nothing the lessons
start may outlive it, so on Linux every child is started with
``PR_SET_PDEATHSIG``: the Linux kernel sends it SIGKILL when its parent goes,
however the parent went. That signal follows the *thread* that started the
child, so all children are started from one long-lived thread, not from
whichever thread asked.

Elsewhere (macOS, most onboarding laptops) there is no such signal: each child
gets a reaper instead (``lab.servers.reaper``), a small process that watches the kernel
and SIGKILLs the child when the kernel is gone. ``LAB_NO_PDEATHSIG=1`` takes that
path on Linux too (the tests do). Liveness and CPU time come from psutil, never
from ``/proc`` by hand.

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

import psutil

from lab.paths import PROJECT

_PR_SET_PDEATHSIG = 1
_requests: queue.Queue[tuple[Callable[[], Any], Future]] = queue.Queue()
_spawner: threading.Thread | None = None
_lock = threading.Lock()


def pdeathsig() -> bool:
    """Is the child-lifetime guarantee the Linux kernel's own signal (else: a reaper)?"""
    return sys.platform == "linux" and not os.environ.get("LAB_NO_PDEATHSIG")


def _die_with_parent() -> None:  # runs in the child between fork and exec
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
    bound = pdeathsig()
    _requests.put(
        (
            lambda: subprocess.Popen(
                args,
                preexec_fn=_die_with_parent if bound else None,
                start_new_session=True,
                **popen,
            ),
            done,
        )
    )
    child = done.result(timeout=30)
    if not bound:
        _reap_with_this_process(child.pid)
    return child


def _reap_with_this_process(child: int) -> None:
    """Start ``lab.servers.reaper``: it SIGKILLs ``child`` once this process is gone."""
    subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lab.servers.reaper",
            str(child),
            repr(psutil.Process(child).create_time()),
        ],
        start_new_session=True,  # an Interrupt of the kernel is not its end
        stdin=subprocess.DEVNULL,
        cwd=PROJECT,
    )


def alive(pid: int) -> bool:
    """True while ``pid`` is a running process (not a zombie)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by ``pids`` (those still there)."""
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def watch_parent(interval: float = 0.5) -> None:
    """For a child written in Python: exit when the parent is gone (a second line behind PDEATHSIG)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(interval)
        os._exit(0)

    threading.Thread(target=watch, name="watch parent", daemon=True).start()
