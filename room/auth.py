"""Signing in to the room: a name, the room's code, and a password of the learner's own.

No sign-up form: the first sign-in with a new name and the room's code creates the
account, and the password given then becomes that learner's (so nobody who merely
knows the code and a classmate's name can sign in as them). Without the room's code,
or with a wrong one, nobody gets an account; a port on a VM is reachable by anyone
on its network. The instructor signs in under the instructor's name with the
password ``scripts/room`` wrote to the room's folder, and is the hub's admin.

Every refusal is one line on the sign-in page (``HTTPError``: the hub's login form
shows its message), and nothing is stored for a refused sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import time
from pathlib import Path

from jupyterhub.auth import Authenticator
from tornado import web
from traitlets import Unicode

from room import users

MIN_PASSWORD = 6


class RoomAuthenticator(Authenticator):
    """Name + the room's code; a learner's own password from their first sign-in on."""

    room_code = Unicode(config=True, help="the code the instructor gives the room")
    instructor = Unicode("instructor", config=True, help="the admin's name")
    instructor_password = Unicode(config=True, help="the admin's password (in the room's folder)")
    passwords = Unicode(config=True, help="the SQLite file of the learners' password hashes")

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.passwords, timeout=10)
        db.execute(
            "CREATE TABLE IF NOT EXISTS learners (name TEXT PRIMARY KEY, salt BLOB, hash BLOB, t REAL)"
        )
        return db

    def authenticate(self, handler: object, data: dict[str, str]) -> str:
        typed, code = data.get("username", ""), data.get("code", "")
        password = data.get("password", "")
        if not hmac.compare_digest(code.strip().encode(), self.room_code.encode()):
            raise web.HTTPError(403, "that is not this room's code: ask your instructor for it")
        why = users.refusal(typed)
        if why:
            raise web.HTTPError(403, why)
        name = users.hub_name(typed)
        if name == self.instructor:
            if not hmac.compare_digest(password.encode(), self.instructor_password.encode()):
                raise web.HTTPError(403, f"{name} is the instructor's name: use your own")
            return name
        if len(password) < MIN_PASSWORD:
            raise web.HTTPError(403, f"choose a password of at least {MIN_PASSWORD} characters")
        with self._db() as db:
            row = db.execute("SELECT salt, hash FROM learners WHERE name = ?", (name,)).fetchone()
            if row is None:  # a new learner: their password from now on
                salt = os.urandom(16)
                db.execute(
                    "INSERT INTO learners VALUES (?, ?, ?, ?)",
                    (name, salt, _hash(password, salt), time.time()),
                )
                return name
        if not hmac.compare_digest(_hash(password, row[0]), row[1]):
            raise web.HTTPError(
                403, f"{name} is taken, with another password: yours, or choose another name"
            )
        return name

    def forget(self, name: str) -> bool:
        """Drop a learner's password (the instructor, for one who forgot it): their next sign-in sets it."""
        with self._db() as db:
            return db.execute("DELETE FROM learners WHERE name = ?", (name,)).rowcount > 0


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 200_000)


def forget(passwords: Path, name: str) -> bool:
    """``scripts/room forget NAME``: without a hub running."""
    return RoomAuthenticator(passwords=str(passwords)).forget(name)
