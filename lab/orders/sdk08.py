"""Lesson 8: the same order on today's SDK, resonate-sdk 0.8 (asyncio), measured like the others.

This module runs in the kernel "Python 3 (resonate-sdk 0.8)" (``scripts/sdk08.sh``),
never beside 0.6. Three things make the 0.6 lessons' instruments work there:

- ``channels.py`` is imported unchanged. It says ``from resonate import Context``,
  0.6's import path; 0.8 keeps ``Context`` in ``resonate.context`` and exports
  nothing from the package, so the package is given that one name first.
- Each channel attempt is filed in the send ledger where it runs. 0.6 looks every
  function up in a registry the lab can answer (``lab.orders.observe``); 0.8 calls the
  function object a workflow hands to ``ctx.run`` directly. So the four
  ``channels.send_*`` are replaced, in this kernel, by observed wrappers — a
  synchronous channel stays synchronous, so 0.8 runs it exactly as it would run
  the original (on its event loop: that is the pitfall lesson 8 measures).
- ``Lab08.run`` is ``await``-ed in a cell: the kernel's own event loop runs 0.8's
  tasks, and the live timeline (``lab.draw.timeline``) draws from the ledger.

The store is 0.8's in-process local connection (``Resonate()`` with no URL).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import inspect
import time
from collections.abc import Callable
from typing import Any

import resonate
from resonate.context import Context
from resonate.resonate import Resonate

if not hasattr(resonate, "Context"):
    resonate.Context = Context  # for channels.py's `from resonate import Context`

import channels
from lab.errors import OneLine, Refused
from lab.orders.capture import BUFFER, Capture, failure_line, install_stdout_router
from lab.orders.collector import settle
from lab.orders.events import new_event, validate_event
from lab.orders.ledger import CHANNELS, Ledger
from lab.orders.run import Run, RunTimeout
from lab.paths import default_ledger_path

_observed: dict[str, Callable[..., Any]] = {}
ON_LOOP: set[tuple[str, str]] = set()  # (order, channel): a synchronous channel ran on a loop


def _mark(e: BaseException, channel: str) -> None:
    """A channel's own failure, for the SDK to retry: ``lab.checks.escapes`` does not report it."""
    try:
        e._lab_channel = channel  # type: ignore[attr-defined]
    except AttributeError:  # an exception type without a __dict__: left unmarked
        pass


def _on_a_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # a worker thread (asyncio.to_thread): no loop here
        return False
    return True


_ledgers: dict[str, Ledger] = {}


def _ledger() -> Ledger:
    """The ledger at the run folder's default path (``$LAB_RUN_DIR``), opened once."""
    path = str(default_ledger_path())
    if path not in _ledgers:
        _ledgers[path] = Ledger(path)
    return _ledgers[path]


