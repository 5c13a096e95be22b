"""Lesson 6's workflow: the same fan-out, N branches wide. Not production code.

``notify_many`` starts ``n`` branches of one channel function, each under its
own deterministic id ``f"{ctx.id}.<channel>-<i>"``, then yields every handle —
the production workflow's shape, widened to measure how far fan-out goes.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from resonate import Context

import channels


def notify_many(
    ctx: Context, event: dict[str, Any], channel: str, n: int
) -> Generator[Any, Any, dict[str, Any]]:
    send = getattr(channels, f"send_{channel}")
    handles = []
    for i in range(n):
        handle = yield ctx.rfi(send, event).options(id=f"{ctx.id}.{channel}-{i}")
        handles.append(handle)
    results = []
    for handle in handles:
        results.append((yield handle))
    return {
        "order_id": event["order_id"],
        "branches": len(results),
        "ok": sum(1 for r in results if r.get("success")),
    }
