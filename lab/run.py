"""One run of a workflow for one order: its result, its attempts, its output."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lab.checkpoints import checkpoint_table
from lab.ledger import Attempt, Ledger

if TYPE_CHECKING:
    from resonate import Resonate


class RunTimeout(TimeoutError):
    """The run did not finish in time; it goes on in the background."""


@dataclass
class Run:
    """A workflow run for one order, started by ``Lab.run`` or ``Lab.start``."""

    workflow_id: str
    event: dict[str, Any]
    workflow: str
    resonate: Resonate = field(repr=False)
    ledger: Ledger = field(repr=False)
    started: float = field(default_factory=time.time)
    ended: float | None = None
    future: Future = field(default_factory=Future, repr=False)

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
        except TimeoutError:
            msg = f"{self.workflow_id} did not finish within {timeout:.0f} s; it is still running in the background"
            raise RunTimeout(msg) from None

    @property
    def result(self) -> dict[str, Any]:
        return self.wait()

    @property
    def wall_ms(self) -> int:
        """Measured from submitting the workflow to receiving its result."""
        self.wait()
        assert self.ended is not None
        return round((self.ended - self.started) * 1000)

    def attempts(self) -> list[Attempt]:
        return self.ledger.attempts(self.order_id)

    def sends(self) -> dict[str, int]:
        return self.ledger.sends(self.order_id)

    def channel_ms(self) -> dict[str, int]:
        """Each channel's own duration, as it reported it in its result."""
        return {r["channel"]: r["duration_ms"] for r in self.result["results"]}

    def lines(self) -> list[str]:
        return self.ledger.lines(self.order_id)

    def summary(self) -> str:
        result = self.wait()
        per = self.channel_ms()
        return (
            f"{self.workflow} run of {self.workflow_id}: {result['channels_notified']}/4 channels notified\n"
            f"  wall time            {self.wall_ms:5d} ms\n"
            f"  slowest channel      {max(per.values()):5d} ms ({max(per, key=per.get)})\n"
            f"  sum of the channels  {sum(per.values()):5d} ms\n"
            + "".join(f"    {c:<6} {ms:4d} ms\n" for c, ms in per.items())
        )

    def show(self) -> None:
        """Print the channels' own output, then the summary."""
        print("\n".join(self.lines()))
        print(self.summary())

    def checkpoints(self) -> Any:
        """The run's durable promises, read from the store."""
        from IPython.display import HTML

        return HTML(checkpoint_table(self.resonate, self.workflow_id, self.started))

    def ledger_table(self) -> Any:
        from IPython.display import HTML

        return HTML(self.ledger.table(self.order_id))

    def _finish(self, handle: Any) -> None:
        def wait() -> None:
            try:
                value = handle.result()
            except BaseException as e:  # the workflow's own failure, shown to the learner
                self.ended = time.time()
                self.future.set_exception(e)
            else:
                self.ended = time.time()
                self.future.set_result(value)

        threading.Thread(target=wait, name=f"wait {self.workflow_id}", daemon=True).start()
