"""Watch every channel attempt without touching the production modules.

The SDK looks a function up by name in its ``Registry`` each time it runs a
task. ``ObservingRegistry`` answers that look-up for the four channels with a
wrapper that

- records the attempt (start, end, attempt number, outcome, process id) in the
  send ledger,
- applies the faults injected for that order (extra latency, failing the first
  N attempts before the provider is called, a provider down or hanging until it
  is back),
- captures what the channel prints and files it with the order.

The workflow generator is never wrapped: its replay semantics are the SDK's.
Push's own ``simulate_crash`` runs untouched inside the wrapper.
"""

from __future__ import annotations

import functools
import inspect
import threading
import time
from collections.abc import Callable
from typing import Any

from resonate import Context
from resonate.registry import Registry

from lab.orders import wall
from lab.orders.capture import BUFFER, Capture, failure_line, install_stdout_router
from lab.orders.faults import HANG_LIMIT_S
from lab.orders.ledger import CHANNELS, Ledger

_local = threading.local()
# (ledger, order id, channel, the branch's durable id, attempt) of every channel call in
# this process: what ids the workflow really gave its branches (the exercises' checks read it).
BRANCHES: list[tuple[str, str, str, str, int]] = []
_branches_lock = threading.Lock()


def branches_by_order(ledger: Ledger) -> dict[str, dict[str, set[str]]]:
    """Every order's channels on ``ledger`` in this process, each with the durable ids it ran under."""
    with _branches_lock:
        found: dict[str, dict[str, set[str]]] = {}
        for path, order, channel, branch, _ in BRANCHES:
            if path == str(ledger.path):
                found.setdefault(order, {}).setdefault(channel, set()).add(branch)
        return found


def branch_ids(order_id: str, ledger: Ledger) -> dict[str, set[str]]:
    """The durable ids each channel of ``order_id`` ran under in this process, on ``ledger``."""
    return branches_by_order(ledger).get(order_id, {})


class InjectedFailure(RuntimeError):
    """Raised by the harness, never by the production channels."""


def _line_in(e: BaseException, filename: str | None) -> str:
    """`` (file line N)`` for the deepest frame of ``e`` in ``filename``; "" if none."""
    import traceback

    lines = [f.lineno for f in traceback.extract_tb(e.__traceback__) if f.filename == filename]
    return f" (file line {lines[-1]})" if filename and lines else ""


def _deadline(ctx: Context) -> float | None:
    """When this branch's promise times out (epoch s); None for the SDK's year-long default."""
    timeout = getattr(ctx.info, "timeout", None)
    if isinstance(timeout, (int, float)) and timeout < time.time() + 86400:
        return timeout - wall.OFFSET_S  # a replay's moved clock, moved back
    return None


def _hang_until_lifted(ledger: Ledger, order_id: str, channel: str) -> None:
    """The provider has the request and does not answer until it is back (then it delivers)."""
    given_up = time.monotonic() + HANG_LIMIT_S
    while not ledger.fault(order_id, channel)[1]:
        if time.monotonic() > given_up:
            msg = f"{channel} provider never answered (the client gave up after {HANG_LIMIT_S:g} s)"
            raise TimeoutError(msg)
        time.sleep(0.05)


class ObservingRegistry(Registry):
    """A Registry whose channel look-ups return observed, fault-injectable wrappers."""

    def __init__(self, ledger: Ledger, replace: dict[str, Callable] | None = None) -> None:
        super().__init__()
        self.ledger = ledger
        # A learner's version of a channel ({"sms": send_sms}), run in its place (lesson 4's exercise).
        self.replace = dict(replace or {})
        self.note_workflow_steps = False  # worker processes turn it on (lab.clusters.worker)
        self._wrapped: dict[Callable, Callable] = {}
        install_stdout_router()

    def get(self, func: str | Callable, version: int = 0) -> tuple[str, Callable, int]:
        name, fn, version = super().get(func, version)
        channel = name.removeprefix("send_")
        if isinstance(func, str) and inspect.isgeneratorfunction(fn) and self.note_workflow_steps:
            self.ledger.workflow_step(
                name
            )  # noted, not wrapped: the workflow's replay is the SDK's
        if isinstance(func, str) and channel in CHANNELS:
            fn = self.replace.get(channel, fn)
            if fn not in self._wrapped:
                self._wrapped[fn] = self._observe(channel, fn, learner=channel in self.replace)
            fn = self._wrapped[fn]
        return name, fn, version

    def _observe(self, channel: str, fn: Callable, *, learner: bool = False) -> Callable:
        ledger = self.ledger
        # A learner's channel (lesson 4's exercise) reports where in their file it raised.
        own_file = fn.__code__.co_filename if learner else None

        @functools.wraps(fn)
        def observed(ctx: Context, event: dict[str, Any], *args: Any) -> Any:
            order_id = event["order_id"]
            # The ledger's numbering: a fault's first failures are the provider's first calls,
            # wherever they ran.
            attempt = ledger.next_attempt(order_id, channel)
            fault, lifted = ledger.fault(order_id, channel)
            down = fault.down and not lifted
            # fails before the provider is called: nothing sent
            injected = attempt <= fault.fail_first or down
            row = ledger.begin(
                order_id,
                channel,
                attempt,
                provider_called=not injected,
                deadline=_deadline(ctx),
            )
            with _branches_lock:  # every attempt, an injected failure's too
                BRANCHES.append((str(ledger.path), order_id, channel, ctx.id, attempt))
            install_stdout_router()  # again: pytest or a front end may have swapped sys.stdout
            capture = Capture()
            token = BUFFER.set(capture)
            outcome, error = "failed", "interrupted"
            try:
                if fault.extra_ms:
                    time.sleep(fault.extra_ms / 1000)
                if down:
                    msg = f"{channel} provider down (injected outage, attempt {attempt})"
                    raise InjectedFailure(msg)
                if injected:
                    msg = (
                        f"{channel} provider unavailable (injected failure, attempt {attempt} "
                        f"of the first {fault.fail_first})"
                    )
                    raise InjectedFailure(msg)
                if fault.hang and not lifted:
                    _hang_until_lifted(ledger, order_id, channel)
                _local.durable = (
                    True  # lab.checks.provider_calls: this call is Resonate's, not a plain one
                )
                try:
                    result = fn(ctx, event, *args)
                finally:
                    _local.durable = False
                outcome, error = "sent", None
                return result
            except Exception as e:
                error = f"{type(e).__name__}: {e}" + _line_in(e, own_file)
                raise
            finally:
                BUFFER.reset(token)
                lines = capture.close()
                if error:
                    lines.append(failure_line(channel, attempt, error))
                ledger.end(row, outcome, error, lines)

        return observed
