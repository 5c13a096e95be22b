"""Kill a child once the process that started it is gone: the lifetime guarantee off Linux.

    python -m lab.servers.reaper CHILD_PID CHILD_CREATE_TIME

``lab.servers.processes`` starts one beside each child where ``PR_SET_PDEATHSIG`` does not
exist (macOS) or is turned off (``LAB_NO_PDEATHSIG=1``). It watches its own parent,
the kernel: when the kernel is gone, however it went, the child gets SIGKILL — the
same end the Linux signal gives it. It exits by itself when the child ends first.
The child's creation time guards against a recycled process id.
"""

from __future__ import annotations

import os
import sys
import time

import psutil


def main(argv: list[str]) -> int:
    child, created = int(argv[0]), float(argv[1])
    parent = os.getppid()
    try:
        target = psutil.Process(child)
        if abs(target.create_time() - created) > 0.01:
            return 0  # not the process we were asked to watch
    except psutil.Error:
        return 0
    while True:
        if not target.is_running() or target.status() == psutil.STATUS_ZOMBIE:
            return 0
        if os.getppid() != parent or not psutil.pid_exists(parent):
            try:
                target.kill()
            except psutil.Error:
                pass
            return 0
        time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
