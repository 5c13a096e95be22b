"""Lesson 6's panel: the N sweep with a chosen number of workers, and orders/s against processes."""

from __future__ import annotations

import threading
from html import escape
from typing import Any

from lab.draw.scaling_chart import plot_svg
from lab.draw.theme import ERROR
from lab.lessons.scaling import (
    LATENCY_MS,
    Point,
    Throughput,
    fan_out,
    orders_per_second,
    throughput_table,
)


class ScalingPanel:
    """Widgets for lesson 6: the N sweep with a chosen number of workers, and orders/s
    with a chosen number of worker processes.

    Runs go to a background thread, so the buttons stay live and no cell is held busy.
    """

    def __init__(self) -> None:
        import ipywidgets as widgets

        self.workers = widgets.ToggleButtons(options=[4, 16, 32], value=16, description="workers")
        self.largest = widgets.ToggleButtons(options=[16, 32, 64], value=32, description="N up to")
        self.processes = widgets.ToggleButtons(options=[1, 2, 4], value=2, description="processes")
        self.sweep_button = widgets.Button(
            description="Run the sweep",
            button_style="primary",
            icon="play",
            layout={"width": "200px"},
        )
        self.orders_button = widgets.Button(
            description="Measure orders/s", icon="tachometer", layout={"width": "200px"}
        )
        self.status = widgets.HTML()
        self.plot = widgets.HTML()
        self.table = widgets.HTML()
        self.sweep_button.on_click(lambda _: self._background(self._sweep))
        self.orders_button.on_click(lambda _: self._background(self._orders))
        self.done = threading.Event()
        self.done.set()
        self.points: dict[int, Point] = {}
        self.rows: list[Throughput] = []
        self.widget = widgets.VBox(
            [
                widgets.HTML("<b>Fan-out N wide</b> on the embedded store (one run per N):"),
                self.workers,
                self.largest,
                self.sweep_button,
                widgets.HTML("<b>Orders per second</b>: 20 orders at once on a server:"),
                self.processes,
                self.orders_button,
                self.status,
                self.plot,
                self.table,
            ]
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def _background(self, job: Any) -> None:
        if not self.done.is_set():
            self.status.value = "a measurement is running: wait for it"
            return
        self.done.clear()

        def run() -> None:
            try:
                job()
            except Exception as e:  # noqa: BLE001 - shown to the learner
                self.status.value = f"<span style='color:{ERROR}'>✗ {escape(str(e))}</span>"
            finally:
                self.done.set()

        threading.Thread(target=run, daemon=True).start()

    def _sweep(self) -> None:
        workers, ns = self.workers.value, [n for n in (4, 8, 16, 32, 64) if n <= self.largest.value]
        self.points = {}
        for n in ns:
            self.status.value = f"measuring N = {n} with {workers} workers…"
            wall, spread, fan_in = fan_out("embedded", workers, n)
            self.points[n] = Point("embedded", workers, n, wall, 1, spread, fan_in)
            self.plot.value = plot_svg(
                list(self.points.values()),
                f"embedded, {workers} workers: wall against N",
                LATENCY_MS,
            )
        last = self.points[ns[-1]]
        self.status.value = (
            f"✓ N = {last.n}: {last.wall_ms:.0f} ms, ideal {last.ideal_ms:.0f} ms "
            f"({last.overhead_per_branch_ms:.1f} ms per branch over it)"
        )

    def _orders(self) -> None:
        self.status.value = f"20 orders on {self.processes.value} worker process(es)…"
        self.rows = [r for r in self.rows if r.processes != self.processes.value]
        self.rows.append(orders_per_second(self.processes.value, orders=20))
        self.rows.sort(key=lambda t: t.processes)
        self.table.value = throughput_table(self.rows).data
        self.status.value = (
            f"✓ {self.rows[-1].per_second:.1f} orders/s with {self.rows[-1].processes} process(es)"
        )

    def wait(self, timeout: float = 120) -> None:
        if not self.done.wait(timeout):
            msg = f"the measurement did not finish within {timeout} s"
            raise TimeoutError(msg)
