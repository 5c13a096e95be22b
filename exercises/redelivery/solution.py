"""Exercise redelivery (lesson 5): a solution.

The workflow's id comes from the event: a redelivered event names the same
workflow, so Resonate joins the run in flight (or returns its stored result),
and every other order still gets an id of its own.
"""

from __future__ import annotations

from typing import Any

from resonate import Resonate


def submit(resonate: Resonate, event: dict[str, Any]) -> Any:
    """Start the notification workflow for one order.confirmed event; return its handle."""
    return resonate.begin_rpc(f"notify/{event['order_id']}", "notify_all", event, False)
