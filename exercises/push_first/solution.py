"""Exercise push_first (lesson 1): a solution. Push's two lines move to the top; still one after another."""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Any

from resonate import Context

from channels import send_email, send_push, send_slack, send_sms


def notify_push_first(
    ctx: Context,
    event: dict[str, Any],
    simulate_crash: bool,
) -> Generator[Any, Any, dict[str, Any]]:
    start = time.time()

    # Push first: it is quick, and now nothing waits in front of it.
    push_p = yield ctx.rfi(send_push, event, simulate_crash).options(id=f"{ctx.id}.push")
    push = yield push_p
    email_p = yield ctx.rfi(send_email, event).options(id=f"{ctx.id}.email")
    email = yield email_p
    sms_p = yield ctx.rfi(send_sms, event).options(id=f"{ctx.id}.sms")
    sms = yield sms_p
    slack_p = yield ctx.rfi(send_slack, event).options(id=f"{ctx.id}.slack")
    slack = yield slack_p

    results = [email, sms, slack, push]
    return {
        "order_id": event["order_id"],
        "channels_notified": sum(1 for r in results if r.get("success")),
        "total_ms": int((time.time() - start) * 1000),
        "results": results,
    }