def _wrap(channel: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, filing each call as an attempt of ``channel`` in the ledger; sync stays sync."""

    def begin(event: dict[str, Any]) -> tuple[int, int, Capture, Any]:
        ledger = _ledger()
        order = event["order_id"]
        attempt = ledger.next_attempt(order, channel)
        row = ledger.begin(order, channel, attempt)
        install_stdout_router()
        capture = Capture()
        return attempt, row, capture, BUFFER.set(capture)

    def end(row: int, capture: Capture, token: Any, attempt: int, error: str | None) -> None:
        ledger = _ledger()
        BUFFER.reset(token)
        lines = capture.close()
        if error:
            lines.append(failure_line(channel, attempt, error))
        ledger.end(row, "failed" if error else "sent", error, lines)

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def observed_async(ctx: Any, event: dict[str, Any], *args: Any) -> Any:
            attempt, row, capture, token = begin(event)
            try:
                result = await fn(ctx, event, *args)
            except Exception as e:
                end(row, capture, token, attempt, f"{type(e).__name__}: {e}")
                _mark(e, channel)
                raise
            end(row, capture, token, attempt, None)
            return result

        return observed_async

    @functools.wraps(fn)
    def observed(ctx: Any, event: dict[str, Any], *args: Any) -> Any:
        attempt, row, capture, token = begin(event)
        if _on_a_loop():  # 0.8 called it on its event loop: nothing else ran meanwhile
            ON_LOOP.add((event["order_id"], channel))
        try:
            result = fn(ctx, event, *args)
        except Exception as e:
            end(row, capture, token, attempt, f"{type(e).__name__}: {e}")
            _mark(e, channel)
            raise
        end(row, capture, token, attempt, None)
        return result

    return observed


def observe_channels() -> None:
    """Replace ``channels.send_*`` in this kernel by observed wrappers (once, on import)."""
    for channel in CHANNELS:
        name = f"send_{channel}"
        if name not in _observed:
            _observed[name] = getattr(channels, name)
            setattr(channels, name, _wrap(channel, _observed[name]))


observe_channels()  # before any lesson cell imports a channel from channels.py


class Interrupted(OneLine, asyncio.CancelledError):
    """■ pressed while a cell awaited a run: the cell stops watching; the run goes on."""


async def until_done(run: Run, timeout: float, goes_on: str = "in this kernel") -> None:
    """Wait for ``run.task``, waking every 50 ms, and say in one line what ■ or a timeout left.

    ipykernel's ■ cancels an awaiting cell's task without waking the event loop: a cell
    parked in one long ``await`` would ignore the button until that await ended.
    """
    deadline = time.monotonic() + timeout
    try:
        while not run.task.done():
            if time.monotonic() > deadline:
                msg = f"{run.workflow_id} did not finish within {timeout:g} s; it goes on {goes_on}"
                raise RunTimeout(msg)
            await asyncio.sleep(0.05)
    except asyncio.CancelledError:
        msg = f"{run.workflow_id} goes on {goes_on}, without this cell watching it"
        raise Interrupted(msg) from None


def workflow_name(fn: Callable[..., Any]) -> str:
    """Named after its source: an edited cell registers anew, the same cell reuses its name."""
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        source = f"{fn.__qualname__}@{id(fn)}"
    return f"{fn.__name__}-{hashlib.sha1(source.encode()).hexdigest()[:8]}"


class Lab08:
    """Runs a resonate-sdk 0.8 workflow on the local connection, observed and drawn live."""

    def __init__(self) -> None:
        self.ledger = _ledger()
        self.resonate = Resonate(max_concurrent_tasks=32)  # the local connection: no server
        self._names: set[str] = set()

    def _register(self, workflow: Callable[..., Any], version: int, name: str | None) -> str:
        if not inspect.iscoroutinefunction(workflow):
            msg = (
                "workflow must be an `async def` function (resonate-sdk 0.8), like "
                f"async def notify(ctx, event, simulate_crash): ... — got {workflow!r}"
            )
            raise Refused(msg)
        name = name or workflow_name(workflow)
        if (name, version) not in self._names:
            self.resonate.register(workflow, name=name, version=version)
            self._names.add((name, version))
        return name

    def start(
        self,
        workflow: Callable[..., Any],
        event: dict[str, Any] | None = None,
        *,
        simulate_crash: bool = False,
        name: str | None = None,
        version: int = 1,
    ) -> Run:
        """Submit an order and return at once (``await lab.wait(run)`` waits for it).

        ``name`` and ``version`` register the workflow as that version of that name:
        0.8's way to change a workflow while orders of the old one are in flight.
        """
        name = self._register(workflow, version, name)
        event = new_event() if event is None else validate_event(event)
        if not isinstance(simulate_crash, bool):
            msg = f"simulate_crash must be True or False, got {simulate_crash!r}"
            raise Refused(msg)
        settle()
        run = Run(f"notify/{event['order_id']}", event, name, self.resonate, self.ledger)
        run.function = workflow
        handle = self.resonate.options(version=version).run(
            run.workflow_id, name, event, simulate_crash
        )
        run.task = asyncio.get_running_loop().create_task(run.follow(handle))
        return run

    async def run(
        self,
        workflow: Callable[..., Any],
        event: dict[str, Any] | None = None,
        *,
        simulate_crash: bool = False,
        live: bool = True,
        title: str | None = None,
        axis_ms: float | None = None,
        timeout: float = 30,
    ) -> Run:
        """Submit an order, draw its live timeline, and wait for its result."""
        from lab.orders.live import LiveTimeline

        run = self.start(workflow, event, simulate_crash=simulate_crash)
        chart = LiveTimeline(run, title=title, axis_ms=axis_ms) if live else None
        if chart is not None:
            chart.show()
        await self.wait(run, timeout)
        if chart is not None:
            await asyncio.to_thread(chart.drawn.wait, 5)
        return run

    async def wait(self, run: Run, timeout: float = 30) -> dict[str, Any]:
        """The run's result (its failure raised here); every channel call must have been observed."""
        await until_done(run, timeout)
        result = run.wait(0)
        if not run.attempts():
            msg = (
                "no channel call reached the send ledger: import lab.orders.sdk08 before "
                "`from channels import ...`, so the channels are observed"
            )
            raise Refused(msg)
        return result

    async def promises(self, run: Run) -> list[tuple[str, str, str]]:
        """The order's child promises, read from 0.8's store: (id, state, value), in id order."""
        found = []
        for seq in range(1, 33):
            try:
                p = await self.resonate.promises.get(f"{run.workflow_id}:{seq}")
            except Exception:  # noqa: BLE001 - no promise at that position: the last was before it
                break
            found.append((p.id, str(p.state), str(p.value.data) if p.value else ""))
        return found
