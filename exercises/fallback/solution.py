"""Exercise fallback (lesson 7): if push misses its deadline, send an SMS instead.

Push can miss two ways: its promise times out (the provider never answered), or
the SDK gives up before the deadline (the provider failed at once and no retry
fits) — the branch's own error. Both are caught. The fallback is a branch of its
own, ``f"{ctx.id}.push-fallback"``: started only when push missed, checkpointed
like any other, so a replay of the order finds it and texts nobody twice.
"""

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
    except Exception as e:  # noqa: BLE001 - the SDK gave up before the deadline
        push = missed("push", f"gave up before the deadline: {e}")
    if not push.get("success"):
        push = yield (yield ctx.rfi(send_sms, event).options(id=f"{ctx.id}.push-fallback"))

    results = [email, sms, slack, push]
    return {
        "order_id": event["order_id"],
        "channels_notified": sum(1 for r in results if r.get("success")),
        "total_ms": int((time.time() - start) * 1000),
        "results": results,
    }
