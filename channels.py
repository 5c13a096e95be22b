"""The four notification channels of the fan-out/fan-in example.

Each function stands in for a call to a real provider (an SMTP relay, an SMS
gateway, Slack's API, a push service). The latencies are simulated with
``time.sleep`` so that the difference between running the channels one after
another (the sum, about 950 ms) and fanned out (the slowest, about 400 ms) is
big enough to see.

Every channel takes the SDK context first, unused here and named ``_``: the
SDK passes it to every registered function, and a channel needs nothing from
it. Each returns a small JSON-able dict; Resonate stores it as the value of
that branch's durable promise, which is why a retry of one channel never
re-runs the others.
"""

from __future__ import annotations

import random
import string
import time
from dataclasses import asdict, dataclass
from typing import Any

from resonate import Context

# The channels, in the order the workflow starts them: the one list the lessons use.
CHANNELS = ("email", "sms", "slack", "push")

# How many times send_push has been called per order_id in this process.
# A module-level dict on purpose: it is what lets the simulated failure hit
# the first attempt only, so the SDK's retry can be seen to succeed.
_push_attempts: dict[str, int] = {}


@dataclass
class OrderEvent:
    """The ``order.confirmed`` event that triggers the notifications."""

    order_id: str
    user_id: str
    event: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The plain dict the workflow receives (durable arguments must be JSON)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OrderEvent:
        return cls(
            order_id=data["order_id"],
            user_id=data["user_id"],
            event=data["event"],
            message=data["message"],
        )


def _say(line: str) -> None:
    """Print one line in a single write.

    The four channels run at once on different worker threads, and ``print``
    writes the text and its newline separately, so two lines could run
    together on the console. One write per line keeps them whole.
    """
    print(line + "\n", end="", flush=True)


def _message_id(channel: str) -> str:
    suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=6))
    return f"msg_{channel}_{suffix}"


def _result(channel: str, started: float) -> dict[str, Any]:
    return {
        "channel": channel,
        "success": True,
        "message_id": _message_id(channel),
        "duration_ms": int((time.time() - started) * 1000),
    }


def send_email(_: Context, event: dict[str, Any]) -> dict[str, Any]:
    """Send the order confirmation by email (SMTP is slow: 400 ms)."""
    started = time.time()
    _say(f"  [email]   Sending order confirmation to user {event['user_id']}...")
    time.sleep(0.40)
    result = _result("email", started)
    _say(f"  [email]   Sent — {result['message_id']}")
    return result


def send_sms(_: Context, event: dict[str, Any]) -> dict[str, Any]:
    """Send a text message through the SMS gateway (250 ms)."""
    started = time.time()
    _say(f"  [sms]     Sending SMS to user {event['user_id']}...")
    time.sleep(0.25)
    result = _result("sms", started)
    _say(f"  [sms]     Sent — {result['message_id']}")
    return result


def send_slack(_: Context, event: dict[str, Any]) -> dict[str, Any]:
    """Post the order to the team's #orders channel (180 ms)."""
    started = time.time()
    _say("  [slack]   Posting to #orders channel...")
    time.sleep(0.18)
    result = _result("slack", started)
    _say(f"  [slack]   Posted — {result['message_id']}")
    return result


def send_push(_: Context, event: dict[str, Any], simulate_crash: bool) -> dict[str, Any]:
    """Send a mobile push notification (120 ms).

    With ``simulate_crash`` the first attempt for an order fails after the
    provider call, as a flaky push service would. The exception escapes to the
    SDK, whose retry policy runs this function again (about 2 s later with the
    default policy); the other three channels are not run again, because each
    lives in its own durable promise.
    """
    started = time.time()
    order_id = event["order_id"]
    attempt = _push_attempts.get(order_id, 0) + 1
    _push_attempts[order_id] = attempt
    _say(f"  [push]    Sending push notification to user {event['user_id']} (attempt {attempt})...")
    time.sleep(0.12)
    if simulate_crash and attempt == 1:
        raise RuntimeError("Push service unavailable — will retry")
    result = _result("push", started)
    _say(f"  [push]    Delivered — {result['message_id']}")
    return result
