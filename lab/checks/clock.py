"""A learner's code run on another day: how a check tells a clock-bound id or key.

A replay or a retry can come hours later, on another machine. An id or key built
from the clock — ``time.time()``, a date, a formatted time, a time-based uuid, a
clock imported inside the function — changes then, and the branch is sent again.
To show that honestly in seconds, a check runs the learner's code in a process of
its own whose whole clock reads ``OFFSET_S`` later (``another_day``): libfaketime,
preloaded into that process (PyPI's ``libfaketime`` wheel ships the library), moves
every wall-clock read in it, whatever reads it; its monotonic clock stays, so sleeps
and timeouts keep their length. What the harness records there subtracts the shift
(``lab.orders.wall``).

Where libfaketime cannot load (it is Linux-only here), the process says so and
moves the clocks it can name instead: the clock objects in the learner's module
(``shift_module``, ``on_another_day``). ``clock_moved`` tells which happened.
"""

from __future__ import annotations

import datetime as _datetime
import importlib.util
import os
import platform
import sys
import time as _time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

OFFSET_S = 26 * 3600 + 61  # a day, two hours and a minute later: another date, hour and minute


_ELF_MACHINE = {"x86_64": 62, "aarch64": 183}  # e_machine of an ELF shared library


def library() -> Path | None:
    """libfaketime's shared library from the ``libfaketime`` wheel, if this machine can load it.

    The wheel ships one build, for x86-64 Linux: elsewhere (macOS, ARM) there is none.
    """
    spec = importlib.util.find_spec("libfaketime")
    if sys.platform != "linux" or spec is None or not spec.submodule_search_locations:
        return None
    found = Path(spec.submodule_search_locations[0]) / "vendor/libfaketime/src/libfaketime.so.1"
    try:
        machine = int.from_bytes(found.read_bytes()[18:20], "little")
    except OSError:
        return None
    return found if machine == _ELF_MACHINE.get(platform.machine()) else None


def another_day(offset: float = OFFSET_S) -> dict[str, str]:
    """The environment of a child process whose whole clock reads ``offset`` seconds later.

    Such a process must not write its environment once a thread runs: libfaketime reads
    it in every timed wait (each wait for the GIL), and ``putenv`` beside that read can
    free the array under it (SIGSEGV; ``lab.clusters.worker`` sets its own first).
    """
    env = {"LAB_CLOCK_OFFSET": f"{offset:g}", "LAB_CLOCK_EXPECTED": f"{_time.time() + offset}"}
    lib = library()
    if lib is not None:
        env |= {
            "LD_PRELOAD": f"{lib} {os.environ.get('LD_PRELOAD', '')}".strip(),
            "FAKETIME": f"+{offset:g}",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "FAKETIME_CACHE_DURATION": "604800",  # read FAKETIME once, at start-up
        }
    return env


def clock_moved() -> bool:
    """In a process started with ``another_day``: did libfaketime move its clock?"""
    from lab.orders.wall import MOVED

    return MOVED


def move_names_if_needed(module: types.ModuleType) -> None:
    """In an ``another_day`` process whose clock did not move: move the module's clocks."""
    offset = float(os.environ.get("LAB_CLOCK_OFFSET") or 0)
    if offset and not clock_moved():
        shift_module(module, offset)


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
