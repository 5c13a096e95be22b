"""Killing a worker process mid-run, at a moment that is an event, and what the kill did.

A kill belongs to its run: it fires once a channel's promise is confirmed on the
server (``after="push"``) or ``at_ms`` after submitting, and never once the run has
ended (the run's notes say so). The worker to kill is found from the server's own
task table (who holds the workflow) and from the send ledger (who runs a channel).
What the kill did is measured afterwards: kill → done, and which channels confirmed
before the kill ran again (the lesson's claim is none).

``Killing`` is ``Cluster``'s half that does this; it reads the cluster's ``address``,
``ledger``, ``db``, ``ttl``, ``kills`` and worker pool.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import closing
from dataclasses import dataclass

from lab.clusters.pool import Restart
from lab.clusters.worker import sdk_pid
from lab.errors import Refused
from lab.orders.ledger import CHANNELS
from lab.orders.run import Run
from lab.servers import inspector
from lab.servers.processes import alive

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


def check_kill(kill: str | None, after: str | None, at_ms: int | None) -> None:
    """Refuse, in one line, a kill that names nobody or no moment, before anything is submitted."""
    if kill is not None and kill != "workflow" and kill not in CHANNELS:
        msg = f"kill must be 'workflow' or one of {', '.join(CHANNELS)}, got {kill!r}"
        raise Refused(msg)
    if after is not None and after not in CHANNELS:
        msg = (
            f"after must be one of {', '.join(CHANNELS)} (kill once it is confirmed), got {after!r}"
        )
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


class Killing:
    """Kill the worker behind a channel or the workflow of a run, and measure what it did."""

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

    def kill_when(self, run: Run, target: str, after: str | None, at_ms: int | None) -> None:
        """On a thread of its own: kill ``target``'s worker at the moment ``after``/``at_ms`` says."""
        threading.Thread(
            target=self._kill_when,
            args=(run, target, after, at_ms),
            name=f"kill for {run.workflow_id}",
            daemon=True,
        ).start()

    def _kill_when(self, run: Run, target: str, after: str | None, at_ms: int | None) -> None:
        """Kill ``target``'s worker once ``after`` is confirmed or at ``at_ms``, while ``run`` is in flight."""
        while self._moment(run, after, at_ms):
            kill = self.kill_target(run, target, after=after)
            if kill is not None:
                late = round((kill.t - run.started) * 1000)
                if after is None and late > (at_ms or 0) + 50:  # a busy machine starts it late
                    run.note(
                        f"{target} was not running yet at +{at_ms} ms: its worker was killed "
                        f"as soon as it ran it, at +{late} ms"
                    )
                return
            time.sleep(0.005)  # the target may not have started yet (or ended: then no kill)
        when = self._when(after, at_ms)
        run.note(f"no kill: the order was done before {target}'s worker could be killed {when}")

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
        """Channels whose result the server had stored before the kill that ran again after it.

        The lesson's claim is that there are none.
        """
        kills = self.kills_of(run)
        return run.rerun_after(kills[0].t) if kills else set()

    def restarts_of(self, run: Run) -> list[Restart]:
        """Workers that exited on their own during ``run`` and were replaced."""
        return self.workers_pool.restarts_between(run.started, run.ended)

    def report(self, run: Run) -> None:
        """What the kill did to this order, from the ledger and the clock."""
        if said := run.earlier():  # ■ stopped a later order's cell before it was named
            print(said)
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
        kills = self.kills_of(run)
        return (
            [k.describe(run.origin) for k in kills]
            + [str(r) for r in self.restarts_of(run)]
            + (self._twice(run, kills[0].t) if kills and run.done else [])
            + run.notes
        )

    @staticmethod
    def _twice(run: Run, t: float) -> list[str]:
        """A channel sent before the kill whose result was not stored yet: it ran again."""
        again = {a.channel for a in run.attempts() if a.started >= t} & run.sent_unstored(t)
        return [
            f"{channel} was sent before the kill, but its result was not stored on the server yet: "
            "it ran again and the customer got it twice (at-least-once: the exercise below makes "
            "a send safe to repeat)"
            for channel in sorted(again)
        ]

    def holders(self, workflow_id: str) -> dict[str, int]:
        """Which worker process holds each task of an order right now: {promise id: OS pid}.

        Read from the server's own SQLite file (its API has no task listing):
        only for a server on this machine whose file the lab knows.
        """
        if self.db is None or not self.db.exists():
            return {}
        try:  # read-only, beside the server's writes: "attempt to write a readonly database" seen
            with closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5)) as db:
                rows = db.execute(
                    "SELECT json_extract(CAST(mesg AS TEXT), '$.leaf'), process_id FROM tasks "
                    "WHERE root_promise_id = ? AND state = ?",
                    (workflow_id, CLAIMED),
                ).fetchall()
        except sqlite3.Error:  # not readable this moment: nobody known to hold it; asked again
            return {}
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
