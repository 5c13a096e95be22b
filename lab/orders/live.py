"""A chart that follows a run: the timeline redrawn every 100 ms until the order is done.

The drawing itself is ``lab.draw.timeline``; this widget only reads the run's
attempts from the ledger and hands them down. Time 0 is when the order was first
submitted (``run.origin``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from lab.draw.timeline import Attempt, Mark, new_chart_id, render_svg
from lab.draw.timeline_words import legend
from lab.orders.ledger import CHANNELS

if TYPE_CHECKING:
    from lab.orders.run import Run


class LiveTimeline:
    """An HTML widget that redraws ``run``'s timeline until the run is done.

    Time 0 is when the order was first submitted (``run.origin``): a re-run of
    an order is drawn on the original run's clock, never as a run of its own.
    """

    def __init__(
        self,
        run: Run,
        *,
        lanes: str = "channel",
        title: str | None = None,
        axis_ms: float | None = None,
        marks: Callable[[], Sequence[Mark]] = tuple,
    ) -> None:
        import ipywidgets as widgets

        self.run = run
        self.lanes = lanes
        self.title = title if title is not None else f"{run.label} — {run.workflow_id}"
        self.axis_ms = axis_ms
        self.marks = marks
        self.chart_id = new_chart_id()
        self.drawn = threading.Event()  # set once the finished run has been drawn
        # No margin: a 100%-wide widget with the default 2 px margins overflows its output by 4 px.
        self.widget = widgets.HTML(self.render(), layout={"width": "100%", "margin": "0"})
        self._static: Any = None  # a display handle, when the chart is shown without widgets
        threading.Thread(
            target=self._follow, name=f"timeline {run.workflow_id}", daemon=True
        ).start()

    def show(self) -> None:
        """Display the chart: a live widget, or with ``LAB_STATIC=1`` (the static site) plain HTML
        that is replaced by the finished chart, so it renders with no kernel and no widget state."""
        from IPython.display import HTML, display

        if os.environ.get("LAB_STATIC"):
            self._static = display(HTML(self.widget.value), display_id=True)
        else:
            display(self.widget)

    def render(self) -> str:
        run = self.run
        attempts = run.attempts()
        if (
            self.lanes == "worker"
        ):  # a lane per process and channel, so bars on one process never overlap
            lane_of: Callable[[Attempt], str] = lambda a: f"pid {a.pid} · {a.channel}"  # noqa: E731
            pairs = sorted(
                {
                    (a.pid, CHANNELS.index(a.channel), a.channel)
                    for a in attempts
                    if a.channel in CHANNELS
                }
            )
            lanes: Sequence[str] = [f"pid {pid} · {channel}" for pid, _, channel in pairs]
        else:
            lane_of, lanes = (lambda a: a.channel), CHANNELS
        total, label = run.done_ms()
        now = time.time() if total is None else run.origin + total / 1000
        now = max([now, *(a.ended or a.started for a in attempts)])
        svg = render_svg(
            attempts,
            run.origin,
            now,
            lane_of=lane_of,
            lanes=lanes,
            total_ms=total,
            total_label=label,
            title=self.title,
            axis_ms=self.axis_ms,
            running=not run.done,
            chart_id=self.chart_id,
            marks=[m for m in self.marks() if m.t >= run.origin],
        )
        return svg + legend()

    def redraw(self) -> None:
        """Draw the run again: a call that answered after the order ended (lesson 7) shows."""
        self.widget.value = self.render()

    def _follow(self, give_up_s: float = 300) -> None:
        deadline = (
            time.monotonic() + give_up_s
        )  # an order that never finishes (lesson 5's in-memory server)
        while not self.run.done and time.monotonic() < deadline:
            time.sleep(0.1)
            self.widget.value = self.render()
        self.widget.value = self.render()
        if self._static is not None:
            from IPython.display import HTML

            self._static.update(HTML(self.widget.value))
        self.drawn.set()
