"""A per-attempt Gantt chart, drawn as plain SVG from a list of attempts.

SVG in an ``ipywidgets.HTML`` is the whole renderer: no plotting library to
install, nothing that depends on the front end's JavaScript versions, the same
picture in JupyterLab, in a headless browser and in a saved notebook, and
attributes (``data-channel``, ``data-attempt``, ``data-outcome``, ``data-ms``)
that the browser test can query. ``lab.orders.live`` redraws it every 100 ms
until a run ends, so the bars grow while the channels run.

The chart has a ``viewBox`` and takes the width it is given, so it fits a
laptop or a projector. Each chart names its hatch pattern with its own id:
``url(#hatch)`` would resolve to the first chart on the page, hidden or not.

Colours follow the notebook's theme (``lab.draw.theme``): text and lines from
JupyterLab's variables, so a chart reads on Light, Dark and Dark High Contrast;
the channels' fills are the Okabe–Ito palette; a failed attempt is also hatched
and marked ✗, so colour is never the only cue. Each chart is ``role="img"`` with
a ``<title>`` and a ``<desc>`` that tells the run in words.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Protocol

from lab.draw.bar_labels import (
    CHAR_W,
    LEFT,
    WIDTH,
    bar_label,
    bar_ms,
    gap_label,
    label_room,
    place_label,
)
from lab.draw.theme import CHANNEL, ERROR, FAILED_FILL, GRID, INK, INK2, INK_ON, fill, stroke
from lab.draw.timeline_words import describe

LANE, TOP = 30, 40  # TOP: the title, then a row for marks and "done"
IDLE_S = 3.0  # a live chart stops stretching its axis after this long with nothing happening
_chart_ids = itertools.count(1)


def new_chart_id() -> str:
    """An id for one chart's hatch pattern and title: ``url(#hatch)`` would find the page's first."""
    return f"t{next(_chart_ids)}"


def retry_delay_s(failed_attempt: int) -> float:
    """The SDK's default retry policy (exponential: 2 s after attempt 1, then 4 s, 8 s, … at most 30 s)."""
    return min(2.0**failed_attempt, 30.0)


class Attempt(Protocol):
    """What a bar is drawn from: one attempt of one channel (``lab.orders.ledger.Attempt``)."""

    channel: str
    attempt: int
    pid: int
    started: float  # epoch seconds
    ended: float | None
    outcome: str  # running | sent | failed | killed
    error: str | None
    deadline: float | None

    @property
    def duration_ms(self) -> int | None: ...


@dataclass(frozen=True)
class Mark:
    """A moment drawn across the chart: a worker killed, a server restarted."""

    t: float  # epoch seconds
    label: str
    colour: str = ERROR  # the line's colour; its label is always the ink
    until: float | None = None  # a span (a server outage): shaded from t to here


def nice_step(span_ms: float) -> int:
    raw = span_ms / 8
    magnitude = 10 ** math.floor(math.log10(max(raw, 1)))
    return int(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw))


