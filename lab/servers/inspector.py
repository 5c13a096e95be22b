"""The durable promises of an order, read from the server's HTTP API.

    GET /promises?id=notify/ord_123*      (the server's own search)

The analogue of Temporal's event history, without another UI: the root
promise and one child per branch, with state, timestamps and the stored
values a retry or replay is handed instead of running the step again. Read
over HTTP, not through the SDK, so it works from the kernel whatever the
SDK's state — and shows plainly when the server is down or has forgotten.
"""

from __future__ import annotations

import base64
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from lab.draw.tables import html_table
from lab.servers.credentials import open_url
from lab.servers.legacy import ServerAddress


def _decode(data: str | None) -> Any:
    if not data:
        return None
    try:
        return json.loads(base64.b64decode(data))
    except ValueError:
        return data


def promises(address: ServerAddress, root_id: str, timeout: float = 2) -> list[dict[str, Any]]:
    """The root promise and its children (``<root>.*``), oldest first. Raises OSError if the server is down."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"id": f"{root_id}*", "limit": "100", **({"cursor": cursor} if cursor else {})}
        url = f"{address.url}/promises?{urllib.parse.urlencode(query)}"
        with open_url(url, timeout) as response:
            page = json.load(response)
        found += page.get("promises") or []
        cursor = page.get("cursor")
        if not cursor:
            break
    rows = [
        {
            "id": p["id"],
            "state": p["state"],
            "created_on": p.get("createdOn"),
            "completed_on": p.get("completedOn"),
            "value": _decode((p.get("value") or {}).get("data")),
        }
        for p in found
    ]
    return sorted(rows, key=lambda r: (r["created_on"] or 0, r["id"]))


def _promise(address: ServerAddress, promise_id: str, timeout: float) -> dict[str, Any]:
    """One promise as the server's API returns it; {} if unknown or unreachable.

    A port the killed server left may answer in another protocol (CI: a kernel's ZeroMQ
    socket, ``BadStatusLine``): that is unreachable too, never an error in a watching thread.
    """
    url = f"{address.url}/promises/{urllib.parse.quote(promise_id, safe='')}"
    try:
        with open_url(url, timeout) as response:
            return json.load(response)
    except (OSError, ValueError, http.client.HTTPException):
        return {}


def state(address: ServerAddress, promise_id: str, timeout: float = 1) -> str | None:
    """One promise's state on the server now (``PENDING``, ``RESOLVED``…); None if unknown or unreachable."""
    return _promise(address, promise_id, timeout).get("state")


def outcome(address: ServerAddress, promise_id: str, timeout: float = 1) -> dict[str, Any] | None:
    """A completed promise as the server holds it: state, value, completed_on (epoch ms).

    None while it is pending, unknown, or the server does not answer.
    """
    p = _promise(address, promise_id, timeout)
    if p.get("state") in (None, "PENDING"):
        return None
    return {
        "state": p["state"],
        "value": _decode((p.get("value") or {}).get("data")),
        "completed_on": p.get("completedOn"),
    }


def lost_wakeup(address: ServerAddress, root_id: str) -> bool:
    """The order is stuck: its root is PENDING though every branch below it is completed.

    That is the legacy server's create-callback race (fixed in the server the
    project builds, ``scripts/patches``): nothing will ever resume the workflow.
    """
    try:
        found = promises(address, root_id)
    except OSError:
        return False
    root = [p for p in found if p["id"] == root_id]
    branches = [p for p in found if p["id"].startswith(f"{root_id}.")]
    return (
        bool(root)
        and root[0]["state"] == "PENDING"
        and bool(branches)
        and all(p["state"] != "PENDING" for p in branches)
    )


LOST_WAKEUP = (
    "stuck: every branch is resolved but the server never resumed the workflow — the legacy "
    "server's lost wake-up (docs/architecture.md, 'Server mode'); the server scripts/install-server.sh builds "
    "has the fix"
)


def _summary(value: Any) -> str:
    if isinstance(value, dict) and "channels_notified" in value:
        return f"channels_notified={value['channels_notified']}"
    if isinstance(value, dict) and "message_id" in value:
        return f"{value['message_id']} ({value.get('duration_ms')} ms)"
    return "" if value is None else json.dumps(value)[:60]


def table(address: ServerAddress, root_id: str, t0: float, *, caption: str = "") -> str:
    """The promises as an HTML table, times relative to ``t0`` (epoch seconds)."""
    caption = caption or f"Durable promises on the server — {root_id}*"
    try:
        rows = promises(address, root_id)
    except (OSError, urllib.error.URLError) as e:
        reason = getattr(e, "reason", e)
        return f"<p><b>{caption}</b>: the server at {address.url} does not answer ({reason}) — nothing can be read.</p>"
    if not rows:
        return f"<p><b>{caption}</b>: the server has <b>no promise</b> for this order — it does not know it exists.</p>"

    def rel(ms: int | None) -> str:
        return "" if ms is None else f"+{ms - round(t0 * 1000)} ms"

    cells = [
        (r["id"], r["state"], rel(r["created_on"]), rel(r["completed_on"]), _summary(r["value"]))
        for r in rows
    ]
    return html_table(
        ("promise id", "state", "created", "completed", "stored value"), cells, caption=caption
    )
