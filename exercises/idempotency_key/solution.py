"""Exercise idempotency_key (lesson 4): a solution.

``ctx.id`` is the branch's durable id (``notify/<order>.sms``): the same on every
attempt of this branch, different for every order. The gateway delivers once
per key, so the re-run after a kill reaches the customer zero more times.
"""

from __future__ import annotations

from typing import Any

from resonate import Context

from lab import sms_gateway


def send_sms(ctx: Context, event: dict[str, Any]) -> dict[str, Any]:
    """Text the customer through the SMS gateway (its answer takes 250 ms)."""
    return sms_gateway.send(event, idempotency_key=ctx.id)
