"""The room's service: every learner's checks, stored, and the instructor's live page.

A JupyterHub-managed service at ``/services/room/`` (``room/hub_config.py`` starts it).
A learner's kernel POSTs its events (``lab.checks.progress``) to ``api/events`` with its
own hub token; the hub says whose token it is, and that name is the one stored: an
event has no name field, and one with any field the schema does not know is refused.
The events live in SQLite in the room's folder, so a restart of this service or of the
hub loses none. Pages and reads go through the hub's OAuth: the instructor (the hub's
admin, named in ``ROOM_INSTRUCTOR``) gets the room, a learner only their own row.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import secrets
import sqlite3
import time
from pathlib import Path
from typing import Any

from jsonschema import ValidationError
from jupyter_events.schema import EventSchema
from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import url_path_join
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from lab.checks.progress import MAX_BYTES, SCHEMA, SCHEMA_ID
from lab.checks.standing import EXERCISES, mark, row

CAPSULE = ("__timestamp__", "__schema__", "__schema_version__", "__metadata_version__")
PAGE = Path(__file__).parent / "templates" / "progress.html"


class Store:
    """Events by learner, in SQLite; an event's id is stored once however often it is sent."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, learner TEXT NOT NULL,"
            " received REAL NOT NULL, body TEXT NOT NULL)"
        )
        self.db.commit()

    def add(self, learner: str, event: dict[str, Any]) -> bool:
        found = self.db.execute(
            "INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?)",
            (event["id"], learner, time.time(), json.dumps(event)),
        )
        self.db.commit()
        return found.rowcount == 1

    def by_learner(self, learner: str | None = None) -> dict[str, list[dict[str, Any]]]:
        query, args = "SELECT learner, received, body FROM events", ()
        if learner is not None:
            query, args = query + " WHERE learner = ?", (learner,)
        found: dict[str, list[dict[str, Any]]] = {}
        for name, received, body in self.db.execute(query + " ORDER BY received", args):
            found.setdefault(name, []).append({**json.loads(body), "received": received})
        return found


def refusal(body: bytes) -> str | None:
    """Why an event is refused (one line), or None: size, JSON, schema and version, fields."""
    if len(body) > MAX_BYTES:
        return f"an event is at most {MAX_BYTES} bytes, this one {len(body)}"
    try:
        event = json.loads(body)
    except ValueError:
        return "an event is one JSON object"
    if not isinstance(event, dict):
        return "an event is one JSON object"
    if (event.get("__schema__"), str(event.get("__schema_version__"))) != (SCHEMA_ID, "1"):
        return f"unknown schema {event.get('__schema__')!r} version {event.get('__schema_version__')!r}"
    try:
        VALIDATOR.validate({k: v for k, v in event.items() if k not in CAPSULE})
    except ValidationError as e:
        return f"not a progress event: {e.message}"
    return None


VALIDATOR = EventSchema(SCHEMA)


class Handler(HubOAuthenticated, web.RequestHandler):
    def initialize(self, store: Store) -> None:
        self.store = store

    def who(self) -> str | None:
        user = self.get_current_user()
        return user["name"] if user else None

    def instructor(self) -> str:
        name = self.who()
        if name is None:
            raise web.HTTPError(403, "sign in to the room first")
        if name != os.environ["ROOM_INSTRUCTOR"]:
            raise web.HTTPError(403, "this page is the instructor's: your own row is at me")
        return name

    def learners(self) -> list[str]:
        """Everyone the hub knows, in sign-up order, and anyone with events (a deleted user)."""
        names = [n for n in self.settings["hub_users"]() if n != os.environ["ROOM_INSTRUCTOR"]]
        return names + [n for n in self.store.by_learner() if n not in names]

    def rows(self, names: list[str]) -> dict[str, Any]:
        events, now = self.store.by_learner(), time.time()
        rows = {name: row(events.get(name, []), now) for name in names}
        for r in rows.values():  # each cell's text as lab.progress() writes it, for the page
            for cell in r["cells"].values():
                cell["text"] = mark(cell)
        counts = {
            x: {o: sum(r["cells"][x]["outcome"] == o for r in rows.values()) for o in OUTCOMES}
            for x in EXERCISES
        }
        return {"exercises": EXERCISES, "rows": rows, "counts": counts, "now": now}


