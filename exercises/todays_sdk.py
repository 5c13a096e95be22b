"""Lesson 8's workflows: the production order ported to resonate-sdk 0.8 (async/await). Not production code.

``workflow.notify_all`` is the 0.6 generator. Here it is on 0.8, twice:

- ``notify_all_straight`` — the straight port: ``yield ctx.rfi(...)`` becomes
  ``ctx.run(...)``, ``yield handle`` becomes ``await future``. It looks like a
  fan-out and runs like a staircase: 0.8 calls a synchronous function on its
  event loop, so ``time.sleep`` in each channel holds the loop and the four run
  one after another (the sum, ~950 ms).
- ``notify_all_08`` — the fix: each synchronous channel runs on a worker thread
  (``asyncio.to_thread``), so the loop starts the next one at once (the slowest,
  ~400 ms). Async channels (``async def`` with ``await asyncio.sleep``) need no
  thread.

In 0.8 a child's id is its position: the first ``ctx.run`` of ``notify/<order>``
is ``notify/<order>:1``, the second ``:2``. There is no ``id=`` option;
``notify_in_order`` shows what that means when a deploy reorders the calls while
an order is in flight.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from resonate.context import Context

import lab.orders.sdk08  # noqa: F401 - first: it lets channels.py import on 0.8, and observes the channels
from channels import send_email, send_push, send_slack, send_sms


def _result(event: dict[str, Any], results: list[dict[str, Any]], start: float) -> dict[str, Any]:
    return {
        "order_id": event["order_id"],
        "channels_notified": sum(1 for r in results if r.get("success")),
        "total_ms": int((time.time() - start) * 1000),
        "results": results,
    }


async def notify_all_straight(
    ctx: Context, event: dict[str, Any], simulate_crash: bool
) -> dict[str, Any]:
    start = time.time()

    email_f = ctx.run(send_email, event)  # fan-out: each ctx.run returns a future at once
    sms_f = ctx.run(send_sms, event)
    slack_f = ctx.run(send_slack, event)
    push_f = ctx.run(send_push, event, simulate_crash)

    results = [await email_f, await sms_f, await slack_f, await push_f]  # fan-in
    return _result(event, results, start)


async def in_thread(ctx: Context, send: Callable[..., Any], *args: Any) -> Any:
    """A synchronous channel on a worker thread: the event loop goes on meanwhile."""
    return await asyncio.to_thread(send, ctx, *args)


async def notify_all_08(
    ctx: Context, event: dict[str, Any], simulate_crash: bool
) -> dict[str, Any]:
    start = time.time()

    email_f = ctx.run(in_thread, send_email, event)
    sms_f = ctx.run(in_thread, send_sms, event)
    slack_f = ctx.run(in_thread, send_slack, event)
    push_f = ctx.run(in_thread, send_push, event, simulate_crash)

    results = [await email_f, await sms_f, await slack_f, await push_f]
    return _result(event, results, start)


# The order the channels are started in: a deploy may change it while an order is in flight.
DEPLOYED_ORDER = ["email", "sms", "slack", "push"]
SENDERS = {"email": send_email, "sms": send_sms, "slack": send_slack, "push": send_push}


async def notify_in_order(
    ctx: Context, event: dict[str, Any], simulate_crash: bool
) -> dict[str, str]:
    """The fan-out in ``DEPLOYED_ORDER``, then a durable 1 s wait: the workflow is replayed after it."""
    futures = [
        (c, ctx.run(in_thread, SENDERS[c], event, *([simulate_crash] if c == "push" else [])))
        for c in list(DEPLOYED_ORDER)
    ]
    results = {c: (await f)["message_id"] for c, f in futures}
    await ctx.sleep(timedelta(seconds=1))
    return results


async def notify_in_order_v2(
    ctx: Context, event: dict[str, Any], simulate_crash: bool
) -> dict[str, str]:
    """The deploy done the 0.8 way: push first, registered as *version 2* of notify_in_order."""
    order = ["push", "email", "sms", "slack"]
    futures = [
        (c, ctx.run(in_thread, SENDERS[c], event, *([simulate_crash] if c == "push" else [])))
        for c in order
    ]
    results = {c: (await f)["message_id"] for c, f in futures}
    await ctx.sleep(timedelta(seconds=1))
    return results
