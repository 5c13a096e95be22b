"""Lesson 1's workflow: the four channels one after another. Not production code.

``notify_sequential`` uses the same durable primitives as ``workflow.notify_all``
but yields each handle right after its ``ctx.rfi``: the workflow waits for
email before it even starts SMS, so the total is the sum of the four channels.
Lesson 1 runs it to show the cost that lesson 2's fan-out removes; it is also
where the ``push_first`` and ``fan_out`` exercises start.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Any

from resonate import Context

from channels import send_email, send_push, send_slack, send_sms


def notify_sequential(
    ctx: Context,
    event: dict[str, Any],
    simulate_crash: bool,
) -> Generator[Any, Any, dict[str, Any]]:
    start = time.time()

    # Start a channel, then wait for it, before starting the next one.
    email_p = yield ctx.rfi(send_email, event).options(id=f"{ctx.id}.email")
    email = yield email_p
    sms_p = yield ctx.rfi(send_sms, event).options(id=f"{ctx.id}.sms")
    sms = yield sms_p
    slack_p = yield ctx.rfi(send_slack, event).options(id=f"{ctx.id}.slack")
    slack = yield slack_p
    push_p = yield ctx.rfi(send_push, event, simulate_crash).options(id=f"{ctx.id}.push")
    push = yield push_p

    results = [email, sms, slack, push]
    return {
        "order_id": event["order_id"],
        "channels_notified": sum(1 for r in results if r.get("success")),
        "total_ms": int((time.time() - start) * 1000),
        "results": results,
    }
