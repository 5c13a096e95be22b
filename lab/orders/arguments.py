"""The arguments of an order, checked before anything is submitted: each refusal is one line.

A bad workflow, worker count, fault or display option raises ``Refused`` naming
the problem, and nothing reaches the store or the send ledger.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from lab.errors import Refused
from lab.orders.faults import Fault
from lab.orders.ledger import CHANNELS


def check_workflow(workflow: object, named: dict[str, Callable[..., Any]]) -> Callable[..., Any]:
    """A generator function, or the name of one of ``named`` (the workflows worker processes serve)."""
    if isinstance(workflow, str):
        if workflow not in named:
            msg = f"workflow must be a generator function or one of {', '.join(named)}, got {workflow!r}"
            raise Refused(msg)
        return named[workflow]
    if not inspect.isgeneratorfunction(workflow):
        msg = (
            f"workflow must be a generator function like workflow.notify_all — "
            f"def my_workflow(ctx, event, simulate_crash): ... yield ctx.rfi(...) — got {workflow!r}"
        )
        raise Refused(msg)
    return workflow


def check_workers(workers: object) -> int:
    if not isinstance(workers, int) or isinstance(workers, bool) or not 1 <= workers <= 32:
        msg = f"workers must be a whole number from 1 to 32, got {workers!r}"
        raise Refused(msg)
    return workers


def check_faults(faults: object) -> dict[str, Fault]:
    if faults is None:
        return {}
    if not isinstance(faults, dict):
        msg = f"faults must be a dict like {{'sms': Fault(fail_first=1)}}, got {type(faults).__name__}"
        raise Refused(msg)
    unknown = [c for c in faults if c not in CHANNELS]
    if unknown:
        msg = f"no such channel {unknown[0]!r}; the channels are {', '.join(CHANNELS)}"
        raise Refused(msg)
    wrong = [c for c, f in faults.items() if not isinstance(f, Fault)]
    if wrong:
        msg = f"faults[{wrong[0]!r}] must be a Fault(fail_first=..., extra_ms=...)"
        raise Refused(msg)
    return dict(faults)


def check_display(
    *, live: object, timeout: object, title: object, axis_ms: object, lanes: object
) -> None:
    """The arguments of ``Lab.run`` that are not the order's, checked before it is submitted."""
    if not isinstance(live, bool):
        msg = f"live must be True or False, got {live!r}"
        raise Refused(msg)
    if not is_number(timeout) or not 0 < timeout <= 600:
        msg = f"timeout must be a number of seconds above 0 and at most 600, got {timeout!r}"
        raise Refused(msg)
    if title is not None and not isinstance(title, str):
        msg = f"title must be text, got {title!r}"
        raise Refused(msg)
    if axis_ms is not None and (not is_number(axis_ms) or not 50 <= axis_ms <= 600_000):
        msg = f"axis_ms must be a number of milliseconds from 50 to 600000, got {axis_ms!r}"
        raise Refused(msg)
    if lanes not in ("channel", "worker"):
        msg = (
            f"lanes must be 'channel' (a lane per channel) or 'worker' (per process), got {lanes!r}"
        )
        raise Refused(msg)


def is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)
