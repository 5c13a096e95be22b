"""Lesson 8's worker kill: resonate-sdk 0.8 worker processes on the Resonate server v0.9.

What lesson 4 showed on 0.6, on today's SDK and server. The kernel submits an
order with ``rpc`` to the group ``workers``; two ``python -m lab.clusters.worker08``
processes serve it. One difference shapes what a kill does: in 0.8 a
``ctx.run`` child runs in the process that runs its workflow, so the worker
holding the order's task runs all four channels. SIGKILL it, and its leases
stop being renewed; once the lease (``ttl``) runs out the server hands the
task to the other worker, which replays the workflow from the top. A child
whose promise the server already holds returns its stored result; a child
that was in flight runs again.

The server and the workers are kept per run folder: re-running the lesson's
set-up cell reuses them, and they die with the kernel, never with an Interrupt
(``lab.servers.processes``).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import lab.orders.sdk08  # first: channels.py imports on 0.8, the channels are observed
from lab.clusters.pool import shared_pool, worker_table
from lab.clusters.worker08 import GROUP, TEACHING_TTL, WORKFLOW
from lab.draw.timeline import Mark
from lab.errors import Refused
from lab.orders.events import new_event, validate_event
from lab.orders.ledger import CHANNELS
from lab.orders.run import Run
from lab.orders.sdk08 import until_done
from lab.paths import run_dir
from lab.servers.v09 import Server09

if TYPE_CHECKING:
    from resonate.resonate import Resonate

# The position of each channel's ctx.run in notify_all_08: its promise is notify/<order>:<n>.
POSITION = {"email": 1, "sms": 2, "slack": 3, "push": 4}

_servers: dict[str, Server09] = {}
_clients: dict[str, Resonate] = {}


@dataclass(frozen=True)
class Kill08:
    pid: int
    t: float
    after: str
    doing: tuple[str, ...]


# By run folder, then order: a re-run set-up cell keeps them.
_kills: dict[str, dict[str, Kill08]] = {}


class Cluster08:
    """The v0.9 server, ``processes`` lesson-8 workers, and the kernel as a client."""

    def __init__(self, processes: int = 2, ttl: float = TEACHING_TTL) -> None:
        if isinstance(processes, bool) or not isinstance(processes, int) or not 2 <= processes <= 4:
            msg = f"processes must be a whole number from 2 to 4 (one to kill, one to finish), got {processes!r}"
            raise Refused(msg)
        if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not 1 <= ttl <= 30:
            msg = f"ttl must be a number of seconds from 1 to 30, got {ttl!r}"
            raise Refused(msg)
        self.processes, self.ttl = processes, float(ttl)
        key = f"{run_dir()}"
        if key not in _servers or not _servers[key].running:
            _servers[key] = Server09(run_dir()).start()
            _clients.pop(key, None)
        self.server = _servers[key]
        args = [
            sys.executable,
            "-m",
            "lab.clusters.worker08",
            "--server",
            self.server.url,
            "--ttl",
            f"{ttl:g}",
        ]
        self.pool = shared_pool((key, "0.8"), args, run_dir() / "workers-08")
        self.pool.scale(processes)
        if key not in _clients:
            from resonate.resonate import Resonate

            _clients[key] = Resonate(
                url=self.server.url, group="kernel", pid=f"kernel-{os.getpid()}"
            )
        self.client = _clients[key]
        self.ledger = lab.orders.sdk08._ledger()
        self.kills = _kills.setdefault(key, {})

    async def run(
        self,
        event: dict[str, Any] | None = None,
        *,
        kill_after: str | None = None,
        timeout: float = 60,
    ) -> Run:
        """Submit an order to the workers and draw it live, a lane per worker process.

        ``kill_after="slack"`` SIGKILLs the worker running the order the moment
        slack's promise is resolved on the server.
        """
        from lab.orders.live import LiveTimeline

        if kill_after is not None and kill_after not in CHANNELS:
            msg = f"kill_after must be one of {', '.join(CHANNELS)} or None, got {kill_after!r}"
            raise Refused(msg)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            msg = f"timeout must be a number of seconds > 0, got {timeout!r}"
            raise Refused(msg)
        event = new_event() if event is None else validate_event(event)
        self.pool.scale(self.processes)
        run = Run(f"notify/{event['order_id']}", event, WORKFLOW, self.client, self.ledger)
        handle = self.client.options(target=GROUP).rpc(run.workflow_id, WORKFLOW, event, False)
        loop = asyncio.get_running_loop()
        run.task = loop.create_task(run.follow(handle))
        if kill_after:  # a task of its own: the kill belongs to the run, not to the cell (■)
            run.kill_task = loop.create_task(self._kill_after(run, kill_after))
        chart = LiveTimeline(run, lanes="worker", marks=lambda: self._marks(run))
        chart.show()
        await until_done(run, timeout, goes_on="on the workers")
        await asyncio.to_thread(chart.drawn.wait, 5)
        return run

    async def _settled(self, run: Run, channel: str) -> bool:
        try:
            promise = await self.client.promises.get(f"{run.workflow_id}:{POSITION[channel]}")
        except Exception:  # noqa: BLE001 - not created yet
            return False
        return "resolved" in str(promise.state).lower()

    async def _kill_after(self, run: Run, channel: str) -> None:
        """Once ``channel`` is confirmed, SIGKILL the worker running the order's other channels."""
        while not run.done:
            if await self._settled(run, channel):
                running = [a for a in run.attempts() if a.outcome == "running"]
                if not running:
                    break
                pid = running[0].pid
                self.pool.kill(pid)
                self.ledger.mark_killed(pid)
                self.kills[run.workflow_id] = Kill08(
                    pid, time.time(), channel, tuple(a.channel for a in running if a.pid == pid)
                )
                return
            await asyncio.sleep(0.005)
        run.note(f"no kill: no channel was still running once {channel} was confirmed")

    def _marks(self, run: Run) -> list[Mark]:
        kill = self.kills.get(run.workflow_id)
        return [Mark(kill.t, f"✗ pid {kill.pid} killed")] if kill else []

    def recovery_ms(self, run: Run) -> int | None:
        """From the kill to the order's result, in ms (None: no kill in this run)."""
        kill = self.kills.get(run.workflow_id)
        run.wait(0)
        return round((run.ended - kill.t) * 1000) if kill else None

    def rerun_completed(self, run: Run) -> set[str]:
        """Channels confirmed before the kill that ran again after it."""
        kill = self.kills.get(run.workflow_id)
        return run.rerun_after(kill.t) if kill else set()

    def report(self, run: Run) -> None:
        """What the kill hit, who finished, and what ran again: read from this run's ledger."""
        result = run.wait(0)
        print(f"{run.workflow_id}: {result['channels_notified']}/4 channels notified")
        for note in run.notes:
            print(f"  {note}")
        kill = self.kills.get(run.workflow_id)
        if kill is None:
            return
        at = round((kill.t - run.started) * 1000)
        print(
            f"  ✗ killed worker {kill.pid} at +{at} ms, once {kill.after} was confirmed on the server; "
            f"it was running: {', '.join(kill.doing)}"
        )
        after = [a for a in run.attempts() if a.started >= kill.t]
        if after:
            took = round((min(a.started for a in after) - kill.t) * 1000)
            finisher = {a.pid for a in after}
            print(
                f"  worker {', '.join(map(str, sorted(finisher)))} took the order {took} ms after the kill "
                f"(the lease: ttl {self.ttl:g} s, renewed every {self.ttl / 2:g} s) and replayed it"
            )
        again = sorted({a.channel for a in after}, key=CHANNELS.index)
        kept = [c for c in CHANNELS if c not in again]
        print(f"  returned from their promises, not sent again: {', '.join(kept) or 'none'}")
        print(f"  ran again (in flight when killed): {', '.join(again) or 'none'}")
        print(f"  kill → done: {self.recovery_ms(run)} ms")

    def table(self) -> Any:
        caption = f"resonate-sdk 0.8 worker processes — the Resonate server {self.server.url}"
        return worker_table(self.pool.members, caption)
