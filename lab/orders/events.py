"""The ``order.confirmed`` event: fresh ones for each run, and a strict check.

A malformed event must be refused before any promise is created or any
message is sent, with a message that names every problem at once.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from channels import OrderEvent
from lab.errors import OneLine

FIELDS = ("order_id", "user_id", "event", "message")

_lock = threading.Lock()
_last_ms = 0


class InvalidEvent(OneLine, ValueError):
    """The event cannot be sent; nothing was run and nothing was written."""


def new_order_id() -> str:
    """``ord_<epoch ms>`` as in the example, never repeated within this process."""
    global _last_ms
    with _lock:
        _last_ms = max(int(time.time() * 1000), _last_ms + 1)
        return f"ord_{_last_ms}"


def new_event(user_id: str = "user_alice") -> dict[str, Any]:
    """A fresh ``order.confirmed`` event, shaped like the example's."""
    order_id = new_order_id()
    return OrderEvent(
        order_id=order_id,
        user_id=user_id,
        event="order.confirmed",
        message=f"Your order {order_id} is confirmed and will ship soon.",
    ).to_dict()


def validate_event(event: object) -> dict[str, Any]:
    """Return the event if it can be sent; raise InvalidEvent naming every problem."""
    if not isinstance(event, dict):
        msg = f"the event must be a dict with keys {', '.join(FIELDS)}; got {type(event).__name__}"
        raise InvalidEvent(msg)
    problems = [f"missing key {k!r}" for k in FIELDS if k not in event]
    problems += [f"unexpected key {k!r}" for k in event if k not in FIELDS]
    for key in (k for k in FIELDS if k in event):
        value = event[key]
        if not isinstance(value, str):
            problems.append(f"{key!r} must be a string, got {type(value).__name__} {value!r}")
        elif not value.strip():
            problems.append(f"{key!r} must not be empty")
    if problems:
        msg = "invalid order event — nothing was sent: " + "; ".join(problems)
        raise InvalidEvent(msg)
    return event
