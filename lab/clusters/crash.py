"""Killing the Resonate server itself, mid-run, and bringing it back (lesson 5).

A ``ServerCrash`` is a ``Cluster`` on a server of its own, started by this
kernel, so the lesson may SIGKILL it without touching anyone else's (on Binder
the launch's shared server is left alone). ``durable=True`` runs ``resonate
serve`` with its promises in a SQLite file: after a restart on the same file
and ports, the same order finishes. ``durable=False`` runs ``resonate dev``,
which keeps them in memory: after a restart the server has forgotten the order.

Three server settings make the lesson watchable (``lab.servers.legacy`` passes them):
``--aio-sender-plugin-poll-ttr 2s`` re-sends an unacknowledged task after 2 s
instead of 15 s, ``--aio-sender-plugin-poll-ttc 5s`` re-sends a task nobody
claimed after 5 s instead of a minute, and ``--system-signal-timeout 10ms``
stops the server waiting a second to batch work. The SDK reconnects its long-poll every 5 s, which is
most of restart → done.

While the server is down the SDK logs ``Networking. Cannot connect … Retrying``
warnings from its threads; left alone they would print into whichever cell is
running. They are routed to ``SDK_LOG`` and shown with the run instead.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from lab.clusters.cluster import Cluster
from lab.clusters.crash_report import CrashReport, Outage
from lab.clusters.pool import stop_pools
from lab.clusters.worker import TEACHING_TTL
from lab.draw.theme import OK
from lab.draw.timeline import Mark
from lab.errors import Refused, Unavailable
from lab.orders.ledger import CHANNELS
from lab.orders.run import Run
from lab.orders.sdk_log import route_sdk_log
from lab.paths import run_dir
from lab.servers.legacy import LocalServer

BACK = OK  # the restart's line (its label is the ink, as every text)


def retire(server: LocalServer) -> None:
    """Kill a server this kernel started and every worker process serving it."""
    stop_pools(server.address)
    server.kill()


_servers: dict[tuple, LocalServer] = {}
_servers_lock = threading.Lock()


class ServerCrash(CrashReport, Cluster):
    """A server this kernel may kill and restart, ``processes`` workers, the kernel as a client."""

    called = "crash"

    restarts_dead_server = (
        False  # a server that is down is this lesson's subject: the learner restarts it
    )

    def __init__(
        self, processes: int = 2, *, durable: bool = True, ttl: int = TEACHING_TTL
    ) -> None:
        if not isinstance(durable, bool):
            msg = f"durable must be True (SQLite on disk) or False (in memory), got {durable!r}"
            raise Refused(msg)
        route_sdk_log()
        kind = "durable" if durable else "in-memory"
        # One per kind for the kernel's life: re-running the setup cell reuses it. Except an
        # in-memory server that has crashed once: it has forgotten everything, and its workers'
        # long-polls take up to 5 s to find it again, so the next contrast gets a fresh one.
        with _servers_lock:
            server = _servers.get((kind, str(run_dir())))
            if server is not None and not durable and server.starts > 1:
                retire(server)
                server = None
            if server is None:
                server = _servers[(kind, str(run_dir()))] = LocalServer(
                    run_dir() / f"{kind}-server-{os.getpid()}-{time.time_ns()}", durable=durable
                )
        super().__init__(processes, ttl=ttl, server=server)
        self.durable = durable
        self.outages: list[Outage] = []

    @property
    def mode(self) -> str:
        store = (
            f"promises in {self.local.db}" if self.durable else "promises in memory (resonate dev)"
        )
        return (
            f"{'durable' if self.durable else 'in-memory'} server at {self.address.url}, "
            f"{store}, {len(self.running())} workers"
        )

    # -- the server's life

    @property
    def server_up(self) -> bool:
        return self.local.running

    def kill_server(self) -> Outage | None:
        """SIGKILL the server, as a crashed machine would; None if it was already down."""
        if not self.local.running:
            return None
        outage = Outage(time.time())
        self.outages.append(outage)
        self.local.kill()
        return outage

    def restart_server(self) -> Outage | None:
        """Start it again on the same ports and the same file; None if it was up."""
        if self.local.running:
            return None
        self.local.start()
        outage = (
            self.outages[-1]
            if self.outages and self.outages[-1].up is None
            else Outage(time.time())
        )
        outage.up = time.time()
        return outage

    def timeline_options(self) -> dict[str, Any]:
        return {"lanes": "worker", "marks": self._marks}

    def _marks(self) -> list[Mark]:
        marks = [Mark(o.down, "✗ server killed", until=o.up or time.time()) for o in self.outages]
        return marks + [Mark(o.up, "↺ server back", BACK) for o in self.outages if o.up]

    # -- runs

    def start(
        self,
        event: dict[str, Any] | None = None,
        *,
        kill_server_at_ms: int | None = None,
        kill_server_after: str | None = None,
        restart_after_s: float | None = None,
        **options: Any,
    ) -> Run:
        """As ``Cluster.start``; kill the server mid-run and, with ``restart_after_s``, restart it.

        ``kill_server_after="push"`` kills it once push's promise is resolved on the
        server; ``kill_server_at_ms`` that long after submitting. Either way only
        while this run is in flight.
        """
        if kill_server_at_ms is not None and (
            not isinstance(kill_server_at_ms, int)
            or isinstance(kill_server_at_ms, bool)
            or not 0 <= kill_server_at_ms <= 10_000
        ):
            msg = f"kill_server_at_ms must be a whole number of milliseconds from 0 to 10000, got {kill_server_at_ms!r}"
            raise Refused(msg)
        if kill_server_after is not None and kill_server_after not in CHANNELS:
            msg = (
                f"kill_server_after must be one of {', '.join(CHANNELS)}, got {kill_server_after!r}"
            )
            raise Refused(msg)
        if kill_server_at_ms is not None and kill_server_after is not None:
            msg = "give kill_server_at_ms or kill_server_after, not both"
            raise Refused(msg)
        if restart_after_s is not None and not _is_seconds(restart_after_s):
            msg = (
                f"restart_after_s must be a number of seconds from 0 to 60, got {restart_after_s!r}"
            )
            raise Refused(msg)
        if not self.local.running:
            msg = "the server is down: press Restart server (or run crash.restart_server()), then run the order"
            raise Unavailable(msg)
        run = super().start(event, **options)
        if kill_server_at_ms is not None or kill_server_after is not None:
            threading.Thread(
                target=self._crash_when,
                args=(run, kill_server_after, kill_server_at_ms or 0, restart_after_s),
                name=f"server crash for {run.workflow_id}",
                daemon=True,
            ).start()
        return run

    def _crash_when(
        self, run: Run, after: str | None, at_ms: int, restart_after_s: float | None
    ) -> None:
        """Kill the server once ``after`` is confirmed (or at ``at_ms``) while ``run`` is in flight."""
        if not self._moment(run, after, at_ms):
            run.note(f"no server kill: the order was done before {self._when(after, at_ms)}")
        elif self.kill_server() is not None and restart_after_s is not None:
            time.sleep(restart_after_s)
            self.restart_server()

    def run(
        self,
        event: dict[str, Any] | None = None,
        *,
        timeout: float = 30,
        title: str | None = None,
        **options: Any,
    ) -> Run:
        """Submit, show the live timeline (a lane per worker, the outage shaded), wait up to ``timeout`` s.

        Unlike ``Lab.run`` an order that does not finish is not an error here:
        it is what an in-memory server does after a crash. The run is returned either way.
        """
        run = self.start(event, **options)
        chart = self.timeline(run, title=title, **self.timeline_options())
        chart.show()
        try:
            run.wait(timeout)
            chart.drawn.wait(5)
        except Exception:  # noqa: BLE001 - said in one line; the run is returned to be inspected
            print(f"{run.workflow_id} did not finish within {timeout:g} s")
        return run

    def promise_history(
        self, *, kill_server_after: str = "push", restart_after_s: float = 2.0
    ) -> Any:
        """A new order's promises read from the server just before the kill, during the outage, after the restart.

        The kill comes once ``kill_server_after``'s promise is resolved, so the
        first table always holds that child RESOLVED and the slower ones PENDING.
        """
        from IPython.display import HTML

        from lab.servers.inspector import table

        if kill_server_after not in CHANNELS:
            msg = (
                f"kill_server_after must be one of {', '.join(CHANNELS)}, got {kill_server_after!r}"
            )
            raise Refused(msg)
        if not _is_seconds(restart_after_s):
            msg = (
                f"restart_after_s must be a number of seconds from 0 to 60, got {restart_after_s!r}"
            )
            raise Refused(msg)
        run = self.start()

        def snapshot(what: str) -> str:
            at = round((time.time() - run.origin) * 1000)
            return table(self.address, run.workflow_id, run.origin, caption=f"{what} (+{at} ms)")

        self._moment(run, kill_server_after, None)
        parts = [snapshot(f"just before the kill, {kill_server_after} confirmed")]
        self.kill_server()
        time.sleep(restart_after_s / 2)
        parts.append(snapshot("during the outage"))
        time.sleep(restart_after_s / 2)
        self.restart_server()
        try:
            run.wait(30)
        except Exception:  # noqa: BLE001 - the last table shows what the server knows
            pass
        parts.append(snapshot("after the restart"))
        return HTML("<br>".join(parts))


def _is_seconds(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and 0 <= x <= 60
