"""The room's hub for the tests: ``scripts/room`` as root in a folder and prefix of its own.

``hub`` (a module fixture: one hub per test module) opens a room with a cap of three
servers and closes it, checking that no process and no test learner is left.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import requests

from room.client import Learner, start_room
from tests.conftest import ROOT, free_port

CODE = "test-room-42"
ROOM = str(ROOT / "scripts" / "room")


def room(
    *args: str, env: dict[str, str] | None = None, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*prefix, ROOM, *args],
        capture_output=True,
        text=True,
        timeout=1200,
        env=env or dict(os.environ),
    )


def hub_processes(folder: Path) -> list[psutil.Process]:
    """The hub, its proxy and its services: processes started from the room's folder."""
    found = []
    for p in psutil.process_iter(["cmdline", "cwd", "username"]):
        try:
            line = " ".join(p.info["cmdline"] or [])
            if p.info["cwd"] == str(folder) or ("jupyterhub" in line and str(folder) in line):
                found.append(p)
        except (psutil.Error, TypeError):
            continue
    return found


@pytest.fixture(scope="module", name="hub")
def open_room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    folder = tmp_path_factory.mktemp("room")
    prefix = Path(f"/opt/fanout-lessons-test-{uuid.uuid4().hex[:8]}")
    port = free_port()
    opened = start_room(
        Path(ROOM), port=port, folder=folder, prefix=prefix, code=CODE, max_servers=3
    )
    try:
        assert opened.returncode == 0, opened.stdout + opened.stderr[-3000:]
        assert f":{port}/" in opened.stdout and f"room code: {CODE}" in opened.stdout, opened.stdout
        assert f":{port}/services/room/" in opened.stdout  # the instructor's view
        token = (folder / "admin-token").read_text().strip()
        assert (folder / "admin-token").stat().st_mode & 0o777 == 0o600
        yield {
            "url": f"http://127.0.0.1:{port}",
            "folder": folder,
            "prefix": prefix,
            "admin": token,
        }
    finally:
        closed = room("stop", "--folder", str(folder), "--remove-learners")
        left = hub_processes(folder)
        shutil.rmtree(prefix, ignore_errors=True)
        assert closed.returncode == 0, closed.stderr
        assert not left, f"left running: {[p.info['cmdline'] for p in left]}"
        from room import users

        assert not [u for u in users.learners() if u.pw_name.startswith("jupyter-test")]


def admin(hub: dict, path: str) -> requests.Response:
    return requests.get(
        f"{hub['url']}/hub/api{path}",
        headers={"Authorization": f"token {hub['admin']}"},
        timeout=30,
    )


def signed_in(hub: dict, name: str) -> Learner:
    learner = Learner(hub["url"], name, CODE)
    assert learner.sign_in().status_code == 302, f"{name} could not sign in"
    learner.get_token()
    return learner
