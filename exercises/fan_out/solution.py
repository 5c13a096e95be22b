"""Exercise fan_out (lesson 2): a solution, the shape of workflow.notify_all."""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Any

from resonate import Context

from channels import send_email, send_push, send_slack, send_sms


def notify_fan_out(
    ctx: Context,
    event: dict[str, Any],
    simulate_crash: bool,
) -> Generator[Any, Any, dict[str, Any]]:
    start = time.time()

    # Fan-out: start all four; each ctx.rfi returns a handle at once.
    email_p = yield ctx.rfi(send_email, event).options(id=f"{ctx.id}.email")
    sms_p = yield ctx.rfi(send_sms, event).options(id=f"{ctx.id}.sms")
    slack_p = yield ctx.rfi(send_slack, event).options(id=f"{ctx.id}.slack")
    push_p = yield ctx.rfi(send_push, event, simulate_crash).options(id=f"{ctx.id}.push")

    # Fan-in: now wait for each result.
    email = yield email_p
    sms = yield sms_p
    slack = yield slack_p
    push = yield push_p

    results = [email, sms, slack, push]
    return {
        "order_id": event["order_id"],
        "channels_notified": sum(1 for r in results if r.get("success")),
        "total_ms": int((time.time() - start) * 1000),
        "results": results,
    }
