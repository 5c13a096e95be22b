"""Lesson 7 in words: an order held by an outage, and what a branch does after its deadline.

Every sentence here is computed from the run: the send ledger's attempts (the
harness's clock), the SDK's retry schedule, the branch's own deadline as its
promise has it. Nothing is assumed: if push delivered after all, it says so.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from lab.draw.timeline import Mark, retry_delay_s
from lab.errors import Refused
from lab.orders.ledger import CHANNELS, Attempt
from lab.orders.run import RunTimeout

if TYPE_CHECKING:
    from lab.orders.run import Run
    from lab.orders.runtime import Lab


def _s(t: float, run: Run) -> str:
    return f"{t - run.origin:.1f} s"


def watch(lab: Lab, seconds: float = 8, **options: Any) -> Run:
    """Start an order, draw it live, and come back after ``seconds`` (or when it ends).

    The chart goes on drawing after the cell ends, for as long as the order runs.
    """
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not 1 <= seconds <= 60:
        msg = f"seconds must be a number from 1 to 60, got {seconds!r}"
        raise Refused(msg)
    run = lab.start(**options)
    lab.timeline(run, title=f"{run.label} — {run.workflow_id} — live").show()
    try:
        run.wait(seconds)
    except Exception:  # noqa: BLE001 - still running (RunTimeout) or failed: status() tells which
        pass
    print(status(run))
    return run


def _sent(run: Run, attempts: list[Attempt]) -> list[str]:
    """What reached the customer, in the order it arrived."""
    sent = [a for a in attempts if a.outcome == "sent" and a.ended is not None]
    return [f"{a.channel} at {_s(a.ended, run)}" for a in sorted(sent, key=lambda a: a.ended)]


def status(run: Run) -> str:
    """What the customer and the order's caller have, now."""
    attempts = run.attempts()
    sent = _sent(run, attempts)
    customer = f"The customer has {', '.join(sent)}." if sent else "The customer has nothing yet."
    if run.done:
        try:
            result = run.wait(0)
        except Exception as e:  # noqa: BLE001 - the order failed: that is the status
            return f"{run.workflow_id} failed: {type(e).__name__}: {e}. {customer}"
        return (
            f"{run.workflow_id} ended {result['channels_notified']}/4 after {run.wall_ms} ms. "
            f"{customer}"
        )
    lines = [
        f"After {time.time() - run.origin:.1f} s {run.workflow_id} is still pending.",
        customer,
    ]
    for channel in CHANNELS:
        mine = [a for a in attempts if a.channel == channel]
        if not mine or any(a.outcome == "sent" for a in mine):
            continue
        last = mine[-1]
        if last.outcome == "running":
            lines.append(
                f"{channel}: attempt {last.attempt} has been waiting for its provider "
                f"since {_s(last.started, run)}."
            )
        else:
            due = (last.ended or last.started) + retry_delay_s(last.attempt)
            lines.append(
                f"{channel}: {len(mine)} attempts, every one failed; the SDK's next retry "
                f"(attempt {last.attempt + 1}) is due in {max(0.0, due - time.time()):.1f} s."
            )
    lines.append("The order's caller has no result and no error: it is still waiting.")
    return "\n".join(lines)


def provider_back(lab: Lab, run: Run, channel: str = "push", timeout: float = 45) -> None:
    """End the outage on ``channel`` and wait for ``run`` to finish; say what it took."""
    if said := run.earlier():  # ■ stopped a later order's cell before it was named
        print(said)
    lifted = lab.provider_back(channel)
    back = time.time()
    others = len([o for o in lifted if o != run.order_id])
    said = (
        f"{channel}'s provider is back at {_s(back, run)}"
        + (f" (and for {others} other order{'s' if others != 1 else ''})" if others else "")
        if lifted
        else f"{channel}'s provider was already back"
    )
    print(said + "; waiting for the order…")
    try:
        result = run.wait(timeout)
    except RunTimeout:
        print(status(run))
        return
    # An order that had already ended at its deadline returns at once; the call its outage
    # held is still on its way to the customer: wait for it before saying what it did.
    how = delivery(run, channel, timeout=max(1.0, timeout - (time.time() - back)))
    attempts = run.attempts()
    again = [c for c in CHANNELS if c != channel and sum(a.channel == c for a in attempts) > 1]
    print(
        f"{how}; the order ended {result['channels_notified']}/4 at {run.wall_ms / 1000:.1f} s — "
        f"that long for its caller. "
        + (f"Sent again: {', '.join(again)}." if again else "The other channels ran once each.")
    )


def delivery(run: Run, channel: str, timeout: float = 5) -> str:
    """Whether ``channel`` reached the customer, by which attempt and when — late, too."""
    mine = _settled(run, channel, timeout=timeout)
    delivered = [a for a in mine if a.outcome == "sent"]
    if not delivered:
        return f"{channel} was never delivered"
    how = f"{channel} was delivered by attempt {delivered[0].attempt} at {_s(delivered[0].ended, run)}"
    if run.ended is not None and delivered[0].ended > run.ended:
        how += f", after the order had ended without it ({channel} counted as missed)"
    return how


def deadline_mark(run: Run) -> list[Mark]:
    """The branches' deadline, drawn across the chart."""
    deadlines = [a.deadline for a in run.attempts() if a.deadline is not None]
    return [Mark(min(deadlines), "deadline")] if deadlines else []


def deadline_chart(lab: Lab, run: Run) -> None:
    """``run`` drawn again, now: every attempt so far, late ones included, and the deadline."""
    chart = lab.timeline(
        run,
        title=f"{run.workflow_id} — every attempt, after the deadline too",
        marks=lambda: deadline_mark(run),
    )
    chart.show()
    chart.drawn.wait(5)


def _settled(run: Run, channel: str, timeout: float = 5) -> list[Attempt]:
    """``channel``'s attempts, once none is still running (a call just answered is being filed)."""
    given_up = time.monotonic() + timeout
    while True:
        mine = [a for a in run.attempts() if a.channel == channel]
        if all(a.outcome != "running" for a in mine) or time.monotonic() > given_up:
            return mine
        time.sleep(0.05)


def after_deadline(run: Run, channel: str = "push") -> str:
    """What ``channel``'s branch did after its deadline: every call, in time."""
    run.wait(30)
    mine = _settled(run, channel)
    deadline = next((a.deadline for a in mine if a.deadline is not None), None)
    if deadline is None:
        return f"{channel} ran with no deadline."
    done = run.ended or time.time()
    lines = [
        f"{channel}'s deadline was {_s(deadline, run)}; the order ended at {_s(done, run)} "
        f"with {channel} counted as missed."
    ]
    for a in mine:
        end = a.ended
        where = "after the deadline" if end and end > deadline else "before the deadline"
        if a.outcome == "running":
            lines.append(
                f"  attempt {a.attempt}: started {_s(a.started, run)}, still waiting for its provider"
            )
        elif a.outcome == "sent":
            late = " — after the order had said it missed" if end and end > done else ""
            lines.append(
                f"  attempt {a.attempt}: started {_s(a.started, run)}, delivered to the customer at "
                f"{_s(end, run)}, {where}{late}"
            )
        else:
            lines.append(
                f"  attempt {a.attempt}: started {_s(a.started, run)}, {a.outcome} at {_s(end, run)} "
                f"({'nothing sent' if a.delivery == 'no' else 'may have arrived'})"
            )
    started_after = [a for a in mine if a.started > deadline]
    lines.append(
        f"  attempts started after the deadline: {len(started_after)}"
        + (" (the SDK schedules no retry past it)" if not started_after else "")
    )
    return "\n".join(lines)
