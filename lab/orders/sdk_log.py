"""The SDK's own log lines, kept with their time instead of printed into a cell.

SDK 0.6.7 logs from its threads (``resonate.*`` loggers): while a server is down,
``Networking. Cannot connect … Retrying`` several times a second; when a worker
hits an internal error, the report it writes before ``os._exit(1)``. Left to
Python's default handler they land in whichever cell happens to be running — a
flood of 180 lines after an interrupt. Every ``Lab`` routes them here; lessons show
the ones that belong to a run (``ServerCrash.report``).
"""

from __future__ import annotations

import logging
import threading


class SdkLog(logging.Handler):
    """The SDK's warnings and errors, kept with their time (the last 5000), not printed."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._lock:
            self.lines.append((record.created, record.getMessage()))
            del self.lines[:-5000]

    def between(self, start: float, end: float) -> list[tuple[float, str]]:
        with self._lock:
            return [(t, line) for t, line in self.lines if start <= t <= end]


SDK_LOG = SdkLog()


def route_sdk_log() -> None:
    """Send the SDK's log lines to ``SDK_LOG`` instead of the running cell (idempotent)."""
    logger = logging.getLogger("resonate")
    if SDK_LOG not in logger.handlers:
        logger.addHandler(SDK_LOG)
    logger.propagate = False
