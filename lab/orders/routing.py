"""Each kernel instance's orders run on that instance, on a server too.

On a server, SDK 0.6.7 sends every ``ctx.rfi`` branch to the group
``default`` (``Context.rfi`` builds its ``Options`` afresh, so an instance's own
target never reaches its branches), and every instance that polls ``default``
may take it. A kernel holds several instances — lesson 2's 1-worker and
4-worker ones side by side — so a branch of the 4-worker fan-out could wait in
the 1-worker instance's single thread: a fan-out slower than the sum was
measured (1,024 ms against a 950 ms sum).

The harness, not the production workflow, fixes it: each kernel instance polls
a group of its own (``group_for``), and ``route`` ties an order's root id to
it, so the root and every promise under it are sent there. The name is the
same for the same settings in a new kernel, so an order a restarted kernel
left behind is still taken up by the instance that replaces it.
"""

from __future__ import annotations

import hashlib
import threading

from resonate.conventions.remote import Remote

_routes: dict[str, str] = {}  # an order's root id -> the group of the instance it was given to
_lock = threading.Lock()
_match = Remote.match


def group_for(workers: int, ledger: str) -> str:
    """The group a kernel instance polls: one per (workers, ledger), stable across kernels."""
    return f"lab-{workers}w-{hashlib.sha1(ledger.encode()).hexdigest()[:8]}"


def route(root_id: str, group: str) -> None:
    """Send the order ``root_id`` and everything under it to ``group``."""
    with _lock:
        _routes[root_id] = group


def _routed_match(self: Remote, target: str) -> str:
    if target == "default":
        target = _routes.get(self.r_id, target)
    return _match(self, target)


Remote.match = _routed_match  # type: ignore[method-assign]
