"""What a simulated provider received, in the send ledger: requests, keys, lost and held answers.

Lesson 4's SMS gateway (``lab.checks.gateway``) records every request here with its
idempotency key, and delivers only when no earlier request with that key did, in
one transaction, so two worker processes sending with one key at once deliver
once. A check can lose the answer to a request after it delivered (the call fails,
the message is out) or hold it until the check has killed the worker mid-call.

``ProviderRecords`` is ``Ledger``'s half that does this, on the ledger's own
connection (``_db``, ``_read``, ``_write``).
"""

from __future__ import annotations

import os

from lab.orders import wall

PROVIDER_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    order_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    idempotency_key TEXT,
    pid INTEGER NOT NULL,
    t REAL NOT NULL,
    delivered INTEGER NOT NULL,
    message_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_order ON requests(order_id);
CREATE TABLE IF NOT EXISTS lost_answers (
    order_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    request INTEGER NOT NULL,
    PRIMARY KEY (order_id, channel, request)
);
CREATE TABLE IF NOT EXISTS held_answers (
    order_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    request INTEGER NOT NULL,
    released REAL,
    PRIMARY KEY (order_id, channel, request)
);
"""


class ProviderRecords:
    """The ``requests``, ``lost_answers`` and ``held_answers`` tables of the send ledger."""

    def provider_request(
        self, order_id: str, channel: str, key: str | None, message_id: str
    ) -> tuple[bool, str]:
        """A provider received a request: deliver, unless a request with this key already did.

        Returns (delivered, message id). One transaction, so two workers
        sending with the same key at once deliver once.
        """
        db = self._db()
        with db:
            db.execute("BEGIN IMMEDIATE")
            earlier = (
                key is not None
                and db.execute(
                    "SELECT message_id FROM requests WHERE channel = ? AND idempotency_key = ? AND delivered = 1",
                    (channel, key),
                ).fetchone()
            )
            delivered = not earlier
            message_id = message_id if delivered else earlier[0]
            db.execute(
                "INSERT INTO requests VALUES (?, ?, ?, ?, ?, ?, ?)",
                (order_id, channel, key, os.getpid(), wall.now(), int(delivered), message_id),
            )
        return delivered, message_id

    def lose_answer(self, order_id: str, channel: str, request: int) -> None:
        """The provider's answer to the ``request``-th request (1, 2, …) is lost after it delivered."""
        db = self._db()
        with db:
            db.execute(
                "INSERT OR REPLACE INTO lost_answers VALUES (?, ?, ?)", (order_id, channel, request)
            )

    def _last_request(self, order_id: str, channel: str) -> int:
        """The number (1, 2, …) of the request just recorded for this order and channel."""
        return self._read(
            "SELECT COUNT(*) FROM requests WHERE order_id = ? AND channel = ?", (order_id, channel)
        )[0][0]

    def answer_lost(self, order_id: str, channel: str) -> bool:
        """Is the answer to the request just recorded for this order and channel to be lost?"""
        return bool(
            self._read(
                "SELECT 1 FROM lost_answers WHERE order_id = ? AND channel = ? AND request = ?",
                (order_id, channel, self._last_request(order_id, channel)),
            )
        )

    def hold_answer(self, order_id: str, channel: str, request: int) -> None:
        """The provider's answer to the ``request``-th request waits for ``release_answers``.

        A check that kills the worker mid-call holds the answer, so the kill lands
        while the call is open however long the check takes to see the request.
        """
        db = self._db()
        with db:
            db.execute(
                "INSERT OR REPLACE INTO held_answers VALUES (?, ?, ?, NULL)",
                (order_id, channel, request),
            )

    def release_answers(self, order_id: str, channel: str) -> None:
        db = self._db()
        with db:
            db.execute(
                "UPDATE held_answers SET released = ? WHERE order_id = ? AND channel = ? "
                "AND released IS NULL",
                (wall.now(), order_id, channel),
            )

    def answer_held(self, order_id: str, channel: str) -> bool:
        """Is the answer to the request just recorded for this order and channel held?"""
        return bool(
            self._read(
                "SELECT 1 FROM held_answers WHERE order_id = ? AND channel = ? AND request = ? "
                "AND released IS NULL",
                (order_id, channel, self._last_request(order_id, channel)),
            )
        )

    def requests(self, order_id: str, channel: str) -> list[tuple[str | None, int, bool]]:
        """What the provider of ``channel`` received for an order: (key, pid, delivered) in order."""
        rows = self._read(
            "SELECT idempotency_key, pid, delivered FROM requests WHERE order_id = ? AND channel = ? ORDER BY t",
            (order_id, channel),
        )
        return [(k, pid, bool(d)) for k, pid, d in rows]
