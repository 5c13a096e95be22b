"""Lesson 6's chart: the fan-out's wall against its width N, each line beside its ideal.

Drawn from plain points (anything with ``store``, ``workers``, ``n``, ``wall_ms`` and
``ideal_ms``), as plain SVG in the notebook's theme colours, like the timeline.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from html import escape
from typing import Any

from lab.draw.theme import GRID, INK, INK2, SERIES, fill, stroke
from lab.draw.timeline import nice_step

_plot_ids = itertools.count(1)


def plot_svg(
    points: Sequence[Any], title: str, latency_ms: int, width: int = 640, height: int = 340
) -> str:
    """Wall against N, one line per (store, workers), with each line's ideal ⌈N/W⌉·L dashed."""
    left, right, top, bottom = 60, 150, 30, 40
    ns = sorted({p.n for p in points})
    top_ms = max(max(p.wall_ms, p.ideal_ms) for p in points)
    step = nice_step(top_ms)
    ymax = math.ceil(top_ms * 1.05 / step) * step  # nice ticks: 0, 500, 1000, …
    cid = f"s{next(_plot_ids)}"
    span = max(math.log2(ns[-1]) - math.log2(ns[0]), 1)

    def x(n: int) -> float:  # N on a log scale: 4, 8, 16, … evenly spaced
        return left + (math.log2(n) - math.log2(ns[0])) / span * (width - left - right)

    def y(ms: float) -> float:
        return top + (1 - ms / ymax) * (height - top - bottom)

    colours = SERIES
    words = "; ".join(
        f"{p.store}, W={p.workers}, N={p.n}: {p.wall_ms:.0f} ms (ideal {p.ideal_ms:.0f})"
        for p in sorted(points, key=lambda p: (p.store, p.workers, p.n))
    )
    out = [
        f"<svg class='lab-scaling' viewBox='0 0 {width} {height}' width='100%' "
        f"style='max-width:{width}px' font-family='sans-serif' font-size='11' role='img' "
        f"aria-labelledby='{cid}-title {cid}-desc'>",
        f"<title id='{cid}-title'>{escape(title)}</title><desc id='{cid}-desc'>{escape(words)}</desc>",
        f"<text x='{left}' y='16' font-weight='bold' {fill(INK)}>{escape(title)}</text>",
    ]
    for n in ns:
        out.append(
            f"<line x1='{x(n):.1f}' y1='{top}' x2='{x(n):.1f}' y2='{height - bottom}' {stroke(GRID)}/>"
            f"<text x='{x(n):.1f}' y='{height - bottom + 14}' text-anchor='middle' {fill(INK2)}>{n}</text>"
        )
    out.append(
        f"<text x='{(left + width - right) / 2:.0f}' y='{height - 6}' text-anchor='middle' "
        f"{fill(INK2)}>branches N</text>"
    )
    for ms in range(0, int(ymax) + 1, step):
        out.append(
            f"<text x='{left - 6}' y='{y(ms) + 4:.1f}' text-anchor='end' {fill(INK2)}>{ms}</text>"
        )
    out.append(f"<text x='12' y='{top - 8}' {fill(INK2)}>wall ms</text>")
    series = sorted({(p.store, p.workers) for p in points})
    for k, (store, workers) in enumerate(series):
        colour = colours[k % len(colours)]
        mine = sorted(
            (p for p in points if (p.store, p.workers) == (store, workers)), key=lambda p: p.n
        )
        measured = " ".join(f"{x(p.n):.1f},{y(p.wall_ms):.1f}" for p in mine)
        ideal = " ".join(f"{x(p.n):.1f},{y(p.ideal_ms):.1f}" for p in mine)
        out.append(
            f"<polyline class='ideal' points='{ideal}' fill='none' stroke='{colour}' "
            "stroke-dasharray='4 3' opacity='0.7'/>"
        )
        out.append(
            f"<polyline class='measured' data-workers='{workers}' points='{measured}' "
            f"fill='none' stroke='{colour}' stroke-width='2'/>"
        )
        out += [
            f"<circle cx='{x(p.n):.1f}' cy='{y(p.wall_ms):.1f}' r='3' fill='{colour}' "
            f"data-n='{p.n}' data-ms='{p.wall_ms:.0f}'/>"
            for p in mine
        ]
        out.append(
            f"<line x1='{width - right + 10}' y1='{top + 14 * k + 6}' x2='{width - right + 24}' "
            f"y2='{top + 14 * k + 6}' stroke='{colour}' stroke-width='3'/>"
            f"<text x='{width - right + 28}' y='{top + 14 * k + 10}' {fill(INK)}>{store}, W={workers}</text>"
        )
    out.append(
        f"<text x='{width - right + 10}' y='{top + 14 * len(series) + 14}' {fill(INK2)}>dashed: "
        f"⌈N/W⌉·{latency_ms} ms</text>"
    )
    out.append("</svg>")
    return "".join(out)
