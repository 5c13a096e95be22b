"""Where a timeline's texts go, so that no two overlap and none runs over the lane names.

A bar's label goes on the bar (a delivered call wide enough), else right of it, else
left of it — never left past the lane names: a bar from 0 to the chart's end (a hung
call, a long retry) gets room on the right instead, the axis widened by what its
label needs (``label_room``). A retry's gap says how long the SDK waited, in the room
between the last label of its lane and the retry's bar, shorter when that room is
short, left out when there is none (``gap_label``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lab.draw.timeline import Attempt

WIDTH, LEFT = 760, 110  # the chart's width, and the lane names' column (lab.draw.timeline)
CHAR_W = 6.3  # the width of one character at font-size 11, near enough to keep labels apart


def bar_ms(a: Attempt, t0: float, shown_now: float) -> tuple[float, float]:
    return (a.started - t0) * 1000, ((a.ended or shown_now) - t0) * 1000


def bar_label(
    a: Attempt,
    start_ms: float,
    end_ms: float,
    lane_of: Callable[[Attempt], str],
    *,
    short: bool = False,
) -> str:
    mark = {"failed": "✗ ", "killed": "✗ killed ", "running": "… "}.get(a.outcome, "")
    if short:  # where the whole label would cover the lane's last one: "✗ #3"
        return f"{mark}#{a.attempt}"
    name = "" if a.channel in lane_of(a) else f"{a.channel} "
    return f"{mark}{name}#{a.attempt} {round(end_ms - start_ms)} ms"


def place_label(
    labels: tuple[str, str], x0: float, x1: float, sent: bool, after: float
) -> tuple[str, float, str, float] | None:
    """Where a bar's label goes — (text, x, anchor, where it ends) — on the bar, right of it or
    left of it, in full or short, never over the lane's last label (ending at ``after``) nor
    the lane names; None where nothing fits (a held order's many quick failures on a long
    axis): the bar's tooltip still says it."""
    for text in labels:
        w = CHAR_W * len(text)
        if sent and x1 - x0 > w + 8:
            if (x0 + x1 - w) / 2 >= after + 4:
                return text, (x0 + x1) / 2, "middle", (x0 + x1 + w) / 2
        elif x1 + 4 + w <= WIDTH - 2 or x0 - 4 - w < LEFT - 2:
            if x1 >= after:
                return text, x1 + 4, "start", x1 + 4 + w
        elif x0 - 4 - w >= after + 4:
            return text, x0 - 4, "end", x0 - 4
    return None


def label_room(
    bars: Sequence[tuple[Attempt, float, float]],
    span: float,
    plot_w: float,
    data_ms: float,
    lane_of: Callable[[Attempt], str],
) -> tuple[float, float]:
    """The span every bar's label needs, on the bar, right of it or left of it but never
    over the lane names (a bar from 0 to the chart's end: a hung call, a long retry);
    and the ms where the last label drawn ends."""
    needed, drawn = span, data_ms
    for a, start_ms, end_ms in bars:
        width = CHAR_W * len(bar_label(a, start_ms, end_ms, lane_of))
        on_bar = a.outcome == "sent" and (end_ms - start_ms) * plot_w / span > width + 8
        right = plot_w * end_ms / span + 4 + width  # from LEFT
        if on_bar or plot_w * start_ms / span - 4 - width >= -2:
            continue
        drawn = max(drawn, right * span / plot_w)
        if LEFT + right > WIDTH - 2:  # neither side fits: widen the axis until the right does
            needed = max(needed, end_ms * plot_w / (WIDTH - 6 - LEFT - width))
    return needed, drawn


def gap_label(gap_ms: float, room_px: float) -> str:
    """ "retry after 1990 ms", or "↻ 1990 ms" where that does not fit; "" for no gap or no room."""
    if gap_ms <= 50:
        return ""
    for text in (f"retry after {round(gap_ms)} ms", f"↻ {round(gap_ms)} ms"):
        if CHAR_W * len(text) + 6 <= room_px:  # + a glyph's slack (↻, ✗ are wider)
            return text
    return ""
