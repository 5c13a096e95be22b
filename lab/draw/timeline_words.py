"""The timeline in words: its legend, and its description for a screen reader.

Every chart says what it shows without colour: the legend names each mark, and
the ``<desc>`` tells the run (each channel's time, its failed attempts, when the
order was done), which a screen reader reads and the static site can search.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from lab.draw.theme import CHANNEL, FAILED_FILL, INK


def describe(
    attempts: Sequence[Any], t0: float, *, title: str, total_ms: int | None, label: str
) -> str:
    """The chart in words, for a screen reader and the static site's search."""
    parts = []
    for channel in dict.fromkeys(a.channel for a in attempts):
        mine = [a for a in attempts if a.channel == channel]
        done = [a for a in mine if a.outcome == "sent"]
        text = f"{channel} {done[-1].duration_ms} ms" if done else f"{channel} not sent yet"
        for a in mine:
            if a.outcome in ("failed", "killed"):
                text += f", attempt {a.attempt} {a.outcome}"
        if len(mine) > 1 and done:
            text += f", attempt {done[-1].attempt} at {round((done[-1].started - t0) * 1000):,} ms"
        parts.append(text)
    end = f"; {label} at {total_ms:,} ms" if total_ms is not None else "; still running"
    return f"{title}: " + "; ".join(parts or ["no channel has run"]) + end


def legend() -> str:
    items = [f"<span style='color:{c}'>■</span> {escape(ch)}" for ch, c in CHANNEL.items()]
    items.append(f"<span style='color:{FAILED_FILL}'>▨</span> failed attempt (✗)")
    items += [
        "#N: attempt N",
        "faded, dashed: still running",
        "↻ a retry the SDK has scheduled",
        "bar labels: the harness's clock around each attempt",
    ]
    spans = "".join(f"<span style='white-space:nowrap'>{item}</span>" for item in items)
    return (
        "<div class='lab-legend' style='font-size:11px;font-family:sans-serif;display:flex;"
        f"flex-wrap:wrap;column-gap:14px;row-gap:2px;color:{INK}'>{spans}</div>"
    )
