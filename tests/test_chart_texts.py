"""No two texts of a timeline overlap, in the states a lesson draws: live and finished.

The texts' boxes are estimated as the layout estimates them (``CHAR_W`` a character,
13 px high, bold 10 % wider); the browser tests measure the real ones in chromium
(``tests/test_browser.py``, every lesson, every theme). Each state here is one that
overlapped before: a running bar's label over its lane name, "done" over the title,
"retry after … ms" over a lane name, the idle note over a tick, a retry's due time
over the failed attempt's label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

import pytest

from lab.draw.bar_labels import CHAR_W, LEFT
from lab.draw.timeline import Mark, render_svg

T0 = 1_000_000.0
CHANNELS = ["email", "sms", "slack", "push"]
TEXT = re.compile(r"<text ([^>]*)>([^<]*)</text>")


@dataclass
class Bar:
    channel: str
    attempt: int
    started: float
    ended: float | None
    outcome: str
    pid: int = 1
    error: str | None = None
    deadline: float | None = None

    @property
    def duration_ms(self) -> int | None:
        return None if self.ended is None else round((self.ended - self.started) * 1000)


def boxes(svg: str) -> list[tuple[str, float, float, float, float]]:
    found = []
    for attrs, text in TEXT.findall(svg):
        a = dict(re.findall(r"([\w-]+)='([^']*)'", attrs))
        text = unescape(text)
        width = CHAR_W * len(text) * (1.1 if a.get("font-weight") == "bold" else 1.0)
        x, y = float(a["x"]), float(a["y"])
        left = {"end": x - width, "middle": x - width / 2}.get(a.get("text-anchor", "start"), x)
        found.append((text, left, left + width, y - 10, y + 3))  # as chromium measures 11 px text
    return found


def overlaps(svg: str) -> list[tuple[str, str]]:
    b = boxes(svg)
    return [
        (p[0], q[0])
        for i, p in enumerate(b)
        for q in b[i + 1 :]
        if min(p[2], q[2]) - max(p[1], q[1]) > 1 and min(p[4], q[4]) - max(p[3], q[3]) > 1
    ]


def sent(channel: str, start_ms: float, ms: float, attempt: int = 1) -> Bar:
    return Bar(channel, attempt, T0 + start_ms / 1000, T0 + (start_ms + ms) / 1000, "sent")


HEALTHY = [sent("email", 0, 400), sent("sms", 0, 250), sent("slack", 0, 180)]
TITLE = "notify_all_by_deadline — notify/ord-5f3a9c2e1b7d — 16 workers (threads in this kernel)"
STATES = {
    "a hung call, live": dict(
        attempts=[*HEALTHY, Bar("push", 1, T0, None, "running")], now=T0 + 5.0, running=True
    ),
    "a hung call cut at its deadline, done, the deadline marked": dict(
        attempts=[*HEALTHY, Bar("push", 1, T0, T0 + 2.0, "failed", deadline=T0 + 2.0)],
        now=T0 + 2.008,
        total_ms=2008,
        title=TITLE,
        marks=[Mark(T0 + 2.0, "deadline")],
    ),
    "a retry long after a quick failure": dict(
        attempts=[
            *HEALTHY,
            Bar("push", 1, T0, T0 + 0.035, "failed"),
            sent("push", 2035, 120, attempt=2),
        ],
        now=T0 + 9.0,
        total_ms=9000,
    ),
    "a retry close after a quick failure, on a long axis": dict(  # lesson 7's held push
        attempts=[
            *HEALTHY,
            Bar("push", 1, T0, T0 + 0.001, "failed"),
            Bar("push", 2, T0 + 2.014, T0 + 2.015, "failed"),
            Bar("push", 3, T0 + 6.02, T0 + 6.021, "failed"),
            sent("push", 9000, 120, attempt=4),
        ],
        now=T0 + 9.2,
        total_ms=9200,
    ),
    "a provider down for two minutes, live": dict(  # lesson 7's held order, left running
        attempts=[
            *HEALTHY,
            *(
                Bar("push", n + 1, T0 + t, T0 + t + 0.0005, "failed")
                for n, t in enumerate((0, 2, 6, 14, 30, 60, 90, 120))
            ),
        ],
        now=T0 + 121.0,
        running=True,
    ),
    "nothing for a while, live": dict(
        attempts=[*HEALTHY, Bar("push", 1, T0, T0 + 0.035, "failed")],
        now=T0 + 40.0,
        running=True,
    ),
    "a retry due, live": dict(
        attempts=[*HEALTHY, Bar("push", 1, T0, T0 + 0.035, "failed")],
        now=T0 + 0.5,
        running=True,
    ),
}


@pytest.mark.parametrize("state", STATES)
def test_no_two_chart_texts_overlap(state: str) -> None:
    options = dict(STATES[state])
    attempts, now = options.pop("attempts"), options.pop("now")
    svg = render_svg(attempts, T0, now, lanes=CHANNELS, **options)
    assert not overlaps(svg), overlaps(svg)
    lane_names = [b for b in boxes(svg) if b[0] in CHANNELS]
    others = [b for b in boxes(svg) if b[0] not in CHANNELS and b[3] > 40]
    for name in lane_names:  # nothing else in the lane names' column, on their rows
        assert not [o[0] for o in others if o[1] < LEFT - 6 and abs(o[4] - name[4]) < 11], state
