"""The fan-out/fan-in workflow: one event, four channels, total = slowest.

``notify_all`` is a generator, the Resonate 0.6 way of writing a durable
function. Each ``yield ctx.rfi(...)`` creates a durable promise for one
channel and returns a handle at once, so all four channels start before any
of them is awaited (fan-out). Each later ``yield <handle>`` suspends the
workflow until that branch's promise resolves (fan-in).

Every branch gets a deterministic id, ``f"{ctx.id}.<channel>"``. On a retry
or a replay after a crash the SDK finds the existing promise under that id
and feeds back its stored result instead of sending the message again.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Any

from resonate import Context

from channels import send_email, send_push, send_slack, send_sms


def notify_all(
    ctx: Context,
    event: dict[str, Any],
    simulate_crash: bool,
) -> Generator[Any, Any, dict[str, Any]]:
    start = time.time()

    # Fan-out: start all 4 channels simultaneously.
    # ctx.rfi(...) returns a handle immediately — no blocking.
    email_p = yield ctx.rfi(send_email, event).options(
        id=f"{ctx.id}.email",
    )
    sms_p = yield ctx.rfi(send_sms, event).options(
        id=f"{ctx.id}.sms",
    )
    slack_p = yield ctx.rfi(send_slack, event).options(
        id=f"{ctx.id}.slack",
    )
    push_p = yield ctx.rfi(send_push, event, simulate_crash).options(
        id=f"{ctx.id}.push",
    )

    # Fan-in: await each result.
    # If push fails and retries, the other channels are already checkpointed.
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
