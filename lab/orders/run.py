"""One run of a workflow for one order: its result, its attempts, its output."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lab.errors import Interrupted, OneLine
from lab.orders.checkpoints import checkpoint_table
from lab.orders.ledger import Attempt, Ledger

if TYPE_CHECKING:
    from resonate import Resonate


class RunTimeout(OneLine, TimeoutError):
    """The run did not finish in time; it goes on in the background."""


_newest: dict[int, Run] = {}  # id of a Resonate instance -> the last run started on it


@dataclass
class Run:
    """A workflow run for one order, started by ``Lab.run`` or ``Lab.start``."""

    workflow_id: str
    event: dict[str, Any]
    workflow: str  # the name the workflow function is registered under
    resonate: Resonate = field(repr=False)
    ledger: Ledger = field(repr=False)
    started: float = field(default_factory=time.time)
    ended: float | None = None
    future: Future = field(default_factory=Future, repr=False)
    # A re-submitted order: when the store first saw it, and when it completed
    # there (None: still in flight). A fresh run has origin == started.
    origin: float = 0.0
    stored_ms: int | None = None
    resubmitted: bool = False
    workflow_pid: int | None = None  # on a cluster: the worker process that claimed the workflow
    address: Any = field(default=None, repr=False)  # the server's ServerAddress; None: embedded
    function: Callable[..., Any] | None = field(default=None, repr=False)  # the workflow itself
    recording: threading.RLock = field(default_factory=threading.RLock, repr=False)
    notes: list[str] = field(
        default_factory=list
    )  # what happened around it, in words (a kill skipped)
    goes_on: str = "in the background"  # who runs it, in words, should a cell stop watching
    called: str = "lab"  # what the lessons call the lab that started it (``lab.last``)
    interrupted: bool = False  # ■ stopped the cell that waited for it

    def __post_init__(self) -> None:
        self.origin = self.origin or self.started
        _newest[id(self.resonate)] = self

    def note(self, line: str) -> None:
        """Add a line to ``notes`` once."""
        if line not in self.notes:
            self.notes.append(line)

    @property
    def label(self) -> str:
        """The workflow's name as the learner wrote it (``workflow`` is its registered name)."""
        return getattr(self.function, "__name__", None) or self.workflow

    @property
    def order_id(self) -> str:
        return self.event["order_id"]

    @property
    def done(self) -> bool:
        return self.future.done()

    def wait(self, timeout: float = 90) -> dict[str, Any]:
        """Block until the workflow returns, and return its result."""
        try:
            return self.future.result(timeout=timeout)
        except KeyboardInterrupt:  # ■: one line, not a traceback through concurrent.futures
            self.interrupted = True
            msg = (
                f"this cell stopped watching {self.workflow_id}; the order goes on "
                f"in the background ({self.goes_on}), and {self.called}.last is it"
            )
            raise Interrupted(msg) from None
        except TimeoutError:
            msg = f"{self.workflow_id} did not finish within {timeout:g} s; it is still running in the background"
            if self.address is not None:
                from lab.servers.inspector import LOST_WAKEUP, lost_wakeup

                if lost_wakeup(self.address, self.workflow_id):
                    msg = f"{self.workflow_id} did not finish within {timeout:g} s: {LOST_WAKEUP}"
            raise RunTimeout(msg) from None

    @property
    def result(self) -> dict[str, Any]:
        return self.wait()

    @property
    def wall_ms(self) -> int:
        """Measured from submitting the workflow to its result: when the SDK handed it over, or
        when the server finished the workflow if the SDK never heard (``_watch_server``)."""
        self.wait()
        assert self.ended is not None
        return round((self.ended - self.started) * 1000)

    @property
    def stored(self) -> bool:
        """True when the order had already completed: the store answered, nothing ran."""
        return self.stored_ms is not None

    def done_ms(self) -> tuple[int | None, str]:
        """When the order's run ended, in ms since ``origin``, and what to call it (None while running)."""
        if self.stored_ms is not None:
            return self.stored_ms, "done (the original run)"
        if self.ended is None:
            return None, ""
        return round((self.ended - self.origin) * 1000), "done"

    def new_attempts(self) -> list[Attempt]:
        """Channel attempts that started after this submission (a stored result has none)."""
        return [a for a in self.attempts() if a.started >= self.started]

    def attempts(self) -> list[Attempt]:
        return self.ledger.attempts(self.order_id)

    def stored_before(self, t: float) -> set[str] | None:
        """Channels whose durable promise the server had resolved before ``t``: checkpointed.

        None without a server to ask (the embedded store, lesson 8's runs).
        """
        if self.address is None:
            return None
        from lab.servers.inspector import promises

        try:
            found = promises(self.address, self.workflow_id)
        except OSError:
            return None
        prefix = f"{self.workflow_id}."
        return {
            p["id"][len(prefix) :]
            for p in found
            if p["id"].startswith(prefix) and p["completed_on"] and p["completed_on"] / 1000 < t
        }

    def _sent_before(self, t: float) -> set[str]:
        return {
            a.channel
            for a in self.attempts()
            if a.outcome == "sent" and a.ended is not None and a.ended < t
        }

    def rerun_after(self, t: float) -> set[str]:
        """Channels confirmed before ``t`` (a kill, a crash) that ran again after it.

        Confirmed: the server had stored the channel's result (its promise resolved); where
        no server can be asked, the ledger's sent attempt. The lessons' claim is none.
        """
        confirmed = self.stored_before(t)
        if confirmed is None:
            confirmed = self._sent_before(t)
        return {a.channel for a in self.attempts() if a.channel in confirmed and a.started >= t}

    def sent_unstored(self, t: float) -> set[str]:
        """Channels whose message was sent before ``t`` but whose result the server had not stored.

        When a worker dies in that moment the channel runs again and the customer gets it
        twice: at-least-once, the reason for lesson 4's idempotency key.
        """
        stored = self.stored_before(t)
        return set() if stored is None else self._sent_before(t) - stored

    def sends(self) -> dict[str, int]:
        return self.ledger.sends(self.order_id)

    def channel_ms(self) -> dict[str, int]:
        """Each channel's own duration, as it reported it in its result."""
        return {
            r["channel"]: r["duration_ms"] for r in self.result["results"] if "duration_ms" in r
        }

    def lines(self) -> list[str]:
        return self.ledger.lines(self.order_id)

    def summary(self) -> str:
        result = self.wait()
        if self.resubmitted:
            return self.resubmission_summary()
        per = self.channel_ms()
        return (
            f"{self.label} run of {self.workflow_id}: {result['channels_notified']}/4 channels notified\n"
            f"  wall time            {self.wall_ms:5d} ms\n"
            f"  slowest channel      {max(per.values()):5d} ms ({max(per, key=per.get)})\n"
            f"  sum of the channels  {sum(per.values()):5d} ms\n"
            + "".join(f"    {c:<6} {ms:4d} ms\n" for c, ms in per.items())
            + "".join(f"    {c:<6} missed: {why}\n" for c, why in result.get("missed", {}).items())
        )

    def resubmission_summary(self) -> str:
        """What a re-submission of the same order did, measured: never drawn as a run of its own."""
        self.wait()
        new = self.new_attempts()
        ran = (
            f"{len(new)} channel attempt(s) ran since"
            if new
            else "no channel ran, nothing was sent"
        )
        if self.stored:
            return (
                f"re-run of {self.workflow_id}: the stored result was returned in {self.wall_ms} ms — {ran}. "
                f"(The original run took {self.stored_ms} ms.)\n"
            )
        total, _ = self.done_ms()
        return (
            f"re-run of {self.workflow_id}: joined the run in flight and got its result {self.wall_ms} ms later — "
            f"the order ran once ({total} ms since it was first submitted).\n"
        )

    def earlier(self) -> str:
        """A line saying so when the last order of the same lab was interrupted unnamed."""
        newest = _newest.get(id(self.resonate))
        if newest is None or newest is self or not newest.interrupted:
            return ""
        return (
            f"(this is {self.workflow_id}; {newest.workflow_id}, started after it, was "
            f"interrupted before its cell could name it: {newest.called}.last is that order)"
        )

    def show(self) -> None:
        """Print the channels' own output, then the summary."""
        said = self.earlier()
        print("\n".join([said, *self.lines()] if said else self.lines()))
        print(self.summary())

    def checkpoints(self) -> Any:
        """The run's durable promises, read from the store."""
        from IPython.display import HTML

        return HTML(checkpoint_table(self.resonate, self.workflow_id, self.started))

    def ledger_table(self) -> Any:
        from html import escape

        from IPython.display import HTML

        said = self.earlier()
        note = f"<p>{escape(said)}</p>" if said else ""
        return HTML(note + self.ledger.table(self.order_id))

    def _record(
        self, value: Any = None, error: BaseException | None = None, ended: float | None = None
    ) -> None:
        """The workflow's result, or its own failure, handed to whoever waits for the run.

        The first to record wins: the SDK's handle, or the server's own record.
        """
        with self.recording:
            if self.future.done():
                return
            self.ended = ended or time.time()
            if error is not None:
                self.future.set_exception(error)
            else:
                self.future.set_result(value)

    def _finish(self, handle: Any) -> None:
        """Follow a resonate-sdk 0.6 handle on a thread of its own."""

        def wait() -> None:
            try:
                value = handle.result()
            except BaseException as e:  # noqa: BLE001 - the workflow's own failure
                self._record(error=e)
            else:
                self._record(value)

        threading.Thread(target=wait, name=f"wait {self.workflow_id}", daemon=True).start()
        if self.address is not None:
            from lab.orders.server_record import watch_server

            threading.Thread(
                target=watch_server,
                args=(self,),
                name=f"server record of {self.workflow_id}",
                daemon=True,
            ).start()

    async def follow(self, handle: Any) -> None:
        """Follow a resonate-sdk 0.8 handle on the event loop (lesson 8): ``run.task``."""
        try:
            value = await handle.result()
        except BaseException as e:  # noqa: BLE001 - the workflow's own failure
            self._record(error=e)
        else:
            self._record(value)
