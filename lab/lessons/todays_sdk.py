"""Lesson 8 in words and tables: the two ports compared, 0.8's promises, a deploy mid-flight.

Every figure is measured from the runs (the send ledger, 0.8's own store); nothing
here is assumed about 0.8 that a run could contradict.
"""

from __future__ import annotations

import asyncio
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

import lab.orders.sdk08  # noqa: F401 - the channels are observed before exercises.todays_sdk imports them
from exercises import todays_sdk
from lab.draw.tables import html_table
from lab.orders.ledger import CHANNELS

if TYPE_CHECKING:
    from lab.orders.run import Run
    from lab.orders.sdk08 import Lab08


def sdk_version() -> str:
    return f"resonate-sdk {version('resonate-sdk')} (asyncio), its local connection: no server"


def _took(run: Run) -> dict[str, float]:
    return {a.channel: (a.ended - a.started) * 1000 for a in run.attempts() if a.ended}


def compare_ports(fixed: Run, straight: Run) -> None:
    """The fixed port against the straight one, from the two measured runs."""
    took = _took(fixed)
    slowest, total = max(took.values()), sum(_took(straight).values())
    print(f"straight port wall   {straight.wall_ms:5d} ms  (sum of its channels: {total:.0f} ms)")
    print(f"fixed port wall      {fixed.wall_ms:5d} ms  (slowest channel: {slowest:.0f} ms)")
    print(f"  by its own clock   {fixed.result['total_ms']:5d} ms  (inside the workflow)")
    print(f"fixed / slowest      {fixed.result['total_ms'] / slowest:5.2f}  (its own clock)")
    print(f"straight / fixed     {straight.wall_ms / fixed.wall_ms:5.2f}x")


def _channel_of(value: str) -> str:
    return next((c for c in CHANNELS if f"msg_{c}_" in value), "—")


async def promises_table(lab: Lab08, run: Run) -> Any:
    """The order's child promises as 0.8 stored them: the id is the position."""
    from IPython.display import HTML

    rows = [(pid, state, _channel_of(value)) for pid, state, value in await lab.promises(run)]
    return HTML(
        html_table(
            ("promise id", "state", "holds the result of"),
            rows,
            caption=f"Child promises of {run.workflow_id} in 0.8's store",
        )
    )


def _crossed(result: dict[str, str]) -> list[tuple[str, str, str]]:
    """Each channel, the message id the replay handed it, and whose message that id is."""
    return [
        (c, mid, "✓ its own" if _channel_of(mid) == c else f"✗ {_channel_of(mid)}'s message")
        for c, mid in result.items()
    ]


async def deploy_mid_flight(lab: Lab08) -> Run:
    """An order starts its channels in one order; a deploy changes it; the order is replayed.

    ``notify_in_order`` waits 1 s durably after its fan-out: 0.8 then runs it again
    from the top (a replay), with whatever code is deployed by then.
    """
    from IPython.display import HTML, display

    todays_sdk.DEPLOYED_ORDER[:] = ["email", "sms", "slack", "push"]
    try:
        run = lab.start(todays_sdk.notify_in_order)
        await asyncio.sleep(0.6)  # the four are sent; the order is in its durable wait
        todays_sdk.DEPLOYED_ORDER[:] = ["push", "email", "sms", "slack"]  # the deploy
        result = await lab.wait(run)
    finally:
        todays_sdk.DEPLOYED_ORDER[:] = ["email", "sms", "slack", "push"]
    again = [c for c in CHANNELS if sum(a.channel == c for a in run.attempts()) > 1]
    display(
        HTML(
            html_table(
                ("channel", "the message id the replay handed it", "whose message"),
                _crossed(result),
                caption=f"{run.workflow_id} after the deploy (push moved first)",
            )
        )
    )
    print(f"channels run again on the replay: {', '.join(again) or 'none'}")
    return run


async def versioned_deploy(lab: Lab08) -> tuple[Run, Run]:
    """The same deploy as version 2: the order in flight replays version 1, a new one runs 2."""
    from IPython.display import HTML, display

    name = "notify_in_order"
    in_flight = lab.start(todays_sdk.notify_in_order, name=name, version=1)
    await asyncio.sleep(0.6)
    new = lab.start(todays_sdk.notify_in_order_v2, name=name, version=2)
    for run, label in ((in_flight, "in flight, version 1"), (new, "new, version 2")):
        display(
            HTML(
                html_table(
                    ("channel", "message id", ""),
                    _crossed(await lab.wait(run)),
                    caption=f"{run.workflow_id} — {label}",
                )
            )
        )
    return in_flight, new
