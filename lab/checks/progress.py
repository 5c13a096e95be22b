"""Every check, hint and solution as an event, in the learner's own file and the room's.

Kaggle's learntools emits an event for each ``check()``, ``hint()`` and ``solution()``;
so do the exercises here, and every check-your-understanding cell. jupyter_events
validates each one against ``SCHEMA`` and writes it as a JSON line to the learner's own
file (``progress.jsonl`` in the run folder), hub or no hub: ``lab.progress()`` reads it.

On the room's hub the learner's server gives its kernels ``ROOM_EVENTS_URL`` and its own
``JUPYTERHUB_API_TOKEN``; a thread then sends the file's new lines to the room's service
(``room/progress.py``), which takes the learner's name from that token, never from an
event (an event has no name in it). A cell never waits for it: whatever was not sent (no
room, the service down) is sent from the file with the next event. Each event has its own
id, so one sent twice is stored once.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import queue
import re
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lab.paths import run_dir

SCHEMA_ID = "https://github.com/fanout-lessons/events/progress"
SCHEMA: dict[str, Any] = {
    "$id": SCHEMA_ID,
    "version": "1",
    "title": "A learner's check, hint or solution",
    "description": "One exercise check, hint or solution, or one check-your-understanding cell.",
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "unique per event: one sent twice is stored once"},
        "lesson": {"type": "string", "description": "the lesson's number, 00 to 08, or ''"},
        "item": {"type": "string", "description": "the exercise, or the question's label"},
        "kind": {"enum": ["exercise", "question"]},
        "action": {"enum": ["check", "hint", "solution"]},
        "outcome": {"enum": ["passed", "not yet", "not attempted", "error"]},
        "criterion": {"type": "string", "description": "the first failing criterion, shortened"},
        "hint": {"type": "integer", "description": "the hint's number, 0 for none"},
    },
    "required": ["id", "lesson", "item", "kind", "action", "outcome", "criterion", "hint"],
    "additionalProperties": False,
}
MAX_BYTES = 16 * 1024  # the service refuses a larger event

_lock = threading.Lock()
_state: dict[str, Any] = {}


def path() -> Path:
    return run_dir() / "progress.jsonl"


def lesson_here() -> str:
    """The lesson this kernel runs (its notebook, from Jupyter's ``JPY_SESSION_NAME``), or ''."""
    found = re.match(r"(\d\d)_", Path(os.environ.get("JPY_SESSION_NAME", "")).name)
    return found.group(1) if found else ""


def short(text: str) -> str:
    """A criterion's short name: its words before the measured figure (``…: 1002 ms``)."""
    return re.split(r"[:(—]", text, maxsplit=1)[0].strip()[:80]


def emit(item: str, kind: str, action: str, outcome: str, **more: Any) -> None:
    """Record one event: never raises, never waits (a thread writes it, then sends it)."""
    data = {"id": uuid.uuid4().hex, "lesson": more.get("lesson") or lesson_here(), "item": item}
    data |= {"kind": kind, "action": action, "outcome": outcome}
    data |= {"criterion": short(more.get("criterion") or ""), "hint": int(more.get("hint") or 0)}
    at = datetime.now(UTC).replace(tzinfo=None)  # jupyter_events appends the Z
    with _lock:
        if "queue" not in _state:
            _state["queue"] = queue.Queue()
            threading.Thread(target=_write_and_send, name="progress events", daemon=True).start()
            atexit.register(_state["queue"].join)  # a kernel shut down right after: written
    _state["queue"].put((data, at))


def _write_and_send() -> None:
    """Write each event to the learner's file, then (on the hub) send what is unsent."""
    events: queue.Queue = _state["queue"]
    while True:
        try:
            data, at = events.get(timeout=10)
        except queue.Empty:
            data = None  # nothing new: try the unsent again (the service was down)
        try:
            if data is not None:
                _logger().emit(schema_id=SCHEMA_ID, data=data, timestamp_override=at)
        except Exception as e:  # noqa: BLE001 - a lesson goes on whatever the file does
            _state["error"] = f"{type(e).__name__}: {e}"
        finally:
            if data is not None:
                events.task_done()  # in the file: a kernel may exit now
        if os.environ.get("ROOM_EVENTS_URL") and os.environ.get("JUPYTERHUB_API_TOKEN"):
            with contextlib.suppress(OSError):
                send_unsent()


def _logger() -> Any:
    """The logger, writing to the run folder's file (a test may move the run folder)."""
    if _LOGGER is None:
        raise RuntimeError(_state["error"])
    if _state.get("path") != path():
        path().parent.mkdir(parents=True, exist_ok=True)
        for handler in list(_LOGGER.handlers):
            _LOGGER.remove_handler(handler)
        _LOGGER.register_handler(logging.FileHandler(path(), encoding="utf-8"))
        _state["path"] = path()
    return _LOGGER


def _event_logger() -> Any:
    """jupyter_events' EventLogger, imported in 0.4 s instead of 2.5 s, here on the main thread.

    jsonschema's formats import ``rfc3987_syntax`` when it is installed, which builds a
    parser for IRIs at import (2.4 s of one core, measured): a kernel would post its first
    check's event seconds late, and thirty learners' kernels would spend a minute of CPU on
    it. No schema here has an IRI format, so that checker is left out of this kernel.
    """
    blocked = "rfc3987_syntax" not in sys.modules
    if blocked:
        sys.modules["rfc3987_syntax"] = None  # import fails: jsonschema goes on without it
    try:
        from jupyter_events import EventLogger
    finally:
        if blocked and sys.modules.get("rfc3987_syntax", 0) is None:
            del sys.modules["rfc3987_syntax"]
    return EventLogger


def _ready() -> Any:
    """An EventLogger with the schema, one event already validated: everything it imports.

    Here, with this module (a lesson's import cell), never on the writing thread: an import
    there changes sys.modules while the kernel's own code may be iterating it (CI saw the
    RuntimeError).
    """
    try:
        logger = _event_logger()(handlers=[logging.NullHandler()])
    except ImportError as e:  # a kernel without jupyter_events: its cells run, nothing is kept
        _state["error"] = f"no events: {e}"
        return None
    logger.register_event_schema(SCHEMA)
    sample = dict.fromkeys(("id", "lesson", "item", "criterion"), "")
    logger.emit(
        schema_id=SCHEMA_ID,
        data=sample | {"kind": "question", "action": "check"} | {"outcome": "passed", "hint": 0},
    )
    logger.remove_handler(logger.handlers[0])
    return logger


_LOGGER = _ready()


def send_unsent() -> int:
    """POST every line after the last one the service acknowledged; the number sent."""
    sent_file = path().with_suffix(".sent")
    try:
        offset = int(sent_file.read_text() or 0)
    except (OSError, ValueError):
        offset = 0
    with path().open("rb") as f:
        f.seek(offset)
        lines = f.read().splitlines(keepends=True)
    sent = 0
    for line in lines:
        if not line.endswith(b"\n"):
            break  # still being written
        status = _post(line.strip())
        if not (200 <= status < 300 or status in (400, 413)):
            break  # not there, or the token not (yet) accepted: the next event tries again
        offset += len(line)  # stored, or refused for good (malformed): either way never again
        sent += 1
        sent_file.write_text(str(offset))
    return sent


def _post(body: bytes) -> int:
    request = urllib.request.Request(
        os.environ["ROOM_EVENTS_URL"],
        data=body,
        method="POST",
        headers={
            "Authorization": f"token {os.environ['JUPYTERHUB_API_TOKEN']}",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


def events(file: Path | None = None) -> list[dict[str, Any]]:
    """The learner's own events, from their file (a line that is not JSON is skipped)."""
    found = []
    with contextlib.suppress(OSError), (file or path()).open(encoding="utf-8") as f:
        for line in f:
            with contextlib.suppress(ValueError):
                found.append(json.loads(line))
    return found


def progress() -> Any:
    """Your own row: each exercise's latest check and the hints you used, from your own file."""
    from IPython.display import HTML

    from lab.checks.standing import row, table

    mine = events()
    name = os.environ.get("JUPYTERHUB_USER") or "you"
    note = "" if mine else "<p>No check yet: run an exercise's check() and this row fills in.</p>"
    return HTML(table({name: row(mine, time.time())}) + note)
