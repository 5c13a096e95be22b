"""A live per-attempt Gantt chart, drawn as plain SVG.

SVG in an ``ipywidgets.HTML`` is the whole renderer: no plotting library to
install, nothing that depends on the front end's JavaScript versions, the same
picture in JupyterLab, in a headless browser and in a saved notebook, and
attributes (``data-channel``, ``data-attempt``, ``data-outcome``, ``data-ms``)
that the browser test can query. A background thread redraws it every 100 ms
until the run ends, so the bars grow while the channels run.

The chart has a ``viewBox`` and takes the width it is given, so it fits a
laptop or a projector. Each chart names its hatch pattern with its own id:
``url(#hatch)`` would resolve to the first chart on the page, hidden or not.

Colours are the Okabe–Ito palette (safe for the common colour-vision
deficiencies); a failed attempt is also hatched and marked ✗, so colour is
never the only cue.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from lab.ledger import CHANNELS, Attempt

if TYPE_CHECKING:
    from lab.run import Run

COLOURS = {"email": "#0072B2", "sms": "#E69F00", "slack": "#009E73", "push": "#CC79A7"}
FAILED = "#D55E00"
WIDTH, LANE, LEFT, TOP = 760, 30, 110, 40  # TOP: the title, then a row for marks and "done"
_chart_ids = itertools.count(1)


def retry_delay_s(failed_attempt: int) -> float:
    """The SDK's default retry policy (exponential: 2 s after attempt 1, then 4 s, 8 s, … at most 30 s)."""
    return min(2.0**failed_attempt, 30.0)


@dataclass(frozen=True)
class Mark:
    """A moment drawn across the chart: a worker killed, a server restarted."""

    t: float  # epoch seconds
    label: str
    colour: str = FAILED
    until: float | None = None  # a span (a server outage): shaded from t to here


def _nice_step(span_ms: float) -> int:
    raw = span_ms / 8
    magnitude = 10 ** math.floor(math.log10(max(raw, 1)))
    return int(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw))


