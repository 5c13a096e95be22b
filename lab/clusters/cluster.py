"""Worker processes on a real Resonate server, and killing them.

``Resonate.local()`` serves one worker, inside the kernel: a worker kill cannot
be shown honestly there. A ``Cluster`` starts the server (or uses the one
``RESONATE_HOST`` names) and N worker processes (``python -m lab.clusters.worker``),
and the kernel only submits orders and watches: its own Resonate instance is
in a group of its own and runs nothing. Killing a worker is SIGKILL, as a
crashed machine would be; the server notices when the worker's tasks go
``ttl`` seconds without a heartbeat and hands them to another worker.

Re-running a lesson's setup cell reuses the server and the live workers.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from resonate import Resonate

from lab.clusters.kills import Kill, Killing, check_kill
from lab.clusters.pool import WorkerProcess, shared_pool, worker_table
from lab.clusters.worker import TEACHING_TTL
from lab.draw.timeline import Mark
from lab.errors import Refused
from lab.orders.events import new_event
from lab.orders.run import Run
from lab.orders.runtime import DEFAULT_WORKERS, WORKFLOWS, Lab, kernel_server
from lab.paths import PROJECT, run_dir
from lab.servers.legacy import LocalServer
from lab.servers.processes import spawn

_clients = itertools.count(1)


class Cluster(Killing, Lab):
    """A Resonate server, ``processes`` worker processes, and the kernel as a client.

    ``ttl`` (seconds) is how long a killed worker's task waits before the
    server hands it on; ``workers`` is the functions each process runs at once.
    """

    called = "cluster"

    def __init__(
        self,
        processes: int = 3,
        *,
        ttl: int = TEACHING_TTL,
        workers: int = DEFAULT_WORKERS,
        server: str | bool | LocalServer = True,
        replace: dict[str, Path] | None = None,
    ) -> None:
        if not isinstance(processes, int) or isinstance(processes, bool) or not 1 <= processes <= 8:
            msg = f"processes must be a whole number from 1 to 8, got {processes!r}"
            raise Refused(msg)
        if not isinstance(ttl, int) or isinstance(ttl, bool) or not 1 <= ttl <= 60:
            msg = f"ttl must be a whole number of seconds from 1 to 60, got {ttl!r}"
            raise Refused(msg)
        if isinstance(server, LocalServer):  # a server of its own (lesson 4's exercise)
            self.local, server = server.start(), server.address
        else:
            self.local = (
                None if (server is not True or os.environ.get("RESONATE_HOST")) else kernel_server()
            )
        self.replace = dict(
            replace or {}
        )  # channel -> file whose send_<channel> the workers run instead
        # The server's SQLite file, read to see which worker holds a task: ours, or the one
        # binder/start launched (it exports RESONATE_SERVER_DB alongside RESONATE_HOST).
        external_db = os.environ.get("RESONATE_SERVER_DB") if server is True else None
        self.db = self.local.db if self.local else Path(external_db) if external_db else None
        super().__init__(workers=workers, server=server)
        self.ttl = ttl
        self.marks: list[Mark] = []
        self.kills: list[Kill] = []
        key = (
            self.address,
            ttl,
            workers,
            str(self.ledger.path),
            tuple(sorted(self.replace.items())),
        )
        self.workers_pool = shared_pool(key, self._worker_args(), run_dir() / "workers")
        self.processes = processes
        self.scale(processes)

    @property
    def pool(self) -> list[WorkerProcess]:
        """Every worker process this cluster's pool has started, live or not."""
        return self.workers_pool.members

    def serving(self, workers: int | None = None) -> str:
        """Who runs an order, in words: the worker processes, or that there are none."""
        n = len(self.running())
        if n == 0:
            return "no worker process (the order waits for one: start a worker)"
        return f"{n} worker process{'es' if n != 1 else ''}"

    @property
    def mode(self) -> str:
        return f"server at {self.address.url} with {self.serving()} (ttl {self.ttl} s)"

    # -- the kernel is a client: it submits, it never runs a task

    def _create(self, workers: int) -> Resonate:
        resonate = Resonate.remote(
            host=self.address.host,
            store_port=str(self.address.store_port),
            message_source_port=str(self.address.poll_port),
            group="lessons-client",
            pid=f"kernel-{os.getpid()}-{next(_clients)}",  # one per instance: the server answers each its own
            workers=1,
            log_level="CRITICAL",  # the SDK's per-function error lines would land in a cell
        )
        resonate.start()
        return resonate

    def _submit(self, resonate: Resonate, run: Run, simulate_crash: bool) -> Any:
        handle = resonate.begin_rpc(run.workflow_id, run.workflow, run.event, simulate_crash)
        threading.Thread(
            target=self._find_workflow_worker,
            args=(run,),
            name=f"watch {run.workflow_id}",
            daemon=True,
        ).start()
        return handle

    def timeline_options(self) -> dict[str, Any]:
        return {"lanes": "worker", "marks": lambda: list(self.marks)}

    def start(
        self,
        event: dict[str, Any] | None = None,
        *,
        kill: str | None = None,
        after: str | None = None,
        at_ms: int | None = None,
        top_up: bool = True,
        **options: Any,
    ) -> Run:
        """As ``Lab.start``, on the worker processes; optionally kill one of them mid-run.

        ``kill="email"`` (a channel, or ``"workflow"``) SIGKILLs the worker
        running it, ``after="push"``: once push's promise is resolved on the
        server, or ``at_ms`` after submitting. A kill belongs to its run: it
        never fires once the run has ended (the run's ``notes`` say so).
        ``top_up`` first starts workers until ``processes`` are running.
        """
        check_kill(kill, after, at_ms)
        if not isinstance(top_up, bool):
            msg = f"top_up must be True or False, got {top_up!r}"
            raise Refused(msg)
        if options.get("workflow", "fan-out") not in (*WORKFLOWS, *WORKFLOWS.values()):
            msg = "worker processes run the production workflow only; run your own workflow with Lab() in the kernel"
            raise Refused(msg)
        notes = self._prepare(top_up)
        run = super().start(event, **options)
        run.notes += notes
        if kill:
            self.kill_when(run, kill, after, at_ms)
        return run

    def _prepare(self, top_up: bool) -> list[str]:
        """Before a submission: the server answers and, with ``top_up``, ``processes`` workers run."""
        notes = []
        if self.local is not None and not self.local.running and self.restarts_dead_server:
            code = self.local.process.returncode if self.local.process else None
            self.local.start()
            notes.append(f"the server had exited ({code}); restarted on the same file and ports")
        if top_up:
            missing = self.processes - len(self.running())
            if missing > 0:
                self.scale(self.processes)
                notes.append(
                    f"started {missing} worker process{'es' if missing > 1 else ''} "
                    f"to have {self.processes} running again"
                )
        return notes

    restarts_dead_server = True  # a server that crashed is the lesson's in lesson 5 only

    def run(self, event: dict[str, Any] | None = None, **options: Any) -> Run:
        """As ``Lab.run``, with a lane per worker process and the kills marked."""
        return super().run(event, **{**self.timeline_options(), **options})

    def run_twice(self, timeout: float = 30) -> tuple[Run, dict[str, Any]]:
        """The same new order submitted at the same moment by this kernel and by another process.

        Returns this kernel's run and the other process's result: one
        workflow, one set of messages, two callers with the same answer.
        """
        import json

        event = new_event()
        other = spawn(
            [
                sys.executable,
                "-u",
                "-m",
                "lab.clusters.submit",
                "--server",
                self.address.url,
                "--poll-port",
                str(self.address.poll_port),
                "--event",
                json.dumps(event),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=PROJECT,
        )
        try:
            if other.stdout.readline().strip() != "ready":
                msg = "the second submitter did not start"
                raise RuntimeError(msg)
            other.stdin.write("go\n")
            other.stdin.flush()
            run = self.start(event)
            run.wait(timeout)
            line = other.stdout.readline()
            return run, json.loads(line) if line else {}
        finally:
            other.kill()
            other.wait(10)

    # -- worker processes

    def _worker_args(self) -> list[str]:
        return [
            sys.executable,
            "-u",
            "-m",
            "lab.clusters.worker",
            "--server",
            self.address.url,
            "--poll-port",
            str(self.address.poll_port),
            "--ledger",
            str(self.ledger.path),
            "--ttl",
            str(self.ttl),
            "--workers",
            str(self.workers),
            *(f"--channel={c}={path}" for c, path in self.replace.items()),
        ]

    def running(self) -> list[WorkerProcess]:
        return self.workers_pool.running()

    def start_worker(self) -> WorkerProcess:
        """Start one more worker process and wait until it serves."""
        return self.workers_pool.start_one()

    def scale(self, processes: int) -> list[WorkerProcess]:
        """Start workers until ``processes`` are running."""
        return self.workers_pool.scale(processes)

    def kill(self, pid: int) -> WorkerProcess:
        """SIGKILL one worker process, mid-whatever it was doing, and mark it on the timelines."""
        worker = self.workers_pool.kill(pid)
        self.ledger.mark_killed(pid)
        self.marks.append(Mark(worker.killed, f"✗ pid {pid} killed"))
        return worker

    def stop_workers(self) -> None:
        """End every worker process of this cluster on purpose; the server stays."""
        self.workers_pool.stop()

    def shutdown(self) -> None:
        """Kill every worker process and the server this kernel started (tests; the kernel's exit does it too)."""
        self.stop_workers()
        if self.local is not None:
            self.local.kill()

    def table(self) -> Any:
        return worker_table(self.pool, f"Worker processes — {self.mode}")
