"""Exercise port_fan_out (lesson 8): make the 0.8 port fan out again.

0.8 runs a synchronous function on its event loop, so the four ``time.sleep``
channels ran one after another. Each runs on a worker thread here
(``asyncio.to_thread``) inside a durable ``ctx.run`` child of its own: the loop
starts all four at once, and each result is still a checkpoint (a failed push is
retried alone).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from resonate.context import Context

from channels import send_email, send_push, send_slack, send_sms


async def off_the_loop(ctx: Context, send: Any, *args: Any) -> Any:
    return await asyncio.to_thread(send, ctx, *args)


async def notify_port(ctx: Context, event: dict[str, Any], simulate_crash: bool) -> dict[str, Any]:
    start = time.time()
    email_f = ctx.run(off_the_loop, send_email, event)
    sms_f = ctx.run(off_the_loop, send_sms, event)
    slack_f = ctx.run(off_the_loop, send_slack, event)
    push_f = ctx.run(off_the_loop, send_push, event, simulate_crash)
    results = [await email_f, await sms_f, await slack_f, await push_f]
    return {
        "order_id": event["order_id"],
        "channels_notified": sum(1 for r in results if r.get("success")),
        "total_ms": int((time.time() - start) * 1000),
        "results": results,
    }
