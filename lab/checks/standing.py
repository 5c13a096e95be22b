"""Where a learner stands, from their events: one row of the instructor's page, or ``lab.progress()``.

Standard library and ``lab.checks``' names only: the room's service reads the same rows
(and the same marks) as the learner's kernel.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

from lab.checks import SDK06, SDK08

EXERCISES = SDK06 + SDK08  # in the lessons' order
STUCK_FAILS = 3  # failed checks in the last STUCK_WINDOW_S without a pass: stuck
STUCK_WINDOW_S = 10 * 60
QUIET_S = 15 * 60  # no event for this long: stuck too


def when(event: dict[str, Any]) -> float:
    """The event's time: the service's receipt (``received``), else its own timestamp."""
    if "received" in event:
        return float(event["received"])
    stamp = str(event.get("__timestamp__", "")).removesuffix("Z")
    try:
        at = datetime.fromisoformat(stamp)
    except ValueError:
        return 0.0
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def row(events: list[dict[str, Any]], now: float) -> dict[str, Any]:
    """One learner: each exercise's latest check, hints used, their lesson, and whether stuck."""
    events = sorted(events, key=when)
    cells: dict[str, dict[str, Any]] = {
        name: {"outcome": "not attempted", "criterion": "", "hints": 0} for name in EXERCISES
    }
    for e in events:
        cell = cells.get(e.get("item", "")) if e.get("kind") == "exercise" else None
        if cell is None:
            continue
        if e["action"] == "hint":
            cell["hints"] += 1
        elif e["action"] == "check":
            cell.update(outcome=e["outcome"], criterion=e.get("criterion", ""))
    lessons = [e["lesson"] for e in events if e.get("lesson")]
    recent = [e for e in events if e.get("action") == "check" and now - when(e) <= STUCK_WINDOW_S]
    fails = [e for e in recent if e["outcome"] in ("not yet", "error")]
    passes = [e for e in recent if e["outcome"] == "passed"]
    last = when(events[-1]) if events else None
    stuck = ""
    if len(fails) >= STUCK_FAILS and not passes:
        stuck = f"{len(fails)} failed checks in 10 min, no pass"
    elif last is not None and now - last >= QUIET_S:
        stuck = f"no activity for {int((now - last) // 60)} min"
    return {
        "lesson": lessons[-1] if lessons else "",
        "cells": cells,
        "stuck": stuck,
        "events": len(events),
        "last": last,
    }


def mark(cell: dict[str, Any]) -> str:
    """A cell as text: ✓, ✗ and the failing criterion, or – (not attempted); hints after."""
    outcome = cell["outcome"]
    text = {"passed": "✓", "not attempted": "–"}.get(outcome, f"✗ {cell['criterion']}".strip())
    if outcome == "error":
        text = f"✗ error: {cell['criterion']}"
    hints = cell["hints"]
    return text + (f" · {hints} hint{'s' * (hints != 1)}" if hints else "")


def table(rows: dict[str, dict[str, Any]]) -> str:
    """Rows as an HTML table (``lab.progress()``; the instructor's page draws its own, live)."""
    head = "".join(f"<th scope='col'>{name}</th>" for name in EXERCISES)
    body = ""
    for name, r in rows.items():
        cells = "".join(f"<td>{html.escape(mark(r['cells'][x]))}</td>" for x in EXERCISES)
        stuck = f" — stuck: {html.escape(r['stuck'])}" if r["stuck"] else ""
        lesson = f"lesson {r['lesson']}" if r["lesson"] else "no check yet"
        body += f"<tr><th scope='row'>{html.escape(name)}<br><small>{lesson}{stuck}</small></th>{cells}</tr>"
    return f"<table><thead><tr><th scope='col'>learner</th>{head}</tr></thead><tbody>{body}</tbody></table>"
