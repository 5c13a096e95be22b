"""Lesson 4's panel: run an order across worker processes and SIGKILL one mid-run."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from lab.orders.faults import Fault
from lab.orders.ledger import CHANNELS
from lab.widgets.panel import AT_MS, Panel, choice

if TYPE_CHECKING:
    from lab.clusters.cluster import Cluster
    from lab.orders.run import Run


class KillPanel(Panel):
    """Panel for a ``Cluster``: run an order across worker processes and SIGKILL one mid-run.

    A run lasts about half a second, quicker than a hand on a mouse, so the
    kill can be scheduled (``kill … at N ms``), or the channels slowed so that
    **Kill now** lands while they are still in flight.
    """

    def __init__(self, cluster: Cluster) -> None:
        super().__init__(cluster)
        self.cluster = cluster
        targets = [("nobody", ""), ("the workflow's worker", "workflow")] + [
            (f"the worker running {c}", c) for c in CHANNELS
        ]
        self.target = widgets.Dropdown(
            options=targets, value="workflow", description="kill", layout={"width": "330px"}
        )
        self.at_ms = choice("at (ms)", AT_MS, 200, "200px")
        self.slow_ms = choice("+ms each", [0, 250, 500, 1000, 2000, 3000], 0, "200px")
        self.kill_button = widgets.Button(
            description="Kill now", button_style="danger", icon="times", layout={"width": "220px"}
        )
        self.spawn_button = widgets.Button(
            description="Start a worker", icon="plus", layout={"width": "220px"}
        )
        self.kill_button.on_click(lambda _: self._kill_now())
        self.spawn_button.on_click(lambda _: self._spawn())
        self.processes = widgets.HTML(cluster.table().data)
        help_text = widgets.HTML(
            "<b>kill</b> whom, <b>at</b> how many ms after the order is submitted (a run lasts ~0.5 s); "
            "<b>+ms each</b> slows every channel so that <b>Kill now</b> can land mid-run."
        )
        self.widget.children = [
            help_text,
            widgets.HBox([self.target, self.at_ms]),
            self.slow_ms,
            widgets.HBox([self.run_button, self.kill_button, self.spawn_button]),
            self.status,
            self.timeline,
            self.ledger,
            self.processes,
            self.output,
        ]

    def faults(self) -> dict[str, Fault]:
        return (
            {c: Fault(extra_ms=self.slow_ms.value) for c in CHANNELS} if self.slow_ms.value else {}
        )

    def start_options(self) -> dict[str, Any]:
        # The learner decides how many workers there are: no topping up behind their back.
        kill = {"kill": self.target.value, "at_ms": self.at_ms.value} if self.target.value else {}
        return {"top_up": False, **kill}

    def _kill_now(self) -> None:
        if self.last is None or self.last.done:
            self._error(
                ValueError(
                    "no order is in flight: press Run first (slow the channels to have time to click)"
                )
            )
            return
        self._kill(self.last, self.target.value or "workflow")

    def _kill(self, run: Run, target: str) -> None:
        """Kill the worker process behind ``target`` ("workflow" or a channel) of ``run``, if there is one now."""
        try:
            kill = self.cluster.kill_target(run, target)
            if kill is None:
                who = "the workflow's worker" if target == "workflow" else f"{target}'s worker"
                self.status.value += (
                    f"<br>no kill: {escape(who)} is not running now (done, or not started)"
                )
            else:
                self.status.value += "<br>" + escape(kill.describe(run.origin))
        except Exception as e:  # noqa: BLE001 - shown to the learner
            self._error(e)
        finally:
            self.processes.value = self.cluster.table().data

    def _spawn(self) -> None:
        try:
            self.cluster.start_worker()
        except Exception as e:  # noqa: BLE001 - shown to the learner
            self._error(e)
        self.processes.value = self.cluster.table().data

    def _more(self, run: Run) -> str:
        lines = [escape(line) for line in self.cluster.notes_of(run)]
        if self.cluster.kills_of(run):
            lines.append(
                f"done {self.cluster.recovery_ms(run)} ms after the kill (ttl {self.cluster.ttl} s)"
            )
        self.processes.value = self.cluster.table().data
        return "".join(f"<br>{line}" for line in lines)
