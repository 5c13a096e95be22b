"""Lesson 7's workflow: the production fan-out, each branch with a deadline. Not production code.

``notify_all`` (``workflow.py``) waits for every channel for as long as it takes:
a channel whose provider stays down holds the order, and its caller, for ever.
``notify_all_by_deadline`` is the same fan-out with one change per branch —
``.options(id=..., timeout=DEADLINE_S)`` — and a fan-in that catches a branch
that missed: its promise timed out (``ResonateTimedoutError``, the provider never
answered in time), or the SDK gave up early because no retry would end before
the deadline (the channel's own error). The order then ends with what it has,
3 of 4, and says which channel missed and why.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Any

from resonate import Context
from resonate.errors import ResonateTimedoutError

from channels import send_email, send_push, send_slack, send_sms

DEADLINE_S = 2.0  # each branch's promise times out this long after it was created


def missed(channel: str, why: str) -> dict[str, Any]:
    """The result of a branch that missed its deadline: unsuccessful, with the reason."""
    return {"channel": channel, "success": False, "missed": why}


def notify_all_by_deadline(
    ctx: Context, event: dict[str, Any], simulate_crash: bool
) -> Generator[Any, Any, dict[str, Any]]:
    start = time.time()

    email_p = yield ctx.rfi(send_email, event).options(id=f"{ctx.id}.email", timeout=DEADLINE_S)
    sms_p = yield ctx.rfi(send_sms, event).options(id=f"{ctx.id}.sms", timeout=DEADLINE_S)
    slack_p = yield ctx.rfi(send_slack, event).options(id=f"{ctx.id}.slack", timeout=DEADLINE_S)
    push_p = yield ctx.rfi(send_push, event, simulate_crash).options(
        id=f"{ctx.id}.push", timeout=DEADLINE_S
    )

    results = []
    for channel, handle in (
        ("email", email_p),
        ("sms", sms_p),
        ("slack", slack_p),
        ("push", push_p),
    ):
        try:
            results.append((yield handle))
        except ResonateTimedoutError:
            results.append(missed(channel, f"no answer within its {DEADLINE_S:g} s deadline"))
        except Exception as e:  # noqa: BLE001 - the SDK gave up: no retry fits before the deadline
            results.append(missed(channel, f"gave up before the deadline: {e}"))

    return {
        "order_id": event["order_id"],
        "channels_notified": sum(1 for r in results if r.get("success")),
        "missed": {r["channel"]: r["missed"] for r in results if not r.get("success")},
        "total_ms": int((time.time() - start) * 1000),
        "results": results,
    }
