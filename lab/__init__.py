"""The lab harness behind the lessons: run, observe and break the production workflow.

A lesson cell should read like this::

    lab = Lab()                              # embedded store, 4 workers
    run = lab.run(simulate_crash=True)       # live timeline while it runs
    run.ledger_table()                       # what was really sent

The production modules (``channels.py``, ``workflow.py``) are imported, never
copied; everything here observes them from the outside.

The names below are imported on first use, not with the package: lesson 8's
kernel runs resonate-sdk 0.8, where only the modules that speak no SDK (the
ledger, the charts, the verdicts) can be imported, and ``import lab.timeline``
must not pull in the 0.6 runtime.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "CHANNELS": "lab.ledger",
    "Fault": "lab.faults",
    "InjectedFailure": "lab.observe",
    "InvalidEvent": "lab.events",
    "Lab": "lab.runtime",
    "Ledger": "lab.ledger",
    "Panel": "lab.panel",
    "Run": "lab.run",
    "RunTimeout": "lab.run",
    "ServerUnavailable": "lab.server",
    "check": "lab.lesson",
    "compare": "lab.lesson",
    "environment": "lab.lesson",
    "new_event": "lab.events",
    "show_source": "lab.lesson",
    "time_channels": "lab.lesson",
    "validate_event": "lab.events",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        msg = f"module 'lab' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
