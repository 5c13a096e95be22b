"""What a server crash did to an order: the outage, restart → done, what was re-sent, the SDK's log.

``CrashReport`` is ``ServerCrash``'s half that measures and tells; it reads the
crash's ``outages`` and ``address``. Every figure comes from the clock, the send
ledger, the server's API or the SDK's log kept with the run, never from the
workflow's own account.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from lab.orders.run import Run
from lab.orders.sdk_log import SDK_LOG


@dataclass
class Outage:
    """The server down from ``down`` until ``up`` (epoch seconds; None: still down)."""

    down: float
    up: float | None = None


class CrashReport:
    """The measured account of each run's outage."""

    outages: list[Outage]

    def outages_of(self, run: Run) -> list[Outage]:
        end = run.ended or time.time()
        return [o for o in self.outages if run.started <= o.down <= end]

    def restart_to_done_ms(self, run: Run) -> int | None:
        """From the server's last restart during ``run`` to the workflow's result."""
        ups = [o.up for o in self.outages_of(run) if o.up]
        return round((run.ended - ups[-1]) * 1000) if ups and run.ended else None

    def resent(self, run: Run) -> set[str]:
        """Channels confirmed sent before the server died that were run again: the lesson's claim is none."""
        outages = self.outages_of(run)
        return run.rerun_after(outages[0].down) if outages else set()

    def twice(self, run: Run) -> list[str]:
        """Channels the customer got twice: sent, but their result never stored before the crash.

        A call that ends just before the kill, or while the server is down, cannot store
        its result; the server re-delivers the task after the restart and it runs again.
        At-least-once, as in lesson 4; a channel stored before the crash is ``resent``.
        """
        outages = self.outages_of(run)
        if not outages or not run.done:
            return []
        down, lines = outages[0].down, []
        resent, attempts = self.resent(run), run.attempts()  # the server's API, the ledger: once
        for channel, n in run.sends().items():
            if n < 2 or channel in resent:
                continue
            ended = min(a.ended for a in attempts if a.channel == channel and a.ended)
            when = "before the crash" if ended < down else "while the server was down"
            lines.append(
                f"{channel} was sent {when}, but its result was not stored on the server: after "
                "the restart it ran again and the customer got it twice (at-least-once: lesson "
                "4's idempotency key makes a send safe to repeat)"
            )
        return lines

    def sdk_lines(self, run: Run) -> list[str]:
        """What the kernel's SDK logged during the run (reconnect attempts), times relative to the run."""
        end = (run.ended or time.time()) + 1
        return [
            f"+{round((t - run.origin) * 1000)} ms  {line}"
            for t, line in SDK_LOG.between(run.started, end)
        ]

    def outcome(self, run: Run, timeout: float = 15) -> str:
        """Wait up to ``timeout`` s and say what became of the order, from the server and the ledger."""
        try:
            result = run.wait(timeout)
        except Exception:  # noqa: BLE001 - an order that never finishes is the point of the contrast
            from lab.servers.inspector import promises

            try:
                known = promises(self.address, run.workflow_id)
            except OSError:
                return f"not finished after {timeout:g} s, and the server does not answer"
            sent = sorted(run.sends())
            reached = (
                f"these channels reached the customer: {', '.join(sent)}"
                if sent
                else "no channel reached the customer"
            )
            if known:
                return (
                    f"not finished after {timeout:g} s; the server still has "
                    f"{len(known)} promise(s) for it; {reached}"
                )
            return (
                f"not finished after {timeout:g} s: the restarted server has no promise for "
                f"{run.workflow_id}, so nothing can ever complete it; {reached}"
            )
        return f"finished: {result['channels_notified']}/4 notified"

    def report(self, run: Run) -> None:
        """What the outage did to this order, from the clock, the ledger and the SDK's log."""
        if said := run.earlier():  # ■ stopped a later order's cell before it was named
            print(said)
        result = run.wait(60)
        print(f"{run.workflow_id}: {result['channels_notified']}/4 notified, wall {run.wall_ms} ms")
        for o in self.outages_of(run):
            up = (
                f", back at +{round((o.up - run.origin) * 1000)} ms (down {round((o.up - o.down) * 1000)} ms)"
                if o.up
                else ", still down"
            )
            print(f"  ✗ server killed at +{round((o.down - run.origin) * 1000)} ms{up}")
        if self.restart_to_done_ms(run) is not None:
            print(f"  restart → done: {self.restart_to_done_ms(run)} ms")
        for line in run.notes:
            print(f"  {line}")
        sent = run.sends()
        print(
            f"  confirmed sent: {', '.join(f'{c} {n}×' for c, n in sent.items())}; stored before "
            f"the crash, then re-sent: {sorted(self.resent(run)) or 'nothing'}"
        )
        for line in self.twice(run):
            print(f"  {line}")
        lines = self.sdk_lines(run)
        print(
            f"  the SDK in this kernel logged {len(lines)} reconnect line(s) — kept here, not printed into a cell:"
        )
        for line in lines[:4]:
            print(f"    {line}")

    def promises(self, run: Run, caption: str = "") -> Any:
        """The order's durable promises, read from the server's HTTP API now."""
        from IPython.display import HTML

        from lab.servers.inspector import table

        return HTML(table(self.address, run.workflow_id, run.origin, caption=caption))
