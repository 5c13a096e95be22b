"""A learner's code run on another day: how a check tells a clock-bound id or key.

A replay or a retry can come hours later, on another machine. An id or key built
from ``time.time()``, ``time.time_ns()``, ``datetime.now()`` or ``date.today()``
(or a minute bucket of them) changes then — and the branch is sent again. To
show that honestly in seconds, a check runs the learner's function a second
time with *its own* clock moved forward by ``OFFSET_S``: the clock objects in
the function's globals are swapped for shifted ones. Nothing else in the
process — the SDK, the harness, the timeline — sees another time.
"""

from __future__ import annotations

import datetime as _datetime
import time as _time
import types
from collections.abc import Callable
from typing import Any

OFFSET_S = 26 * 3600 + 61  # a day, two hours and a minute later: another date, hour and minute


def _shifted_time_module(offset: float) -> types.ModuleType:
    shifted = types.ModuleType("time")
    shifted.__dict__.update(_time.__dict__)
    shifted.time = lambda: _time.time() + offset
    shifted.time_ns = lambda: _time.time_ns() + int(offset * 1e9)
    return shifted


def _shifted_datetime_module(offset: float) -> types.ModuleType:
    delta = _datetime.timedelta(seconds=offset)

    class datetime(_datetime.datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return _datetime.datetime.now(tz) + delta

        @classmethod
        def utcnow(cls) -> Any:
            return _datetime.datetime.now(_datetime.UTC).replace(tzinfo=None) + delta

        @classmethod
        def today(cls) -> Any:
            return _datetime.datetime.today() + delta

    class date(_datetime.date):
        @classmethod
        def today(cls) -> Any:
            return (_datetime.datetime.now() + delta).date()

    shifted = types.ModuleType("datetime")
    shifted.__dict__.update(_datetime.__dict__)
    shifted.datetime, shifted.date = datetime, date
    return shifted


def shifted_globals(namespace: dict[str, Any], offset: float = OFFSET_S) -> dict[str, Any]:
    """A copy of ``namespace`` whose clocks read ``offset`` seconds later."""
    t, d = _shifted_time_module(offset), _shifted_datetime_module(offset)
    swap = {
        id(_time): t,
        id(_time.time): t.time,
        id(_time.time_ns): t.time_ns,
        id(_datetime): d,
        id(_datetime.datetime): d.datetime,
        id(_datetime.date): d.date,
    }
    return {k: swap.get(id(v), v) for k, v in namespace.items()}


def shift_module(module: types.ModuleType, offset: float = OFFSET_S) -> None:
    """Move a loaded module's clocks (a worker process's copy of the learner's code)."""
    module.__dict__.update(shifted_globals(module.__dict__, offset))


def _rebound(fn: types.FunctionType, namespace: dict[str, Any]) -> types.FunctionType:
    copy = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
    copy.__kwdefaults__, copy.__qualname__ = fn.__kwdefaults__, fn.__qualname__
    return copy


def on_another_day(fn: Callable[..., Any], offset: float = OFFSET_S) -> Callable[..., Any]:
    """``fn`` with the same code, reading its clocks ``offset`` seconds later.

    Helpers it calls from the same namespace (a key function in the learner's cell)
    are moved with it: they are copied onto the shifted namespace too.
    """
    namespace = shifted_globals(fn.__globals__, offset)
    for name, value in list(namespace.items()):
        if isinstance(value, types.FunctionType) and value.__globals__ is fn.__globals__:
            namespace[name] = _rebound(value, namespace)
    return _rebound(fn, namespace)