def render_svg(
    attempts: Sequence[Attempt],
    t0: float,
    now: float,
    *,
    lanes: Sequence[str],
    lane_of: Callable[[Attempt], str] = lambda a: a.channel,
    total_ms: int | None = None,
    total_label: str = "done",
    title: str = "",
    axis_ms: float | None = None,
    running: bool = False,
    marks: Sequence[Mark] = (),
    chart_id: str | None = None,
) -> str:
    """The timeline of ``attempts`` relative to ``t0``, in milliseconds.

    ``axis_ms`` is the least span of the axis, for charts meant to be compared
    (they share one); without it the axis fits the data; ``running`` draws the retries the SDK has scheduled. The axis
    ends at the last thing drawn: while nothing happens for a while (a retry far
    off, an order that never finishes), the chart says so instead of stretching.
    """
    cid = chart_id or new_chart_id()
    lanes = list(lanes) + sorted({lane_of(a) for a in attempts} - set(lanes))
    waits = _scheduled(attempts, lane_of) if running else {}
    events = [
        *((a.ended or a.started) for a in attempts),
        *(m.until or m.t for m in marks),
        *(due for _, due in waits.values()),
    ]
    last = max(events, default=t0)
    idle = running and now - last > IDLE_S
    shown_now = last if idle else now
    data_ms = max((shown_now - t0) * 1000, total_ms or 0, *((e - t0) * 1000 for e in events))
    shared = axis_ms is not None and axis_ms > data_ms  # stretched to match other charts
    plot_w = WIDTH - LEFT - 20
    bars = [(a, *bar_ms(a, t0, shown_now)) for a in attempts]
    span, drawn_ms = max(axis_ms or 0, data_ms, 100), data_ms
    for _ in range(3):  # room for every bar's label beside it, never over the lane names
        step = nice_step(span)
        span = math.ceil(span / step) * step
        needed, drawn_ms = label_room(bars, span, plot_w, data_ms, lane_of)
        if needed <= span:
            break
        span = needed
    # With marks (a kill, an outage), "done" gets a row of its own below the title: on the
    # title's row a long title ran under it, on the marks' row their labels did.
    top = TOP + (14 if marks and total_ms is not None else 0)
    bottom = top + LANE * len(lanes)
    height = bottom + 40

    def x(ms: float) -> float:
        return LEFT + plot_w * min(max(0.0, ms), span) / span

    def mid(lane: int) -> float:
        return top + lane * LANE + LANE / 2 + 4

    words = describe(attempts, t0, title=title, total_ms=total_ms, label=total_label)
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' class='lab-timeline' viewBox='0 0 {WIDTH} {height}' "
        f"width='100%' style='max-width:{WIDTH}px;height:auto;display:block' preserveAspectRatio='xMinYMin meet' "
        f"role='img' aria-labelledby='title-{cid} desc-{cid}' "
        f"data-span-ms='{span}' data-plot-width='{plot_w}' data-last-ms='{round(drawn_ms)}' "
        f"data-shared-scale='{int(shared)}' data-step-ms='{step}' "
        f"font-family='sans-serif' font-size='11'>",
        f"<title id='title-{cid}'>{escape(title or 'timeline')}</title>",
        f"<desc id='desc-{cid}'>{escape(words)}</desc>",
        f"<defs><pattern id='hatch-{cid}' width='6' height='6' patternUnits='userSpaceOnUse' "
        "patternTransform='rotate(45)'>"
        f"<rect width='6' height='6' fill='{FAILED_FILL}' opacity='0.35'/><line x1='0' y1='0' "
        f"x2='0' y2='6' stroke='{FAILED_FILL}' stroke-width='3'/>"
        "</pattern></defs>",
        f"<text x='4' y='14' font-weight='bold' {fill(INK)}>{escape(title)}</text>",
    ]
    for ms in range(0, int(span) + 1, step):
        out.append(
            f"<line x1='{x(ms):.1f}' y1='{top - 4}' x2='{x(ms):.1f}' y2='{bottom}' {stroke(GRID)}/>"
        )
        out.append(
            f"<text x='{x(ms):.1f}' y='{bottom + 14}' text-anchor='middle' {fill(INK2)}>{ms}</text>"
        )
    out.append(
        f"<text x='{LEFT + plot_w}' y='{bottom + 28}' text-anchor='end' {fill(INK2)}>ms since "
        "the order was submitted</text>"
    )
    if idle:
        out.append(
            f"<text class='idle' x='{LEFT}' y='{bottom + 28}' text-anchor='start' "
            f"font-style='italic' {fill(INK2)}>… nothing for {now - last:.0f} s: still waiting</text>"
        )
    for i, lane in enumerate(lanes):
        out.append(
            f"<text x='{LEFT - 8}' y='{mid(i)}' text-anchor='end' {fill(INK)}>{escape(lane)}</text>"
        )

    last_of: dict[tuple[str, str], Attempt] = {}
    label_end: dict[int, float] = {}  # lane -> where its last bar label ends (x)
    for a, start_ms, end_ms in bars:
        i = lanes.index(lane_of(a))
        y = top + i * LANE + 5
        x0, x1 = x(start_ms), max(x(end_ms), x(start_ms) + 2)
        colour = CHANNEL.get(a.channel, "#999999")
        broken = a.outcome in ("failed", "killed")
        bar_fill = f"url(#hatch-{cid})" if broken else colour
        extra = " opacity='0.45' stroke-dasharray='3 2'" if a.outcome == "running" else ""
        edge = FAILED_FILL if broken else colour
        label = bar_label(a, start_ms, end_ms, lane_of)
        prev_end, on_left = label_end.get(i, LEFT), False  # the lane's last label, for the gap's
        out.append(
            f"<rect class='bar' data-channel='{a.channel}' data-attempt='{a.attempt}' "
            f"data-outcome='{a.outcome}' data-pid='{a.pid}' "
            f"data-ms='{max(0.0, end_ms - start_ms):.0f}' x='{x0:.1f}' y='{y}' "
            f"width='{x1 - x0:.1f}' height='{LANE - 10}' "
            f"fill='{bar_fill}' stroke='{edge}'{extra}>"
            f"<title>{escape(a.channel)} attempt {a.attempt} (pid {a.pid}): {a.outcome} "
            f"{escape(a.error or '')}</title></rect>"
        )
        short = bar_label(a, start_ms, end_ms, lane_of, short=True)
        placed = place_label((label, short), x0, x1, a.outcome == "sent", prev_end)
        if placed is not None:
            text, lx, anchor, label_end[i] = placed
            on_left = anchor == "end"
            ink = (
                f"data-on='{colour}' {fill(INK_ON.get(colour, '#000000'))}"  # on the bar
                if anchor == "middle"
                else fill(INK)
            )
            out.append(
                f"<text x='{lx:.1f}' y='{mid(i)}' text-anchor='{anchor}' {ink}>{escape(text)}</text>"
            )
        key = (lane_of(a), a.channel)
        before = last_of.get(key)
        if before is not None and before.ended is not None:
            gap_ms = (a.started - before.ended) * 1000
            gap = "" if on_left else gap_label(gap_ms, x0 - 4 - max(LEFT, prev_end + 6))
            if gap:
                out.append(
                    f"<text class='retry-gap' data-channel='{a.channel}' x='{x0 - 4:.1f}' "
                    f"y='{mid(i) - 10}' text-anchor='end' "
                    f"font-style='italic' {fill(INK2)}>{gap}</text>"
                )
        last_of[key] = a

    for (lane, channel), (a, due) in waits.items():  # a failed attempt: the SDK has a retry due
        i = lanes.index(lane)
        left = max(0.0, due - now)
        xa, xn = x((a.ended - t0) * 1000), x((min(now, due) - t0) * 1000)
        out.append(
            f"<g class='retry-wait' data-channel='{channel}' data-attempt='{a.attempt + 1}'>"
            f"<line x1='{xa:.1f}' y1='{mid(i) - 4}' x2='{max(xn, xa + 2):.1f}' "
            f"y2='{mid(i) - 4}' {stroke(ERROR)} stroke-dasharray='2 3'/>"
            f"<text x='{max(xn, xa + 2):.1f}' y='{mid(i) + 12}' text-anchor='end' "
            f"font-style='italic' {fill(ERROR)}>"
            f"↻ retry #{a.attempt + 1} due in {left:.1f} s</text></g>"
        )
    label_ends: list[float] = []  # the marks' labels share one row: each starts past the last
    for m in sorted(marks, key=lambda m: m.t):
        mx = x((m.t - t0) * 1000)
        if m.until is not None:
            ux = x((min(m.until, shown_now) - t0) * 1000)
            out.append(
                f"<rect class='outage' x='{mx:.1f}' y='{top - 4}' "
                f"width='{max(ux - mx, 1):.1f}' height='{bottom - top + 4}' "
                f"fill='{FAILED_FILL}' fill-opacity='0.12' data-ms='{round((min(m.until, now) - m.t) * 1000)}'/>"
            )
        width = CHAR_W * len(m.label)
        lx = max(mx + 3, (label_ends[-1] + 8) if label_ends else 0)
        lx = min(lx, WIDTH - 2 - width)
        label_ends.append(lx + width)
        out.append(
            f"<g class='mark'><line x1='{mx:.1f}' y1='{top - 4}' x2='{mx:.1f}' y2='{bottom}' "
            f"{stroke(m.colour)} stroke-width='2'/>"
            f"<text x='{lx:.1f}' y='{top - 6}' font-weight='bold' {fill(INK)}>{escape(m.label)}</text></g>"
        )
    if total_ms is not None:
        text = f"{total_label}: {total_ms} ms"
        tx = max(x(total_ms) - 4, LEFT + CHAR_W * len(text))
        out.append(
            f"<line class='done' x1='{x(total_ms):.1f}' y1='{top - 6}' x2='{x(total_ms):.1f}' "
            f"y2='{bottom}' {stroke(INK)} stroke-dasharray='4 3'/>"
            f"<text class='total' x='{tx:.1f}' y='{top - 22 if marks else top - 8}' "
            f"text-anchor='end' {fill(INK)}>{escape(text)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _scheduled(
    attempts: Sequence[Attempt], lane_of: Callable[[Attempt], str]
) -> dict[tuple[str, str], tuple[Attempt, float]]:
    """Failed attempts with nothing after them: the retry the SDK has scheduled, and when."""
    last: dict[str, Attempt] = {}  # per channel: a retry may run on another lane (worker)
    for a in attempts:
        last[a.channel] = a
    waits = {}
    for channel, a in last.items():
        if a.outcome != "failed" or a.ended is None:
            continue
        due = a.ended + retry_delay_s(a.attempt)
        if a.deadline is None or due <= a.deadline:  # the SDK starts no retry past the deadline
            waits[(lane_of(a), channel)] = (a, due)
    return waits
