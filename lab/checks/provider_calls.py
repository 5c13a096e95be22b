"""Every call of a channel function in this process, through Resonate or not.

The send ledger sees the calls the SDK makes (``ObservingRegistry``). A learner
who also calls ``send_email(ctx, event)`` directly in the workflow body sends a
second email the ledger never saw — and that call is not durable: a replay
sends it again. ``ProviderCalls`` counts what the customer really got, from the
channel's side: Python's ``sys.monitoring`` reports the start of every call of
the four channel functions' code, in any thread, and the observing wrapper marks
the calls it makes, so each call is counted once as durable or as plain.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from types import CodeType, TracebackType

import channels
from lab.orders import observe
from lab.orders.ledger import CHANNELS

_M = sys.monitoring
_lock = threading.Lock()


class ProviderCalls:
    """``with ProviderCalls() as calls: …`` then ``calls.plain(order_id)``: {channel: n}.

    It also notes where the learner's own code raised (``learner`` code objects):
    the SDK hands a workflow's exception back without its traceback, so the line of
    the learner's cell is read here, as the exception leaves their function.
    """

    def __init__(self, learner: tuple[CodeType, ...] = ()) -> None:
        self.calls: list[tuple[str, str, bool]] = []  # (order id, channel, durable)
        self.raised: list[tuple[str, str, int]] = []  # (exception type, message, line)
        self._codes = {getattr(channels, f"send_{c}").__code__: c for c in CHANNELS}
        self._learner = frozenset(learner)
        self._tool: int | None = None

    def __enter__(self) -> ProviderCalls:
        _lock.acquire()  # one counter at a time in a process
        try:
            for tool in range(1, 6):
                if _M.get_tool(tool) is None:
                    _M.use_tool_id(tool, "lab provider calls")
                    self._tool = tool
                    break
            if self._tool is not None:
                _M.register_callback(self._tool, _M.events.PY_START, self._started)
                for code in self._codes:
                    _M.set_local_events(self._tool, code, _M.events.PY_START)
                if self._learner:  # RAISE can only be watched everywhere: filtered in _raised
                    _M.register_callback(self._tool, _M.events.RAISE, self._raised)
                    _M.set_events(self._tool, _M.events.RAISE)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _raised(self, code: CodeType, offset: int, exc: BaseException) -> None:
        if code in self._learner:
            line = next((n for a, b, n in code.co_lines() if a <= offset < b and n), 0)
            self.raised.append((type(exc).__name__, str(exc), line))

    def line_of(self, e: BaseException) -> int | None:
        """The line of the learner's code where ``e`` (or one like it) was raised first."""
        return next(
            (n for t, m, n in self.raised if t == type(e).__name__ and m == str(e) and n), None
        )

    def _started(self, code: object, _offset: int) -> None:
        channel = self._codes.get(code)
        if channel is None:
            return
        event = sys._getframe(1).f_locals.get("event")
        order = event.get("order_id") if isinstance(event, dict) else None
        durable = getattr(observe._local, "durable", False)
        self.calls.append((str(order), channel, durable))

    def __exit__(
        self, kind: type | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._tool is not None:
                _M.set_events(self._tool, 0)
                for code in self._codes:
                    _M.set_local_events(self._tool, code, 0)
                _M.register_callback(self._tool, _M.events.PY_START, None)
                _M.register_callback(self._tool, _M.events.RAISE, None)
                _M.free_tool_id(self._tool)
        finally:
            _lock.release()

    @property
    def watching(self) -> bool:
        """False when no monitoring tool id was free (a debugger holds them): nothing counted."""
        return self._tool is not None

    def plain(self, order_id: str) -> Counter:
        """Calls of each channel for this order that did not go through Resonate."""
        return Counter(c for o, c, durable in self.calls if o == order_id and not durable)
