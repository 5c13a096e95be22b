"""The lab harness behind the lessons: run, observe and break the production workflow.

A lesson cell should read like this::

    lab = Lab()                              # embedded store, 4 workers
    run = lab.run(simulate_crash=True)       # live timeline while it runs
    run.ledger_table()                       # what was really sent

The production modules (``channels.py``, ``workflow.py``) are imported, never
copied; everything here observes them from the outside.
"""

from lab.events import InvalidEvent, new_event, validate_event
from lab.faults import Fault
from lab.ledger import CHANNELS, Ledger
from lab.lesson import check, compare, environment, show_source, time_channels
from lab.observe import InjectedFailure
from lab.panel import Panel
from lab.run import Run, RunTimeout
from lab.runtime import Lab
from lab.server import ServerUnavailable

__all__ = [
    "CHANNELS",
    "Fault",
    "InjectedFailure",
    "InvalidEvent",
    "Lab",
    "Ledger",
    "Panel",
    "Run",
    "RunTimeout",
    "ServerUnavailable",
    "check",
    "compare",
    "environment",
    "new_event",
    "show_source",
    "time_channels",
    "validate_event",
]
