"""Exercise fallback (lesson 7): if push misses its deadline, send an SMS instead."""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Any

from resonate import Context
from resonate.errors import ResonateTimedoutError

from channels import send_email, send_push, send_slack, send_sms
from exercises.deadlines import DEADLINE_S, missed


def notify_with_fallback(
    ctx: Context, event: dict[str, Any], simulate_crash: bool
) -> Generator[Any, Any, dict[str, Any]]:
    start = time.time()
    email_p = yield ctx.rfi(send_email, event).options(id=f"{ctx.id}.email", timeout=DEADLINE_S)
    sms_p = yield ctx.rfi(send_sms, event).options(id=f"{ctx.id}.sms", timeout=DEADLINE_S)
    slack_p = yield ctx.rfi(send_slack, event).options(id=f"{ctx.id}.slack", timeout=DEADLINE_S)
    push_p = yield ctx.rfi(send_push, event, simulate_crash).options(
        id=f"{ctx.id}.push", timeout=DEADLINE_S
    )
    email = yield email_p
    sms = yield sms_p
    slack = yield slack_p
    try:
        push = yield push_p
    except ResonateTimedoutError:
        push = missed("push", f"no answer within its {DEADLINE_S:g} s deadline")
        # TODO: push missed: text the customer (an SMS, its own id), wait for it, count it as push.

    results = [email, sms, slack, push]
    return {
        "order_id": event["order_id"],
        "channels_notified": sum(1 for r in results if r.get("success")),
        "total_ms": int((time.time() - start) * 1000),
        "results": results,
    }
