"""Worker processes on a real Resonate server, and killing them.

``Resonate.local()`` serves one worker, inside the kernel: a worker kill cannot
be shown honestly there. A ``Cluster`` starts the server (or uses the one
``RESONATE_HOST`` names) and N worker processes (``python -m lab.worker``),
and the kernel only submits orders and watches: its own Resonate instance is
in a group of its own and runs nothing. Killing a worker is SIGKILL, as a
crashed machine would be; the server notices when the worker's tasks go
``ttl`` seconds without a heartbeat and hands them to another worker.

Re-running a lesson's setup cell reuses the server and the live workers.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from resonate import Resonate

from lab import inspector
from lab.errors import Refused
from lab.events import new_event
from lab.ledger import CHANNELS
from lab.paths import run_dir
from lab.processes import alive, spawn
from lab.run import Run
from lab.runtime import DEFAULT_WORKERS, WORKFLOWS, Lab, choose_server, kernel_server
from lab.server import LocalServer
from lab.timeline import Mark
from lab.worker import TEACHING_TTL, sdk_pid
from lab.workers import Restart, WorkerPool, WorkerProcess, worker_table

CLAIMED = 4  # the server's task state for "a worker holds it"


@dataclass(frozen=True)
class Kill:
    """One worker process killed during one order."""

    workflow_id: str
    target: str  # "workflow" or a channel
    pid: int
    t: float
    doing: tuple[str, ...]  # the channels it was running
    after: str | None = None  # the channel whose confirmation triggered it

    def describe(self, origin: float) -> str:
        who = (
            "the workflow's worker"
            if self.target == "workflow"
            else f"the worker running {self.target}"
        )
        why = f", once {self.after} was confirmed on the server" if self.after else ""
        return (
            f"✗ killed {who} (pid {self.pid}) at +{round((self.t - origin) * 1000)} ms{why}; "
            f"it was running: {', '.join(self.doing) or 'no channel'}"
        )


_clients = itertools.count(1)

# Worker processes by server address: they outlive a re-run of the setup cell, not the kernel.
_pools: dict[tuple, WorkerPool] = {}
_pools_lock = threading.Lock()


class Cluster(Lab):
    """A Resonate server, ``processes`` worker processes, and the kernel as a client.

    ``ttl`` (seconds) is how long a killed worker's task waits before the
    server hands it on; ``workers`` is the functions each process runs at once.
    """

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
        with _pools_lock:
            if key not in _pools:
                _pools[key] = WorkerPool(self._worker_args(), run_dir() / "workers")
            self.workers_pool = _pools[key]
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

    def _find_workflow_worker(self, run: Run, within: float = 2.0) -> None:
        """Note which worker claims the workflow: it holds it only for the first few tens of ms."""
        deadline = time.monotonic() + within
        while run.workflow_pid is None and not run.done and time.monotonic() < deadline:
            run.workflow_pid = self.workflow_holder(run) or self._workflow_step_pid(run)
            time.sleep(0.002)

    def _workflow_step_pid(self, run: Run) -> int | None:
        """The worker whose registry looked the workflow up first after this run was submitted.

        A second witness beside the server's table, which a busy machine can
        miss: every worker notes when it looks a workflow up to run a step.
        """
        pid = self.ledger.first_workflow_step(run.started)
        return pid if pid in [w.pid for w in self.pool] else None

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
        if kill is not None and kill != "workflow" and kill not in CHANNELS:
            msg = f"kill must be 'workflow' or one of {', '.join(CHANNELS)}, got {kill!r}"
            raise Refused(msg)
        if after is not None and after not in CHANNELS:
            msg = f"after must be one of {', '.join(CHANNELS)} (kill once it is confirmed), got {after!r}"
            raise Refused(msg)
        if at_ms is not None and (
            not isinstance(at_ms, int) or isinstance(at_ms, bool) or not 0 <= at_ms <= 10_000
        ):
            msg = f"at_ms must be a whole number of milliseconds from 0 to 10000, got {at_ms!r}"
            raise Refused(msg)
        if kill is not None and after is None and at_ms is None:
            msg = "say when to kill: after='push' (once push is confirmed) or at_ms=200"
            raise Refused(msg)
        if kill is None and (after is not None or at_ms is not None):
            msg = "after= and at_ms= say when to kill: give kill= too (a channel or 'workflow')"
            raise Refused(msg)
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
            threading.Thread(
                target=self._kill_when,
                args=(run, kill, after, at_ms),
                name=f"kill for {run.workflow_id}",
                daemon=True,
            ).start()
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

    def _confirmed(self, run: Run, channel: str) -> bool:
        """The channel's durable promise is resolved on the server: its result is stored."""
        return inspector.state(self.address, f"{run.workflow_id}.{channel}") == "RESOLVED"

    def _moment(self, run: Run, after: str | None, at_ms: int | None) -> bool:
        """Wait for ``at_ms`` after submitting and, with ``after``, that channel confirmed.

        True once both hold while ``run`` is in flight; False if the run ended first.
        The one clock the lessons' kills and crashes fire on.
        """
        due = run.started + (at_ms or 0) / 1000
        while not run.done:
            if time.time() >= due and (after is None or self._confirmed(run, after)):
                return True
            time.sleep(0.005)
        return False

    @staticmethod
    def _when(after: str | None, at_ms: int | None) -> str:
        return f"once {after} was confirmed" if after else f"at +{at_ms or 0} ms"

    def _kill_when(self, run: Run, target: str, after: str | None, at_ms: int | None) -> None:
        """Kill ``target``'s worker once ``after`` is confirmed or at ``at_ms``, while ``run`` is in flight."""
        while self._moment(run, after, at_ms):
            if self.kill_target(run, target, after=after) is not None:
                return
            if after is None:  # a kill on the clock gets one chance
                who = "the workflow's worker" if target == "workflow" else f"{target}'s worker"
                run.note(f"no kill at +{at_ms} ms: {who} was not running then")
                return
            time.sleep(0.005)  # on an event: the target may not have started yet
        when = self._when(after, at_ms)
        run.note(f"no kill: the order was done before {target}'s worker could be killed {when}")

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
                "lab.submit",
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
            cwd=Path(__file__).resolve().parent.parent,
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

    # -- what a kill did, measured

    def kill_target(self, run: Run, target: str, *, after: str | None = None) -> Kill | None:
        """Kill the worker process behind ``target`` ("workflow" or a channel) of ``run``; None if none runs it now."""
        if run.done:
            return None
        pid = (
            (run.workflow_pid or self._workflow_step_pid(run))
            if target == "workflow"
            else self.channel_holder(run, target)
        )
        if pid is None:
            return None
        if pid not in [w.pid for w in self.running()]:
            if alive(pid):
                run.note(
                    f"{target} runs on pid {pid}, a worker of another Cluster on this server: not killed"
                )
            return None
        doing = tuple(
            sorted({a.channel for a in run.attempts() if a.pid == pid and a.outcome == "running"})
        )
        kill = Kill(
            run.workflow_id, target, pid, self.kill(pid).killed or time.time(), doing, after
        )
        self.kills.append(kill)
        return kill

    def kills_of(self, run: Run) -> list[Kill]:
        return [k for k in self.kills if k.workflow_id == run.workflow_id]

    def recovery_ms(self, run: Run) -> int | None:
        """From the first kill during ``run`` to the workflow's result."""
        run.wait()
        kills = self.kills_of(run)
        return round((run.ended - kills[0].t) * 1000) if kills and run.ended else None

    def rerun_completed(self, run: Run) -> set[str]:
        """Channels confirmed sent before the kill that ran again after it.

        The lesson's claim is that there are none.
        """
        kills = self.kills_of(run)
        return run.rerun_after(kills[0].t) if kills else set()

    def restarts_of(self, run: Run) -> list[Restart]:
        """Workers that exited on their own during ``run`` and were replaced."""
        return self.workers_pool.restarts_between(run.started, run.ended)

    def report(self, run: Run) -> None:
        """What the kill did to this order, from the ledger and the clock."""
        result = run.wait()
        print(f"{run.workflow_id}: {result['channels_notified']}/4 notified, wall {run.wall_ms} ms")
        for line in self.notes_of(run):
            print(f"  {line}")
        if self.kills_of(run):
            print(f"  kill → done: {self.recovery_ms(run)} ms (ttl {self.ttl} s)")
        for a in run.attempts():
            print(
                f"  {a.channel:<6} attempt {a.attempt} on pid {a.pid}: {a.outcome:<7} delivered: {a.delivery}"
            )

    def notes_of(self, run: Run) -> list[str]:
        """Everything that happened to the run's processes, in words: kills, restarts, skipped kills."""
        return (
            [k.describe(run.origin) for k in self.kills_of(run)]
            + [str(r) for r in self.restarts_of(run)]
            + run.notes
        )

    # -- worker processes

    def _worker_args(self) -> list[str]:
        return [
            sys.executable,
            "-u",
            "-m",
            "lab.worker",
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

    def holders(self, workflow_id: str) -> dict[str, int]:
        """Which worker process holds each task of an order right now: {promise id: OS pid}.

        Read from the server's own SQLite file (its API has no task listing):
        only for a server on this machine whose file the lab knows.
        """
        if self.db is None or not self.db.exists():
            return {}
        db = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5)
        try:
            rows = db.execute(
                "SELECT json_extract(CAST(mesg AS TEXT), '$.leaf'), process_id FROM tasks "
                "WHERE root_promise_id = ? AND state = ?",
                (workflow_id, CLAIMED),
            ).fetchall()
        finally:
            db.close()
        by_sdk_pid = {sdk_pid(w.pid): w.pid for w in self.pool}
        return {leaf: by_sdk_pid[p] for leaf, p in rows if p in by_sdk_pid}

    def workflow_holder(self, run: Run) -> int | None:
        """The worker process running the workflow itself (not a channel) right now."""
        return self.holders(run.workflow_id).get(run.workflow_id)

    def channel_holder(self, run: Run, channel: str) -> int | None:
        """The worker process running ``channel`` of this order right now."""
        if channel not in CHANNELS:
            msg = f"no such channel {channel!r}; the channels are {', '.join(CHANNELS)}"
            raise Refused(msg)
        running = [
            a
            for a in run.attempts()
            if a.channel == channel and a.outcome == "running" and alive(a.pid)
        ]
        return running[-1].pid if running else None

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


def retire(server: LocalServer) -> None:
    """Kill a server this kernel started and every worker process serving it."""
    with _pools_lock:
        for key, pool in list(_pools.items()):
            if key[0] == server.address:
                pool.stop()
                del _pools[key]
    server.kill()


def leftover_processes() -> list[int]:
    """Worker processes of this kernel still running (for tests and the instructor)."""
    return [w.pid for pool in _pools.values() for w in pool.running()]


__all__ = ["Cluster", "WorkerProcess", "choose_server", "leftover_processes"]
