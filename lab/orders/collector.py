"""Python's cycle collector, kept from pausing a timed order.

A full collection walks every container object the process holds and stops every thread
while it does. In a test process that has run many checks it took 200-470 ms (CI's timing
phase, logged with ``gc.callbacks``). It comes whenever the collector decides, so it can land
in the middle of an order and stretch a bar, or an order, by that much: lesson 7's fallback
check once read 2822 ms for an order whose deadline and fallback take 2260.

``settle()`` runs before an order is placed: it collects then, and freezes what survives
(``gc.freeze``), so the collections during the order walk only what is newer than that.
Frozen objects are still freed by reference counting; a cycle among them waits for the next
full collection, which ``settle()`` makes, before an order, each time the frozen set has
grown by a quarter. Orders placed less than a second apart (lesson 6's batches) settle once.
"""

from __future__ import annotations

import gc
import threading
import time

_lock = threading.Lock()
_last = {"at": float("-inf"), "frozen": 0}  # when it last settled; the frozen set after a full one
BATCH_S = 1.0


def settle() -> None:
    """Collect now and freeze the survivors: no long collection while the next order runs."""
    if not _lock.acquire(blocking=False):  # another thread is settling for its order
        return
    try:
        now = time.monotonic()
        if now - _last["at"] < BATCH_S:
            return
        _last["at"] = now
        full = gc.get_freeze_count() >= 1.25 * _last["frozen"]
        if full:
            gc.unfreeze()
        gc.collect()
        gc.freeze()
        if full:
            _last["frozen"] = gc.get_freeze_count()
    finally:
        _lock.release()
