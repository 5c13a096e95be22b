"""The first exception to escape one of the learner's own functions while a check runs.

resonate-sdk 0.8 retries a ``ctx.run`` child that raises, with backoff, for as long
as the order lives: a typo in a learner's thread wrapper (``asyncio.to_thred``)
never reaches the workflow, and the check would watch an empty chart until its
timeout. ``sys.monitoring`` (Python 3.12) reports every exception that unwinds out
of a frame; only those of the code objects it is given — the functions of the
learner's cell — are kept, so the check can stop at the first one and name it,
with its line. It listens only while a check runs.

A channel's own failure (push failing once, as the check injects it) passes
through the learner's wrapper too; the observed channels mark theirs
(``lab.orders.sdk08._mark``), and those are the SDK's to retry, not an error to report.
"""

from __future__ import annotations

import asyncio
import sys
from types import CodeType, TracebackType
from typing import Any

EVENTS = sys.monitoring.events
_QUIET = (asyncio.CancelledError, GeneratorExit, StopIteration, StopAsyncIteration)


class Escapes:
    """``with Escapes(codes) as escapes:`` … ``escapes.first`` is the first escaped error, or None."""

    def __init__(self, codes: tuple[CodeType, ...]) -> None:
        self.codes = set(codes)
        self.first: BaseException | None = None
        self.tool: int | None = None

    def _unwind(self, code: CodeType, offset: int, exc: BaseException) -> Any:
        if (
            self.first is None
            and code in self.codes
            and not isinstance(exc, _QUIET)
            and not hasattr(exc, "_lab_channel")
        ):
            self.first = exc
        return None

    def __enter__(self) -> Escapes:
        free = [t for t in range(6) if sys.monitoring.get_tool(t) is None]
        if not free:  # a debugger and profilers hold every id: the check times out as before
            return self
        self.tool = free[-1]
        sys.monitoring.use_tool_id(self.tool, "lab: the learner's errors")
        sys.monitoring.register_callback(self.tool, EVENTS.PY_UNWIND, self._unwind)
        sys.monitoring.set_events(self.tool, EVENTS.PY_UNWIND)  # not a local event: filtered
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self.tool is None:
            return
        sys.monitoring.set_events(self.tool, 0)
        sys.monitoring.register_callback(self.tool, EVENTS.PY_UNWIND, None)
        sys.monitoring.free_tool_id(self.tool)
        self.tool = None
