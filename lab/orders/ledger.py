"""The send ledger: every channel attempt, and so every message really sent.

One SQLite file, because the question a learner asks ("was the email sent
twice?") must be answered across everything that touched the order: retries
inside one process today, several worker processes when a server is used.
SQLite in WAL mode lets any number of processes append to the same file.

Three tables:
- ``attempts``: one row per channel attempt (start, end, outcome, process id).
  ``sent``: the provider confirmed, the customer got the message. ``failed``
  or ``killed`` after the provider was called: nobody knows; in real life the
  message may have arrived (at-least-once delivery). ``failed`` before the
  provider was called (an injected outage): nothing was sent.
- ``lines``: what the channel printed during the attempt, so a run's output is
  shown with that run and not in whichever notebook cell happens to be running.
- ``requests``: what a simulated provider (``lab.checks.gateway``) received: every
  request with its idempotency key, and whether it delivered a message or
  recognised the key and delivered nothing.
- ``workflow_steps``: when a worker process looked a workflow up to run a
  step (the generator itself is never wrapped), so a kill can find it.
- ``faults``: the failures, delays and outages injected into an order, read by
  whichever process runs the channel; ``lifted`` says when an outage ended.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from channels import CHANNELS
from lab.draw.tables import html_table
from lab.orders import wall
from lab.orders.faults import Fault
from lab.orders.provider_records import PROVIDER_SCHEMA, ProviderRecords

_SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    pid INTEGER NOT NULL,
    started REAL NOT NULL,
    ended REAL,
    outcome TEXT NOT NULL DEFAULT 'running',
    error TEXT,
    provider_called INTEGER NOT NULL DEFAULT 1,
    deadline REAL
);
CREATE INDEX IF NOT EXISTS attempts_order ON attempts(order_id);
CREATE TABLE IF NOT EXISTS lines (
    order_id TEXT NOT NULL,
    t REAL NOT NULL,
    channel TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS lines_order ON lines(order_id);
CREATE TABLE IF NOT EXISTS workflow_steps (
    name TEXT NOT NULL,
    pid INTEGER NOT NULL,
    t REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS faults (
    order_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    fail_first INTEGER NOT NULL,
    extra_ms INTEGER NOT NULL,
    down INTEGER NOT NULL DEFAULT 0,
    hang INTEGER NOT NULL DEFAULT 0,
    lifted REAL,
    PRIMARY KEY (order_id, channel)
);
"""
# Columns added since the first version: a ledger file left by it gets them on open.
_ADDED_COLUMNS = (
    ("attempts", "provider_called", "INTEGER NOT NULL DEFAULT 1"),
    ("attempts", "deadline", "REAL"),
    ("faults", "down", "INTEGER NOT NULL DEFAULT 0"),
    ("faults", "hang", "INTEGER NOT NULL DEFAULT 0"),
    ("faults", "lifted", "REAL"),
)


@dataclass(frozen=True)
class Attempt:
    """One execution of one channel function, as the ledger saw it."""

    order_id: str
    channel: str
    attempt: int
    pid: int
    started: float
    ended: float | None
    outcome: str  # running | sent | failed | killed
    error: str | None
    provider_called: bool = True
    deadline: float | None = (
        None  # the branch's promise times out then (epoch s); no retry after it
    )

    @property
    def delivery(self) -> str:
        """Did the customer get this attempt's message: ``yes``, ``no`` or ``unknown``."""
        if self.outcome == "sent":
            return "yes"
        if self.outcome == "running":
            return "pending"
        return "unknown" if self.provider_called else "no"

    @property
    def duration_ms(self) -> int | None:
        return None if self.ended is None else round((self.ended - self.started) * 1000)


