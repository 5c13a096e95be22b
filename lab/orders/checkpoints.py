"""The durable promises of one run, read back from the store.

This is what makes the workflow durable: a root promise for the workflow and
one per channel under ``<root>.<channel>``. A resolved child holds the value a
replay will be given instead of sending that message again.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from lab.draw.tables import html_table
from lab.orders.ledger import CHANNELS

if TYPE_CHECKING:
    from resonate import Resonate


def _summary(data: str | None) -> str:
    if not data:
        return ""
    try:
        value = json.loads(data)
    except ValueError:
        return data[:60]
    if isinstance(value, dict) and "channels_notified" in value:
        return f"channels_notified={value['channels_notified']}, total_ms={value['total_ms']}"
    if isinstance(value, dict) and "message_id" in value:
        return f"{value['message_id']} ({value['duration_ms']} ms)"
    return json.dumps(value)[:60]


def checkpoints(resonate: Resonate, root_id: str) -> list[dict[str, object]]:
    """Root and child promises of a run, as plain dicts (missing ones left out)."""
    rows = []
    for pid in (root_id, *(f"{root_id}.{c}" for c in CHANNELS)):
        try:
            p = resonate.promises.get(pid)
        except Exception:  # noqa: BLE001 - not created (yet): nothing to show
            continue
        rows.append(
            {
                "id": p.id,
                "state": p.state,
                "created_on": p.created_on,
                "completed_on": p.completed_on,
                "value": _summary(p.value.data),
            }
        )
    return rows


def checkpoint_table(resonate: Resonate, root_id: str, t0: float) -> str:
    def rel(ms: int | None) -> str:
        return "" if ms is None else f"+{ms - round(t0 * 1000)} ms"

    rows = [
        (r["id"], r["state"], rel(r["created_on"]), rel(r["completed_on"]), r["value"])
        for r in checkpoints(resonate, root_id)
    ]
    return html_table(
        ("promise id", "state", "created", "completed", "value"),
        rows,
        caption="Durable promises in the store",
    )
