"""Answers to lesson 8's exercise, port_fan_out (resonate-sdk 0.8), each with its verdict.

Whole cells, as typed. ``tests/test_todays_sdk.py`` runs each through the same
``check()`` in the 0.8 venv (the exercise runs only there).
"""

from __future__ import annotations

from tests.exercise_corpus import RESULT, Case

IMPORTS = """from __future__ import annotations

import asyncio
import functools
import time
from typing import Any

from resonate.context import Context

from channels import send_email, send_push, send_slack, send_sms
"""

SIGNATURE = "(ctx: Context, event: dict[str, Any], simulate_crash: bool) -> dict[str, Any]:"


def port(body: str, *, extra: str = "") -> str:
    return f"{IMPORTS}\n{extra}\n\nasync def notify_port{SIGNATURE}\n{body}{RESULT}"


OFF_THE_LOOP = """async def off_the_loop(ctx, send, *args):
    return await asyncio.to_thread(send, ctx, *args)"""

STARTS = """    email_f = ctx.run(off_the_loop, send_email, event)
    sms_f = ctx.run(off_the_loop, send_sms, event)
    slack_f = ctx.run(off_the_loop, send_slack, event)
    push_f = ctx.run(off_the_loop, send_push, event, simulate_crash)
"""

AWAITS = """    email, sms, slack, push = await email_f, await sms_f, await slack_f, await push_f
"""

PER_CHANNEL = """async def email_async(ctx, event):
    return await asyncio.to_thread(send_email, ctx, event)


async def sms_async(ctx, event):
    return await asyncio.to_thread(send_sms, ctx, event)


async def slack_async(ctx, event):
    return await asyncio.to_thread(send_slack, ctx, event)


async def push_async(ctx, event, crash):
    return await asyncio.to_thread(send_push, ctx, event, crash)"""

EXECUTOR = """async def in_executor(ctx, send, *args):
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(send, ctx, *args))"""

PORT_FAN_OUT = [
    Case("a helper and asyncio.to_thread", "passed", "", port(STARTS + AWAITS, extra=OFF_THE_LOOP)),
    Case(
        "one async wrapper per channel",
        "passed",
        "",
        port(
            """    futures = [ctx.run(email_async, event), ctx.run(sms_async, event),
               ctx.run(slack_async, event), ctx.run(push_async, event, simulate_crash)]
    email, sms, slack, push = [await f for f in futures]
""",
            extra=PER_CHANNEL,
        ),
    ),
    Case(
        "run_in_executor with functools.partial",
        "passed",
        "",
        port(STARTS.replace("off_the_loop", "in_executor") + AWAITS, extra=EXECUTOR),
    ),
    Case(
        "the straight port, as given",
        "failed",
        "0.8 ran email, sms, slack, push on its event loop",
        port(
            """    email_f = ctx.run(send_email, event)
    sms_f = ctx.run(send_sms, event)
    slack_f = ctx.run(send_slack, event)
    push_f = ctx.run(send_push, event, simulate_crash)
"""
            + AWAITS
        ),
    ),
    Case(
        "each awaited as soon as it starts",
        "failed",
        "each ctx.run was awaited before the next one started",
        port(
            """    email = await ctx.run(off_the_loop, send_email, event)
    sms = await ctx.run(off_the_loop, send_sms, event)
    slack = await ctx.run(off_the_loop, send_slack, event)
    push = await ctx.run(off_the_loop, send_push, event, simulate_crash)
""",
            extra=OFF_THE_LOOP,
        ),
    ),
    Case(
        "asyncio.gather, no ctx.run",
        "failed",
        "child promise",
        port(
            """    email, sms, slack, push = await asyncio.gather(
        asyncio.to_thread(send_email, ctx, event),
        asyncio.to_thread(send_sms, ctx, event),
        asyncio.to_thread(send_slack, ctx, event),
        asyncio.to_thread(send_push, ctx, event, simulate_crash),
    )
"""
        ),
    ),
    Case(
        "a typo",
        "failed",
        "raised NameError",
        port(STARTS.replace("sms_f = ", "sms_f = evnt and ") + AWAITS, extra=OFF_THE_LOOP),
    ),
    Case(  # in a ctx.run child: 0.8 retries it for as long as the order lives
        "a typo inside the thread wrapper",
        "failed",
        "your off_the_loop raised AttributeError: module 'asyncio' has no attribute 'to_thred'",
        port(STARTS + AWAITS, extra=OFF_THE_LOOP.replace("to_thread", "to_thred")),
    ),
]
