"""A simulated SMS provider that honours idempotency keys, for lesson 4's exercise.

Real providers (Stripe, Twilio's Messaging API with its idempotency header,
most payment and messaging APIs) let a client send a key with a request: a
second request with the same key delivers nothing new and returns the first
answer. ``sms_gateway.send`` behaves that way, and records every request it
receives in the send ledger's ``requests`` table — so a verdict can count the
messages the customer really got, not the attempts.

The message goes out when the request arrives; the gateway's answer takes
250 ms to come back. A worker killed in between has sent the SMS but never
learned so: its re-run sends again, unless the key says it is the same SMS.
An answer can also be lost on the way back (``Ledger.lose_answer``): the call
raises after the SMS went out, and the SDK retries the branch — attempt 2. And a
check can hold an answer (``Ledger.hold_answer``) until it has killed the worker
waiting for it, up to ``HOLD_LIMIT_S``: the kill then lands mid-call on a busy
machine too, where 250 ms can pass before the check sees the request.
"""

from __future__ import annotations

import os
import random
import string
import time
from typing import Any

from lab.errors import Refused
from lab.orders.ledger import Ledger

ANSWER_MS = 250
HOLD_LIMIT_S = 10


class SmsGateway:
    def __init__(self) -> None:
        self._ledgers: dict[str, Ledger] = {}

    def _ledger(self) -> Ledger:
        from lab.paths import default_ledger_path

        path = os.environ.get("LAB_LEDGER") or str(default_ledger_path())
        if path not in self._ledgers:
            self._ledgers[path] = Ledger(path)
        return self._ledgers[path]

    def send(self, event: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
        """Text ``event["message"]`` to the customer; returns a result like the channels' own."""
        if idempotency_key is not None and not isinstance(idempotency_key, str):
            msg = (
                f"idempotency_key must be a string (or None), got {type(idempotency_key).__name__}"
            )
            raise Refused(msg)
        started = time.time()
        new_id = "msg_sms_" + "".join(random.choices(string.ascii_lowercase + string.digits, k=6))
        ledger = self._ledger()
        _, message_id = ledger.provider_request(event["order_id"], "sms", idempotency_key, new_id)
        time.sleep(ANSWER_MS / 1000)
        held = time.monotonic() + HOLD_LIMIT_S
        while ledger.answer_held(event["order_id"], "sms") and time.monotonic() < held:
            time.sleep(0.01)
        if ledger.answer_lost(event["order_id"], "sms"):
            # The SMS went out; the answer never came back. The SDK retries the branch.
            msg = "the SMS gateway's answer was lost (it had sent the SMS)"
            raise TimeoutError(msg)
        return {
            "channel": "sms",
            "success": True,
            "message_id": message_id,
            "duration_ms": int((time.time() - started) * 1000),
        }


sms_gateway = SmsGateway()
