"""Worker processes (``python -m lab.clusters.worker``), started, killed and supervised.

SDK 0.6.7 ends a worker process with ``os._exit(1)`` on any internal error, a
403 from the server included ("The task is already claimed", "The task counter
is invalid": a claim that lost a race with a re-send). In a workshop that looks
like the durable store failing, and a cluster that loses a worker per run soon
has none. So a pool is *supervised*: a worker that exits on its own is replaced
within a fraction of a second, and the replacement is recorded with the error
the SDK logged (``Restart``), for the report and the panel to say. A worker the
lab kills on purpose (a lesson's SIGKILL, ``stop``) is never replaced by the
supervisor: the lesson decides when to start another.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.draw.tables import html_table
from lab.errors import Refused
from lab.paths import PROJECT
from lab.servers.processes import spawn

SUPERVISE_EVERY_S = 0.1


@dataclass
class WorkerProcess:
    """One ``python -m lab.clusters.worker`` process."""

    process: subprocess.Popen = field(repr=False)
    started: float
    log: Path
    killed: float | None = None  # SIGKILLed by the lab (a lesson's kill)
    stopped: bool = False  # ended by the lab on purpose (not a kill to show)
    replaced_by: int | None = None  # the supervisor's replacement, once it has one

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def state(self) -> str:
        if self.killed is not None:
            return "killed"
        if self.process.poll() is None:
            return "running"
        if self.replaced_by:
            return f"exited ({self.process.returncode}), replaced by {self.replaced_by}"
        return f"exited ({self.process.returncode})"

    @property
    def exited_on_its_own(self) -> bool:
        return self.process.poll() is not None and self.killed is None and not self.stopped

    def exit_reason(self) -> str:
        """What the SDK logged before it ended the process, in a few words."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            text = ""
        found = re.findall(r"Exception:\s+(\w+)\((?:mesg=)?['\"]?(.*?)['\"]?(?:,|\)$)", text, re.M)
        if found:
            name, message = found[-1]
            return f"SDK error: {name}: {message[:80]}"
        return exit_words(self.process.returncode)


def exit_words(code: int | None) -> str:
    """``exit code 1``, or ``killed by SIGSEGV`` for a process a signal ended."""
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            pass
    return f"exit code {code}"


def worker_table(workers: list[WorkerProcess], caption: str) -> Any:
    """Worker processes as a table: pid, state, when started, their log."""
    from IPython.display import HTML

    rows = [
        (w.pid, w.state, time.strftime("%H:%M:%S", time.localtime(w.started)), w.log.name)
        for w in workers
    ]
    return HTML(html_table(("pid", "state", "started", "log"), rows, caption=caption))


@dataclass(frozen=True)
class Restart:
    """A worker that exited on its own and the one that replaced it."""

    t: float
    pid: int
    reason: str
    new_pid: int

    def __str__(self) -> str:
        return f"worker {self.pid} exited ({self.reason}), restarted as {self.new_pid}"


class WorkerPool:
    """Worker processes started with ``args``, their logs in ``logs``, supervised."""

    def __init__(self, args: list[str], logs: Path) -> None:
        self.args = args
        self.logs = logs
        self.members: list[WorkerProcess] = []
        self.restarts: list[Restart] = []
        self._lock = threading.RLock()
        self._supervisor = threading.Thread(target=self._supervise, name="lab worker supervisor")
        self._supervisor.daemon = True
        self._supervisor.start()

    def running(self) -> list[WorkerProcess]:
        return [w for w in self.members if w.state == "running"]

    def start_one(
        self, timeout: float = 90, extra: tuple[str, ...] = (), env: dict[str, str] | None = None
    ) -> WorkerProcess:
        """Start one more worker process (``extra`` arguments, ``env`` added to its environment)
        and wait until it serves.

        A worker imports the SDK and the lab in a second or two; a room's machine with
        thirty learners starting theirs at once took over 30 s (benchmarks/room.py).
        """
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"worker-{time.time_ns()}.log"
        with log.open("w") as out:
            process = spawn(
                [*self.args, *extra],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=PROJECT,
                env={**os.environ, **env} if env else None,
            )
        worker = WorkerProcess(process, time.time(), log)
        deadline = time.monotonic() + timeout
        while "ready" not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                code = process.poll()
                process.kill()
                tail = log.read_text(errors="replace")[-1500:].strip()
                why = (
                    f"its log ends:\n{tail}"
                    if tail
                    else "it printed nothing (is the machine overloaded?)"
                )
                ended = f"ended ({exit_words(code)})" if code is not None else "did not start"
                msg = f"a worker process {ended} within {timeout:g} s: {why}"
                raise RuntimeError(msg)
            time.sleep(0.05)
        with self._lock:
            self.members.append(worker)
        return worker

    def scale(self, processes: int) -> list[WorkerProcess]:
        """Start workers until ``processes`` are running."""
        with self._lock:
            while len(self.running()) < processes:
                self.start_one()
            return self.running()

    def kill(self, pid: int) -> WorkerProcess:
        """SIGKILL one running worker, as a crashed machine would."""
        with self._lock:
            worker = next((w for w in self.members if w.pid == pid), None)
            if worker is None or worker.state != "running":
                known = ", ".join(str(w.pid) for w in self.running()) or "none"
                msg = f"no running worker process {pid!r}; running: {known}"
                raise Refused(msg)
            worker.killed = time.time()  # before the signal: the supervisor must not replace it
            os.kill(pid, signal.SIGKILL)
        worker.process.wait(10)
        return worker

    def stop(self) -> None:
        """End every worker on purpose (nothing is replaced)."""
        with self._lock:
            for w in self.members:
                w.stopped = True
                if w.process.poll() is None:
                    w.process.kill()
                    w.process.wait(10)

    def restarts_between(self, start: float, end: float | None) -> list[Restart]:
        return [r for r in self.restarts if start <= r.t <= (end or time.time())]

    def _supervise(self) -> None:
        while True:
            time.sleep(SUPERVISE_EVERY_S)
            with self._lock:
                gone = [w for w in self.members if w.exited_on_its_own and w.replaced_by is None]
                for worker in gone:
                    try:
                        new = self.start_one()
                    except Exception:  # noqa: BLE001 - the server may be down; try again next round
                        break
                    worker.replaced_by = new.pid
                    self.restarts.append(
                        Restart(time.time(), worker.pid, worker.exit_reason(), new.pid)
                    )


# Every pool of this kernel, by what it serves: a re-run of a set-up cell finds its workers
# again; they outlive the cell, never the kernel.
_pools: dict[tuple, WorkerPool] = {}
_pools_lock = threading.Lock()


def shared_pool(key: tuple, args: list[str], logs: Path) -> WorkerPool:
    """The kernel's pool for ``key`` (its server's address first); a new one if ``args`` changed."""
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None or pool.args != args:  # a new server's URL: new workers
            if pool is not None:
                pool.stop()
            pool = _pools[key] = WorkerPool(args, logs)
        return pool


def stop_pools(address: object) -> None:
    """Stop every pool serving the server at ``address``: its server is going."""
    with _pools_lock:
        for key, pool in list(_pools.items()):
            if key[0] == address:
                pool.stop()
                del _pools[key]
