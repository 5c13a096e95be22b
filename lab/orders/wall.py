"""The harness's one clock, in every process: epoch seconds as the room's wall clock reads them.

An exercise's check runs a learner's code in a process whose whole clock reads a day
later (``lab.checks.clock.another_day``: libfaketime). What the harness records from
there — the send ledger's attempts and deadlines, the provider's requests, a channel's
printed lines — subtracts the shift, so every chart and figure keeps one clock. The
shift counts only if the clock really moved: the parent wrote the moved time it
expected at spawn, and a process started seconds (on a loaded machine, minutes) later
reads within an hour of it only then. Everywhere else ``OFFSET_S`` is 0.
"""

from __future__ import annotations

import os
import time

_EXPECTED = float(os.environ.get("LAB_CLOCK_EXPECTED") or 0)
MOVED = bool(_EXPECTED) and abs(time.time() - _EXPECTED) < 3600
OFFSET_S = float(os.environ.get("LAB_CLOCK_OFFSET") or 0) if MOVED else 0.0


def now() -> float:
    """``time.time()`` with this process's moved clock moved back."""
    return time.time() - OFFSET_S