class Ledger(ProviderRecords):
    """The SQLite send ledger at ``path`` (created on first use)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        db = self._db()
        db.execute("PRAGMA journal_mode=WAL")
        with db:
            db.executescript(_SCHEMA + PROVIDER_SCHEMA)
            for table, column, declaration in _ADDED_COLUMNS:  # a ledger from an earlier version
                if column not in {row[1] for row in db.execute(f"PRAGMA table_info({table})")}:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    def _db(self) -> sqlite3.Connection:
        """One connection per thread: opening one per write costs milliseconds on the critical path."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(self.path, timeout=30)
            db.execute("PRAGMA synchronous=NORMAL")
        return db

    def _write(self, sql: str, params: tuple) -> int:
        db = self._db()
        with db:
            return db.execute(sql, params).lastrowid or 0

    def _read(self, sql: str, params: tuple) -> list[tuple]:
        return self._db().execute(sql, params).fetchall()

    # -- written by the observing registry, in whichever process runs a channel

    def begin(
        self,
        order_id: str,
        channel: str,
        attempt: int,
        *,
        provider_called: bool = True,
        deadline: float | None = None,
    ) -> int:
        return self._write(
            "INSERT INTO attempts (order_id, channel, attempt, pid, started, provider_called, "
            "deadline) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (order_id, channel, attempt, os.getpid(), wall.now(), int(provider_called), deadline),
        )

    def next_attempt(self, order_id: str, channel: str) -> int:
        """The number of ``channel``'s next attempt in this order: the ledger's count, + 1.

        One numbering for both SDKs: a channel re-run on another worker after a kill is
        attempt 2 (the SDK counts it 1 again there).
        """
        return (
            1
            + self._read(
                "SELECT COUNT(*) FROM attempts WHERE order_id = ? AND channel = ?",
                (order_id, channel),
            )[0][0]
        )

    def mark_killed(self, pid: int) -> int:
        """Close the attempts a killed process left running; returns how many."""
        db = self._db()
        with db:
            return db.execute(
                "UPDATE attempts SET outcome = 'killed', ended = ?, error = 'worker process "
                "killed' WHERE pid = ? AND outcome = 'running'",
                (wall.now(), pid),
            ).rowcount

    def end(
        self, row: int, outcome: str, error: str | None, lines: list[tuple[float, str]]
    ) -> None:
        """Close an attempt and file what the channel printed, in one transaction."""
        ended = wall.now()
        db = self._db()
        with db:
            db.execute(
                "UPDATE attempts SET ended = ?, outcome = ?, error = ? WHERE id = ?",
                (ended, outcome, error, row),
            )
            db.executemany(
                "INSERT INTO lines SELECT order_id, ?, channel, ? FROM attempts WHERE id = ?",
                [(t, text, row) for t, text in lines],
            )

    def set_faults(self, order_id: str, faults: dict[str, Fault]) -> None:
        db = self._db()
        with db:
            db.executemany(
                "INSERT OR REPLACE INTO faults VALUES (?, ?, ?, ?, ?, ?, NULL)",
                [
                    (order_id, channel, f.fail_first, f.extra_ms, int(f.down), int(f.hang))
                    for channel, f in faults.items()
                ],
            )

    def fault(self, order_id: str, channel: str) -> tuple[Fault, bool]:
        """The fault injected into this order's channel, and whether its outage is over."""
        rows = self._read(
            "SELECT fail_first, extra_ms, down, hang, lifted FROM faults "
            "WHERE order_id = ? AND channel = ?",
            (order_id, channel),
        )
        if not rows:
            return Fault(), False
        fail_first, extra_ms, down, hang, lifted = rows[0]
        return Fault(fail_first, extra_ms, bool(down), bool(hang)), lifted is not None

    def lift(self, channel: str) -> list[str]:
        """``channel``'s provider is back: every order's outage on it ends now; their order ids."""
        db = self._db()
        with db:
            db.execute("BEGIN IMMEDIATE")
            where = "channel = ? AND lifted IS NULL AND (down OR hang)"
            rows = db.execute(f"SELECT order_id FROM faults WHERE {where}", (channel,)).fetchall()
            db.execute(f"UPDATE faults SET lifted = ? WHERE {where}", (wall.now(), channel))
        return [order for (order,) in rows]

    def workflow_step(self, name: str) -> None:
        """This process is about to run a step of workflow ``name``."""
        self._write("INSERT INTO workflow_steps VALUES (?, ?, ?)", (name, os.getpid(), wall.now()))

    def first_workflow_step(self, since: float) -> int | None:
        """The process that ran the first workflow step at or after ``since``."""
        rows = self._read(
            "SELECT pid FROM workflow_steps WHERE t >= ? ORDER BY t LIMIT 1", (since,)
        )
        return rows[0][0] if rows else None

    # -- read by the lessons

    def attempts(self, order_id: str) -> list[Attempt]:
        rows = self._read(
            "SELECT order_id, channel, attempt, pid, started, ended, outcome, error, "
            "provider_called, deadline FROM attempts WHERE order_id = ? ORDER BY started",
            (order_id,),
        )
        return [Attempt(*row[:8], provider_called=bool(row[8]), deadline=row[9]) for row in rows]

    def lines(self, order_id: str) -> list[str]:
        return [
            text
            for (text,) in self._read(
                "SELECT text FROM lines WHERE order_id = ? ORDER BY t", (order_id,)
            )
        ]

    def sends(self, order_id: str) -> dict[str, int]:
        """How many times each channel's message really reached the customer."""
        counts = dict.fromkeys(CHANNELS, 0)
        for channel, n in self._read(
            "SELECT channel, COUNT(*) FROM attempts WHERE order_id = ? AND outcome = 'sent' GROUP BY channel",
            (order_id,),
        ):
            counts[channel] = n
        return counts

    def table(self, order_id: str) -> str:
        """The ledger of one order as a small HTML table: attempts, and what reached the customer."""
        attempts = self.attempts(order_id)
        rows = []
        for channel in CHANNELS:
            mine = [a for a in attempts if a.channel == channel]
            sent = sum(a.delivery == "yes" for a in mine)
            unknown = sum(a.delivery == "unknown" for a in mine)
            verdict = "✓ once" if sent == 1 else ("✗ never" if sent == 0 else f"⚠ {sent} times")
            if unknown:
                verdict += f" · ⚠ +{unknown} may have arrived"
            rows.append(
                (channel, len(mine), sent, unknown, sum(a.delivery == "no" for a in mine), verdict)
            )
        headers = (
            "channel",
            "attempts",
            "confirmed sent",
            "may have arrived (failed or killed mid-call)",
            "not sent",
            "",
        )
        return html_table(headers, rows, caption=f"Send ledger — {order_id}")