def render_svg(
    attempts: Sequence[Attempt],
    t0: float,
    now: float,
    *,
    lane_of: Callable[[Attempt], str] = lambda a: a.channel,
    lanes: Sequence[str] = CHANNELS,
    total_ms: int | None = None,
    total_label: str = "done",
    title: str = "",
    axis_ms: float = 500,
    running: bool = False,
    marks: Sequence[Mark] = (),
    chart_id: str | None = None,
) -> str:
    """The timeline of ``attempts`` relative to ``t0``, in milliseconds.

    ``axis_ms`` is the least span of the axis (charts meant to be compared
    share one); ``running`` draws the retries the SDK has scheduled.
    """
    cid = chart_id or f"t{next(_chart_ids)}"
    lanes = list(lanes) + sorted({lane_of(a) for a in attempts} - set(lanes))
    span = max(axis_ms, (now - t0) * 1000, total_ms or 0, *((m.t - t0) * 1000 for m in marks))
    step = _nice_step(span)
    span = math.ceil(span / step) * step
    plot_w = WIDTH - LEFT - 20
    bottom = TOP + LANE * len(lanes)
    height = bottom + 40

    def x(ms: float) -> float:
        return LEFT + plot_w * max(0.0, ms) / span

    def mid(lane: int) -> float:
        return TOP + lane * LANE + LANE / 2 + 4

    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' class='lab-timeline' viewBox='0 0 {WIDTH} {height}' "
        f"width='100%' style='max-width:{WIDTH}px;height:auto;display:block' preserveAspectRatio='xMinYMin meet' "
        f"data-span-ms='{span}' data-plot-width='{plot_w}' font-family='sans-serif' font-size='11'>",
        f"<defs><pattern id='hatch-{cid}' width='6' height='6' patternUnits='userSpaceOnUse' "
        "patternTransform='rotate(45)'>"
        f"<rect width='6' height='6' fill='{FAILED}' opacity='0.35'/><line x1='0' y1='0' "
        f"x2='0' y2='6' stroke='{FAILED}' stroke-width='3'/>"
        "</pattern></defs>",
        f"<text x='4' y='14' font-weight='bold'>{escape(title)}</text>",
    ]
    for ms in range(0, int(span) + 1, step):
        out.append(
            f"<line x1='{x(ms):.1f}' y1='{TOP - 4}' x2='{x(ms):.1f}' y2='{bottom}' stroke='#ddd'/>"
        )
        out.append(
            f"<text x='{x(ms):.1f}' y='{bottom + 14}' text-anchor='middle' fill='#555'>{ms}</text>"
        )
    out.append(
        f"<text x='{LEFT + plot_w}' y='{bottom + 28}' text-anchor='end' fill='#555'>ms since "
        "the order was submitted</text>"
    )
    for i, lane in enumerate(lanes):
        out.append(f"<text x='{LEFT - 8}' y='{mid(i)}' text-anchor='end'>{escape(lane)}</text>")

    last: dict[tuple[str, str], Attempt] = {}
    for a in attempts:
        i = lanes.index(lane_of(a))
        start_ms = (a.started - t0) * 1000
        end_ms = ((a.ended or now) - t0) * 1000
        y = TOP + i * LANE + 5
        x0, x1 = x(start_ms), max(x(end_ms), x(start_ms) + 2)
        colour = COLOURS.get(a.channel, "#999")
        broken = a.outcome in ("failed", "killed")
        fill = f"url(#hatch-{cid})" if broken else colour
        extra = " opacity='0.45' stroke-dasharray='3 2'" if a.outcome == "running" else ""
        stroke = FAILED if broken else colour
        mark = {"failed": "✗ ", "killed": "✗ killed ", "running": "… "}.get(a.outcome, "")
        name = "" if a.channel in lane_of(a) else f"{a.channel} "
        label = f"{mark}{name}#{a.attempt} {round(end_ms - start_ms)} ms"
        out.append(
            f"<rect class='bar' data-channel='{a.channel}' data-attempt='{a.attempt}' "
            f"data-outcome='{a.outcome}' data-pid='{a.pid}' "
            f"data-ms='{max(0.0, end_ms - start_ms):.0f}' x='{x0:.1f}' y='{y}' "
            f"width='{x1 - x0:.1f}' height='{LANE - 10}' "
            f"fill='{fill}' stroke='{stroke}'{extra}>"
            f"<title>{escape(a.channel)} attempt {a.attempt} (pid {a.pid}): {a.outcome} "
            f"{escape(a.error or '')}</title></rect>"
        )
        inside = x1 - x0 > 7 * len(label)
        tx, anchor, tcol = (
            ((x0 + x1) / 2, "middle", "white")
            if inside and a.outcome == "sent"
            else (x1 + 4, "start", "#222")
        )
        out.append(
            f"<text x='{tx:.1f}' y='{mid(i)}' text-anchor='{anchor}' fill='{tcol}'>{escape(label)}</text>"
        )
        key = (lane_of(a), a.channel)
        before = last.get(key)
        if before is not None and before.ended is not None:
            gap_ms = (a.started - before.ended) * 1000
            if gap_ms > 50:
                out.append(
                    f"<text class='retry-gap' data-channel='{a.channel}' x='{x0 - 4:.1f}' "
                    f"y='{mid(i)}' text-anchor='end' "
                    f"fill='#555' font-style='italic'>retry after {round(gap_ms)} ms</text>"
                )
        last[key] = a

    if running:  # a failed attempt with nothing after it: the SDK has scheduled a retry
        for (lane, channel), a in last.items():
            if a.outcome != "failed" or a.ended is None:
                continue
            i = lanes.index(lane)
            due = a.ended + retry_delay_s(a.attempt)
            left = max(0.0, due - now)
            xa, xn = x((a.ended - t0) * 1000), x((now - t0) * 1000)
            out.append(
                f"<g class='retry-wait' data-channel='{channel}' data-attempt='{a.attempt + 1}'>"
                f"<line x1='{xa:.1f}' y1='{mid(i) - 4}' x2='{max(xn, xa + 2):.1f}' "
                f"y2='{mid(i) - 4}' stroke='{FAILED}' stroke-dasharray='2 3'/>"
                f"<text x='{max(xn, xa + 2):.1f}' y='{mid(i) + 8}' text-anchor='end' "
                f"fill='{FAILED}' font-style='italic'>"
                f"↻ retry #{a.attempt + 1} due in {left:.1f} s</text></g>"
            )
    for m in marks:
        mx = x((m.t - t0) * 1000)
        if m.until is not None:
            ux = x((min(m.until, now) - t0) * 1000)
            out.append(
                f"<rect class='outage' x='{mx:.1f}' y='{TOP - 4}' "
                f"width='{max(ux - mx, 1):.1f}' height='{bottom - TOP + 4}' "
                f"fill='{m.colour}' fill-opacity='0.12' data-ms='{round((min(m.until, now) - m.t) * 1000)}'/>"
            )
        out.append(
            f"<g class='mark'><line x1='{mx:.1f}' y1='{TOP - 4}' x2='{mx:.1f}' y2='{bottom}' "
            f"stroke='{m.colour}' stroke-width='2'/>"
            f"<text x='{mx + 3:.1f}' y='{TOP - 6}' fill='{m.colour}' font-weight='bold'>{escape(m.label)}</text></g>"
        )
    if total_ms is not None:
        out.append(
            f"<line class='done' x1='{x(total_ms):.1f}' y1='{TOP - 6}' x2='{x(total_ms):.1f}' "
            f"y2='{bottom}' stroke='#000' stroke-dasharray='4 3'/>"
            f"<text class='total' x='{x(total_ms) - 4:.1f}' y='{TOP - 8}' "
            f"text-anchor='end'>{escape(total_label)}: {total_ms} ms</text>"
        )
    out.append("</svg>")
    return "".join(out)


def legend() -> str:
    items = [f"<span style='color:{c}'>■</span> {escape(ch)}" for ch, c in COLOURS.items()]
    items.append(f"<span style='color:{FAILED}'>▨</span> failed attempt (✗)")
    items.append("#N: attempt N · faded, dashed: still running · ↻ a retry the SDK has scheduled")
    items.append("bar labels: the harness's clock around each attempt")
    return "<div style='font-size:11px;font-family:sans-serif'>" + " &nbsp; ".join(items) + "</div>"


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
        axis_ms: float = 500,
        marks: Callable[[], Sequence[Mark]] = tuple,
    ) -> None:
        import ipywidgets as widgets

        self.run = run
        self.lanes = lanes
        self.title = title if title is not None else f"{run.label} — {run.workflow_id}"
        self.axis_ms = axis_ms
        self.marks = marks
        self.chart_id = f"t{next(_chart_ids)}"
        self.drawn = threading.Event()  # set once the finished run has been drawn
        self.widget = widgets.HTML(self.render(), layout={"width": "100%"})
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