OUTCOMES = ("passed", "not yet", "error", "not attempted")


class Events(Handler):
    def post(self) -> None:
        name = self.who()
        if name is None:
            raise web.HTTPError(403, "an event needs its learner's hub token")
        why = refusal(self.request.body)
        if why is not None:
            raise web.HTTPError(400, why)
        new = self.store.add(name, json.loads(self.request.body))
        self.set_status(201 if new else 200)
        self.finish({"stored": new})


class Rows(Handler):
    @web.authenticated
    def get(self, learner: str = "") -> None:
        name = self.who()
        if learner in ("", None):
            self.instructor()
            self.finish(self.rows(self.learners()))
        elif learner in ("me", name) or name == os.environ["ROOM_INSTRUCTOR"]:
            self.finish(self.rows([name if learner == "me" else learner]))
        else:
            raise web.HTTPError(403, "another learner's row is theirs")


class Page(Handler):
    @web.authenticated
    def get(self, which: str = "") -> None:
        if which != "me":
            self.instructor()
        self.set_header("Content-Type", "text/html; charset=utf-8")
        page = PAGE.read_text().replace("{{ rows }}", "api/rows/me" if which else "api/rows")
        # The page's own reads carry the XSRF token (the hub's OAuth asks it of a script's fetch).
        self.finish(page.replace("{{ xsrf }}", self.xsrf_token.decode()))


class Export(Handler):
    @web.authenticated
    def get(self) -> None:
        self.instructor()
        found = self.rows(self.learners())
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["learner", "lesson", "stuck", *EXERCISES])
        for name, r in found["rows"].items():
            writer.writerow(
                [name, r["lesson"], r["stuck"], *(mark(r["cells"][x]) for x in EXERCISES)]
            )
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", "attachment; filename=room-progress.csv")
        self.finish(out.getvalue())


def app(store: Store, folder: Path) -> web.Application:
    prefix = os.environ["JUPYTERHUB_SERVICE_PREFIX"]
    auth = HubOAuth(api_token=os.environ["JUPYTERHUB_API_TOKEN"], cache_max_age=60)
    secret = folder / "progress-cookie-secret"  # the instructor stays signed in across restarts
    if not secret.exists():
        secret.write_text(secrets.token_hex(32))
        secret.chmod(0o600)
    users: list[str] = []

    def hub_users() -> list[str]:
        return users

    async def refresh() -> None:  # the hub's users, so a learner without events has a row
        while True:
            try:
                answer = await AsyncHTTPClient().fetch(
                    url_path_join(auth.api_url, "users"),
                    headers={"Authorization": f"token {auth.api_token}"},
                )
                users[:] = [u["name"] for u in json.loads(answer.body)]
            except (OSError, HTTPClientError, ValueError):
                pass  # the hub restarting: next time
            await asyncio.sleep(5)

    settings = {
        "hub_auth": auth,
        "cookie_secret": secret.read_text(),
        "hub_users": hub_users,
        "xsrf_cookie_kwargs": {"path": prefix},  # not the hub's nor a learner's server's
    }
    routes = [
        (prefix, Page),
        (url_path_join(prefix, "(me)"), Page),
        (url_path_join(prefix, "api/events"), Events),
        (url_path_join(prefix, "api/rows"), Rows),
        (url_path_join(prefix, "api/rows/([^/]+)"), Rows),
        (url_path_join(prefix, "export.csv"), Export),
    ]
    handlers = [(path, h, {"store": store}) for path, h in routes]
    handlers.append((url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler))
    application = web.Application(handlers, **settings)
    application.refresh = refresh
    return application


async def main() -> None:
    from tornado.log import enable_pretty_logging

    enable_pretty_logging()  # each request and its time, in the hub's log
    folder = Path(os.environ["ROOM_FOLDER"])
    application = app(Store(folder / "progress.sqlite"), folder)
    port = int(os.environ["JUPYTERHUB_SERVICE_URL"].rsplit(":", 1)[1].split("/")[0])
    application.listen(port, address="127.0.0.1")
    await application.refresh()


if __name__ == "__main__":
    asyncio.run(main())
