"""Exercise idempotency_key (lesson 4): starting point. Edit the copy in the lesson, or this file.

Worker processes run this function in place of the production ``send_sms``.
"""

from __future__ import annotations

from typing import Any

from resonate import Context

from lab import sms_gateway


def send_sms(ctx: Context, event: dict[str, Any]) -> dict[str, Any]:
    """Text the customer through the SMS gateway (its answer takes 250 ms)."""
    # TODO: a worker killed mid-call makes this run again. Make the re-run deliver nothing new.
    return sms_gateway.send(event, idempotency_key=None)
