"""The lab behind the lessons: run, observe and break the production workflow.

A lesson cell imports what it needs from here, and only from here (exercises from
``lab.checks``), so a lesson's text never changes when a module moves::

    from lab import Lab, Fault, check
    lab = Lab()                              # embedded store, 4 workers
    run = lab.run(simulate_crash=True)       # live timeline while it runs
    run.ledger_table()                       # what was really sent

The production modules (``channels.py``, ``workflow.py``) are imported, never
copied; everything here observes them from the outside. The packages, bottom to
top, each importing only those below it: ``draw`` (tables, charts, colours),
``servers``, ``orders`` (a run and its send ledger), ``checks`` (the exercises'
verdicts), ``clusters`` (worker processes, kills, crashes), ``course`` (preflight,
site, workspace), ``lessons`` (one lesson's helpers), ``widgets`` (the panels).

The names below are imported on first use, not with the package: lesson 8's
kernel runs resonate-sdk 0.8, where the 0.6 runtime cannot be imported, and there
the 0.8 adapter (``lab.orders.sdk08``) is loaded before anything that imports
``channels.py``.
"""

from __future__ import annotations

import importlib
from importlib.metadata import version
from typing import Any

_WHERE = {
    "CHANNELS": "lab.orders.ledger",
    "Cluster": "lab.clusters.cluster",
    "Cluster08": "lab.clusters.cluster08",
    "CrashPanel": "lab.widgets.crash_panel",
    "Fault": "lab.orders.faults",
    "InjectedFailure": "lab.orders.observe",
    "InvalidEvent": "lab.orders.events",
    "KillPanel": "lab.widgets.kill_panel",
    "Lab": "lab.orders.runtime",
    "Lab08": "lab.orders.sdk08",
    "Ledger": "lab.orders.ledger",
    "OutagePanel": "lab.widgets.outage_panel",
    "Panel": "lab.widgets.panel",
    "Run": "lab.orders.run",
    "RunTimeout": "lab.orders.run",
    "ScalingPanel": "lab.widgets.scaling_panel",
    "ServerCrash": "lab.clusters.crash",
    "ServerUnavailable": "lab.servers.legacy",
    "after_deadline": "lab.lessons.deadlines",
    "check": "lab.lessons.cells",
    "compare": "lab.lessons.cells",
    "compare_ports": "lab.lessons.todays_sdk",
    "deadline_chart": "lab.lessons.deadlines",
    "deploy_mid_flight": "lab.lessons.todays_sdk",
    "environment": "lab.lessons.cells",
    "new_event": "lab.orders.events",
    "orders_per_second": "lab.lessons.scaling",
    "preflight": "lab.course.preflight",
    "progress": "lab.checks.progress",
    "promises_table": "lab.lessons.todays_sdk",
    "provider_back": "lab.lessons.deadlines",
    "sdk_version": "lab.lessons.todays_sdk",
    "show_source": "lab.lessons.cells",
    "sms_gateway": "lab.checks.gateway",
    "sweep": "lab.lessons.scaling",
    "throughput_table": "lab.lessons.scaling",
    "time_channels": "lab.lessons.cells",
    "validate_event": "lab.orders.events",
    "versioned_deploy": "lab.lessons.todays_sdk",
    "watch": "lab.lessons.deadlines",
}
# Lesson 8's kernel (resonate-sdk 0.8) has these, and the names that speak no SDK; the
# other kernel (0.6, lessons 0-7) has everything but these.
_SDK08 = {"Cluster08", "Lab08", "compare_ports", "deploy_mid_flight", "promises_table"}
_SDK08 |= {"sdk_version", "versioned_deploy"}
_NO_SDK = {"CHANNELS", "Fault", "InvalidEvent", "Ledger", "Run", "RunTimeout", "check"}
_NO_SDK |= {"compare", "new_event", "progress", "show_source", "validate_event"}
_ON_08 = version("resonate-sdk").startswith("0.8.")
__all__ = sorted(_SDK08 | _NO_SDK if _ON_08 else set(_WHERE) - _SDK08)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        msg = f"module 'lab' has no attribute {name!r}"
        raise AttributeError(msg)
    if name not in __all__:
        kernel = (
            "lesson 8's kernel (resonate-sdk 0.8)" if name in _SDK08 else "lessons 0-7's kernel"
        )
        msg = f"{name} runs in {kernel}: Kernel > Change Kernel…"
        raise ImportError(msg)
    if _ON_08:
        importlib.import_module("lab.orders.sdk08")  # channels.py imports on 0.8 only after it
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
