"""The embedded store (``Resonate.local()``), with two races of resonate-sdk 0.6.7 closed.

SDK 0.6.7's ``LocalStore`` keeps its promises and tasks in dicts that every SDK
thread changes without a lock, and one loop thread (``LocalStore.loop``) turns
new tasks into messages. Two things go wrong, rarely, and more often the more
threads a process has — a kernel that has run every lesson, or a test session:

1. **A lost wake-up.** A thread creates a branch's promise and task, then calls
   ``notify()``. If that call lands while the loop is between two waits (after
   its scan, before its next ``wait``), nobody is waiting and the wake-up is
   lost. The loop then sleeps until the earliest promise timeout: a fan-out
   stalls, and with 2 s deadlines (lesson 7) every branch of a healthy order
   times out. Seen in CI: an order whose four branches never started, the loop
   waking 2.000 s later, exactly at the first branch's deadline.
2. **Unlocked state.** Two threads change the same task at once; the loop then
   raises "The task is already claimed, completed, or an invalid counter was
   provided", and SDK 0.6.7 ends the process (``os._exit``): the kernel dies.

``embedded()`` returns ``Resonate.local(...)`` with its store's condition
replaced by one that remembers a wake-up nobody waited for, and with every
public operation of its promise, task and schedule stores made to hold that
condition's lock, as the loop holds it while it scans. Nothing else changes:
the same SDK code runs, in the same threads. ``scripts/race_embedded.py``
measures both races with and without this (SDK 0.8 has no such store).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from resonate import Resonate
from resonate.stores.local import LocalStore


class _Wake(threading.Condition):
    """A condition on a re-entrant lock that keeps a ``notify`` until the next ``wait``."""

    def __init__(self) -> None:
        super().__init__(threading.RLock())
        self._pending = False

    def notify(self, n: int = 1) -> None:
        self._pending = True
        super().notify(n)

    def wait(self, timeout: float | None = None) -> bool:
        if self._pending:  # a wake-up came while the loop was not waiting: take it now
            self._pending = False
            return True
        woke = super().wait(timeout)
        self._pending = False
        return woke


def _locked(lock: Any, fn: Callable[..., Any], *, listed: bool) -> Callable[..., Any]:
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        with lock:
            result = fn(*args, **kwargs)
            return iter(list(result)) if listed else result  # a scan, read whole under the lock

    return call


def close_races(store: LocalStore) -> LocalStore:
    """Give ``store`` a wake-up that is never lost and operations that hold its lock."""
    if isinstance(store._cond, _Wake):
        return store
    store._cond = _Wake()
    for part in (store.promises, store.tasks, store.schedules):
        for name in dir(type(part)):
            fn = getattr(part, name)
            if not name.startswith("_") and callable(fn):
                setattr(part, name, _locked(store._cond, fn, listed=name == "scan"))
    return store


def embedded(**options: Any) -> Resonate:
    """``Resonate.local(**options)``, its store's races closed; not started."""
    resonate = Resonate.local(**options)
    close_races(resonate._store)
    return resonate
