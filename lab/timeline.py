"""A live per-attempt Gantt chart, drawn as plain SVG.

SVG in an ``ipywidgets.HTML`` is the whole renderer: no plotting library to
install, nothing that depends on the front end's JavaScript versions, the same
picture in JupyterLab, in a headless browser and in a saved notebook, and
attributes (``data-channel``, ``data-attempt``, ``data-outcome``) that the
browser test can query. A background thread redraws it every 100 ms until the
run ends, so the bars grow while the channels run.

Colours are the Okabe–Ito palette (safe for the common colour-vision
deficiencies); a failed attempt is also hatched and marked ✗, so colour is
never the only cue.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from html import escape
from typing import TYPE_CHECKING

from lab.ledger import CHANNELS, Attempt

if TYPE_CHECKING:
    from lab.run import Run

COLOURS = {"email": "#0072B2", "sms": "#E69F00", "slack": "#009E73", "push": "#CC79A7"}
FAILED = "#D55E00"
WIDTH, LANE, LEFT, TOP = 760, 30, 110, 28


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
    title: str = "",
) -> str:
    """The timeline of ``attempts`` relative to ``t0``, in milliseconds."""
    lanes = list(lanes) + sorted({lane_of(a) for a in attempts} - set(lanes))
    span = max(500.0, (now - t0) * 1000, total_ms or 0)
    step = _nice_step(span)
    span = math.ceil(span / step) * step
    plot_w = WIDTH - LEFT - 20
    height = TOP + LANE * len(lanes) + 40

    def x(ms: float) -> float:
        return LEFT + plot_w * max(0.0, ms) / span

    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' class='lab-timeline' width='{WIDTH}' height='{height}' "
        f"font-family='sans-serif' font-size='11'>",
        "<defs><pattern id='hatch' width='6' height='6' patternUnits='userSpaceOnUse' patternTransform='rotate(45)'>"
        f"<rect width='6' height='6' fill='{FAILED}' opacity='0.35'/><line x1='0' y1='0' x2='0' y2='6' stroke='{FAILED}' stroke-width='3'/>"
        "</pattern></defs>",
        f"<text x='4' y='14' font-weight='bold'>{escape(title)}</text>",
    ]
    for ms in range(0, int(span) + 1, step):
        out.append(f"<line x1='{x(ms):.1f}' y1='{TOP - 4}' x2='{x(ms):.1f}' y2='{TOP + LANE * len(lanes)}' stroke='#ddd'/>")
        out.append(f"<text x='{x(ms):.1f}' y='{TOP + LANE * len(lanes) + 14}' text-anchor='middle' fill='#555'>{ms}</text>")
    out.append(f"<text x='{LEFT + plot_w}' y='{TOP + LANE * len(lanes) + 28}' text-anchor='end' fill='#555'>ms since the run was submitted</text>")
    for i, lane in enumerate(lanes):
        out.append(f"<text x='{LEFT - 8}' y='{TOP + i * LANE + LANE / 2 + 4}' text-anchor='end'>{escape(lane)}</text>")

    last_end: dict[str, float] = {}
    for a in attempts:
        i = lanes.index(lane_of(a))
        start_ms = (a.started - t0) * 1000
        end_ms = ((a.ended or now) - t0) * 1000
        y = TOP + i * LANE + 5
        x0, x1 = x(start_ms), max(x(end_ms), x(start_ms) + 2)
        colour = COLOURS.get(a.channel, "#999")
        fill = {"failed": "url(#hatch)", "running": colour}.get(a.outcome, colour)
        extra = " opacity='0.45' stroke-dasharray='3 2'" if a.outcome == "running" else ""
        stroke = FAILED if a.outcome == "failed" else colour
        mark = "✗ " if a.outcome == "failed" else ("… " if a.outcome == "running" else "")
        label = f"{mark}#{a.attempt} {round(end_ms - start_ms)} ms"
        out.append(
            f"<rect class='bar' data-channel='{a.channel}' data-attempt='{a.attempt}' data-outcome='{a.outcome}' data-pid='{a.pid}' "
            f"x='{x0:.1f}' y='{y}' width='{x1 - x0:.1f}' height='{LANE - 10}' fill='{fill}' stroke='{stroke}'{extra}>"
            f"<title>{escape(a.channel)} attempt {a.attempt} (pid {a.pid}): {a.outcome} {escape(a.error or '')}</title></rect>"
        )
        inside = x1 - x0 > 7 * len(label)
        tx, anchor, tcol = ((x0 + x1) / 2, "middle", "white") if inside and a.outcome == "sent" else (x1 + 4, "start", "#222")
        out.append(f"<text x='{tx:.1f}' y='{y + LANE / 2}' text-anchor='{anchor}' fill='{tcol}'>{escape(label)}</text>")
        key = lane_of(a) + a.channel
        if key in last_end and start_ms - last_end[key] > 50:
            gap_x = (x(last_end[key]) + x0) / 2
            out.append(
                f"<text x='{gap_x:.1f}' y='{y - 1}' text-anchor='middle' fill='#555' font-style='italic'>"
                f"retry after {round(start_ms - last_end[key])} ms</text>"
            )
        last_end[key] = end_ms
    if total_ms is not None:
        out.append(
            f"<line x1='{x(total_ms):.1f}' y1='{TOP - 6}' x2='{x(total_ms):.1f}' y2='{TOP + LANE * len(lanes)}' stroke='#000' stroke-dasharray='4 3'/>"
            f"<text class='total' x='{x(total_ms) - 4:.1f}' y='{TOP - 8}' text-anchor='end'>done: {total_ms} ms</text>"
        )
    out.append("</svg>")
    return "".join(out)


def legend() -> str:
    items = [f"<span style='color:{c}'>■</span> {escape(ch)}" for ch, c in COLOURS.items()]
    items.append(f"<span style='color:{FAILED}'>▨</span> failed attempt (✗)")
    items.append("#N: attempt N · faded, dashed: still running")
    return "<div style='font-size:11px;font-family:sans-serif'>" + " &nbsp; ".join(items) + "</div>"


class LiveTimeline:
    """An HTML widget that redraws ``run``'s timeline until the run is done."""

    def __init__(self, run: Run, *, lanes: str = "channel", title: str | None = None) -> None:
        import ipywidgets as widgets

        self.run = run
        self.lanes = lanes
        self.title = title if title is not None else f"{run.workflow} — {run.workflow_id}"
        self.widget = widgets.HTML(self.render())
        threading.Thread(target=self._follow, name=f"timeline {run.workflow_id}", daemon=True).start()

    def render(self) -> str:
        attempts = self.run.attempts()
        if self.lanes == "worker":
            lane_of: Callable[[Attempt], str] = lambda a: f"pid {a.pid}"  # noqa: E731
            lanes: Sequence[str] = ()
        else:
            lane_of, lanes = (lambda a: a.channel), CHANNELS
        now = self.run.ended or time.time()
        total = round((self.run.ended - self.run.started) * 1000) if self.run.ended else None
        svg = render_svg(attempts, self.run.started, now, lane_of=lane_of, lanes=lanes, total_ms=total, title=self.title)
        return svg + legend()

    def _follow(self) -> None:
        while not self.run.done:
            time.sleep(0.1)
            self.widget.value = self.render()
        self.widget.value = self.render()
