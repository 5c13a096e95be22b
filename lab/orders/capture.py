"""What a channel prints, filed with its run instead of landing in whichever cell is running.

SDK worker threads (0.6) and event-loop tasks (0.8) print into whichever notebook
cell happens to be running. While a channel runs under the lab's wrapper, its
context holds a capture buffer (``BUFFER``, a context variable: a thread's own in
0.6, a task's own in 0.8, and carried into ``asyncio.to_thread``), and
``sys.stdout`` files its writes there; every other write passes through.
"""

from __future__ import annotations

import contextvars
import io
import sys
from typing import Any

from lab.orders import wall


class Capture:
    """Collects one channel attempt's printed lines, each with the time it was printed."""

    def __init__(self) -> None:
        self.lines: list[tuple[float, str]] = []
        self._partial = ""

    def append(self, s: str) -> None:
        self._partial += s
        *done, self._partial = self._partial.split("\n")
        now = wall.now()
        self.lines.extend((now, line) for line in done)

    def close(self) -> list[tuple[float, str]]:
        if self._partial:
            self.lines.append((wall.now(), self._partial))
            self._partial = ""
        return self.lines


def failure_line(channel: str, attempt: int, error: str) -> tuple[float, str]:
    """The line filed with an attempt that raised, in the channels' own column layout."""
    return (
        wall.now(),
        f"  [{channel}]{' ' * (8 - len(channel))}✗ attempt {attempt} failed: {error}",
    )


BUFFER: contextvars.ContextVar[Capture | None] = contextvars.ContextVar("lab_capture", default=None)


class RoutedStdout(io.TextIOBase):
    """sys.stdout that files writes made under a capture buffer, and passes the rest on."""

    def __init__(self, passthrough: Any) -> None:
        self.passthrough = passthrough

    def write(self, s: str) -> int:
        buffer = BUFFER.get()
        if buffer is None:
            return self.passthrough.write(s)
        buffer.append(s)
        return len(s)

    def flush(self) -> None:
        if BUFFER.get() is None:
            self.passthrough.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.passthrough, name)


def install_stdout_router() -> None:
    """Route ``sys.stdout`` (again, if pytest or a front end swapped it)."""
    if not isinstance(sys.stdout, RoutedStdout):
        sys.stdout = RoutedStdout(sys.stdout)
