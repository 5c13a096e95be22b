"""Lesson 7's panel: take a provider down (or make it hang), run an order, bring it back.

The outage is the provider's, for every order at once (``lab.orders.faults``): a new
order with the provider down is held like the last one, and **Provider back**
ends it for all of them. The workflow is either the production ``notify_all``
(no deadline: the order waits for as long as the outage lasts) or lesson 7's
``notify_all_by_deadline``. While an order is held the status line says, twice a
second, what the customer and the caller have.
"""

from __future__ import annotations

import threading
import time
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from exercises.deadlines import DEADLINE_S, notify_all_by_deadline
from lab.lessons.deadlines import delivery, status
from lab.orders.faults import Fault
from lab.orders.ledger import CHANNELS
from lab.widgets.panel import Panel, choice
from workflow import notify_all

if TYPE_CHECKING:
    from lab.orders.live import LiveTimeline
    from lab.orders.run import Run
    from lab.orders.runtime import Lab

PROVIDER = {"healthy": Fault(), "down for good": Fault(down=True), "hangs": Fault(hang=True)}
WORKFLOWS = {
    "notify_all (production, no deadline)": notify_all,
    f"notify_all_by_deadline ({DEADLINE_S:g} s)": notify_all_by_deadline,
}


class OutagePanel(Panel):
    def __init__(self, lab: Lab) -> None:
        super().__init__(lab)
        self.channel = choice("channel", list(CHANNELS), "push", "200px")
        self.provider = choice("provider", list(PROVIDER), "down for good", "260px")
        self.workflow = choice("workflow", list(WORKFLOWS), next(iter(WORKFLOWS)), "460px")
        self.back_button = widgets.Button(
            description="Provider back", icon="plug", layout={"width": "220px"}
        )
        self.back_button.on_click(lambda _: self._back())
        rows = [widgets.HBox([self.channel, self.provider]), self.workflow]
        head, buttons, *rest = self.widget.children
        self.widget.children = [
            head,
            *rows,
            widgets.HBox([*buttons.children, self.back_button]),
            *rest,
        ]

    def faults(self) -> dict[str, Fault]:
        fault = PROVIDER[self.provider.value]
        return {self.channel.value: fault} if fault != Fault() else {}

    def start_options(self) -> dict[str, Any]:
        return {"workflow": WORKFLOWS[self.workflow.value]}

    def _back(self) -> None:
        try:
            lifted = self.lab.provider_back(self.channel.value)
        except Exception as e:  # noqa: BLE001 - shown in the panel
            self._error(e)
            return
        self.provider.value = "healthy"
        run = self.last
        if run is not None and run.done and run.order_id in lifted:  # it ended at its deadline
            self.status.value = escape(
                f"{self.channel.value}'s provider is back: the call it held for "
                f"{run.workflow_id} answers now, after the order ended without it…"
            )
            threading.Thread(target=self._late, args=(run, self.channel.value), daemon=True).start()
            return
        n = len(lifted)
        self.status.value = escape(
            f"{self.channel.value}'s provider is back: {n} held order{'s' if n != 1 else ''} "
            "will finish on the next retry (a hung call answers now)"
            if n
            else f"{self.channel.value}'s provider had no outage"
        )

    def _late(self, run: Run, channel: str) -> None:
        """The held call's answer, once filed: in the ledger, on the chart and in the status."""
        how = delivery(run, channel, timeout=10)
        if run is not self.last:
            return
        self._show_ledger(run)
        self.chart.redraw()
        result = run.wait(0)
        self.status.value = escape(
            f"✓ {run.workflow_id}: {result['channels_notified']}/4 notified, wall {run.wall_ms} ms. "
            f"Then {how}."
        )

    def _follow(self, run: Run, chart: LiveTimeline, earlier: Run | None = None) -> None:
        held = time.monotonic() + 600  # a forgotten outage: stop saying so after ten minutes
        while not run.done and time.monotonic() < held:
            if run is self.last:
                self.status.value = "<br>".join(escape(line) for line in status(run).splitlines())
            self._show_ledger(run)
            time.sleep(0.5)
        if run.done:
            super()._follow(run, chart, earlier)
        elif run is self.last:
            self._done.set()

    def _more(self, run: Run) -> str:
        missed = (run.result or {}).get("missed")
        if not missed:
            return ""
        return "<br>" + "<br>".join(escape(f"{c} missed: {why}") for c, why in missed.items())
