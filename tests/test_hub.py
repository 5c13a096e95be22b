"""The room's own JupyterHub, for real: ``scripts/room`` as root, real Unix users, three learners.

The hub starts from the README's command and stops leaving no process; three learners
sign in with the room's code, each gets a server as their own Unix user and runs lessons
2, 3 and 4 in a kernel of their own. One learner can open nothing of another's: not
their server (their token or cookie), not their files, not their Resonate server's
promises. No code, a wrong one, or a server past the cap gets nothing. Every Unix user
a test created is removed by it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import requests

from room.client import LESSONS_2_3_4, Learner
from tests.conftest import ROOT, free_port

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="the room needs root (a Unix user per learner)"
)
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


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    folder = tmp_path_factory.mktemp("room")
    prefix = Path(f"/opt/fanout-lessons-test-{uuid.uuid4().hex[:8]}")
    port = free_port()
    opened = room(
        "--port",
        str(port),
        "--folder",
        str(folder),
        "--prefix",
        str(prefix),
        "--code",
        CODE,
        "--max-servers",
        "3",
        "--idle-minutes",
        "60",
    )
    try:
        assert opened.returncode == 0, opened.stdout + opened.stderr[-3000:]
        assert f":{port}/" in opened.stdout and f"room code: {CODE}" in opened.stdout, opened.stdout
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


def test_three_learners_each_alone_on_the_machine(hub: dict) -> None:
    a, b, c = (signed_in(hub, f"test-{who}") for who in ("ada", "bo", "cy"))
    for learner in (a, b, c):
        learner.start_server()
    found = {}
    for learner in (a, b, c):
        out = learner.kernel().run(LESSONS_2_3_4)
        found[learner.name] = json.loads(out.strip().splitlines()[-1])
    for name, f in found.items():
        assert (f["fan_out_notified"], f["crash_notified"], f["kill_notified"]) == (4, 4, 4), (
            name,
            f,
        )
        assert f["fan_out_wall_ms"] < 0.8 * 950 and f["push_attempts"] == 2, (name, f)
        assert f["kills"] == 1, (name, f)

    # The admin sees the room; each learner is a Unix user with a 0700 home.
    names = {u["name"] for u in admin(hub, "/users").json()}
    assert {"test-ada", "test-bo", "test-cy"} <= names
    from room import users

    home_b = Path(f"/home/{users.system_name('test-bo')}")
    assert (
        home_b.stat().st_mode & 0o777 == 0o700
        and (home_b / "my-work" / "00_welcome.ipynb").exists()
    )

    # Lesson 8's kill on B's own server v0.9.8, in B's 0.8 kernel: it asks B's token.
    lesson8 = b.kernel("resonate-sdk-08").run(
        "import json\nfrom lab import Cluster08\ncluster = Cluster08()\n"
        "run = await cluster.run(kill_after='slack')\n"
        "print(json.dumps([run.result['channels_notified'], cluster.server.url, run.workflow_id]))\n"
    )
    b_notified, b_server09, b_order09 = json.loads(lesson8.strip().splitlines()[-1])
    assert b_notified == 4

    # A's token and A's cookie cannot open B's server.
    for how in ({"Authorization": f"token {a.token}"}, {}):
        other = a.session.get(
            f"{hub['url']}/user/test-bo/api/kernels", headers=how, allow_redirects=False, timeout=30
        )
        assert other.status_code in (302, 403), (how, other.status_code)
        if other.status_code == 302:
            assert (
                "/hub/" in other.headers["Location"]
                and "test-bo/api" not in other.headers["Location"]
            )

    # A's kernel cannot read B's work, nor read or resolve a promise on B's Resonate servers
    # (the legacy one and v0.9.8), while B's own workers finished B's orders on them (4/4 above).
    b_order, b_server = found["test-bo"]["order"], found["test-bo"]["server"]
    probe = a.kernel().run(
        "import json, urllib.request, urllib.error\n"
        "from lab.servers.credentials import open_url\n"
        f"try:\n    open({str(home_b / 'my-work' / '00_welcome.ipynb')!r}).read(); files = 'read'\n"
        "except PermissionError:\n    files = 'PermissionError'\n"
        "def status(method, path, body=None):\n"
        f"    request = urllib.request.Request({b_server!r} + path, data=body, method=method)\n"
        "    try:\n        return urllib.request.urlopen(request, timeout=5).status\n"
        "    except urllib.error.HTTPError as e:\n        return e.code\n"
        f"read = status('GET', '/promises/' + {b_order!r}.replace('/', '%2F'))\n"
        f"resolve = status('PATCH', '/promises/' + {b_order!r}.replace('/', '%2F') + '.email', "
        'b\'{"state": "RESOLVED"}\')\n'
        "try:\n"
        f"    open_url({b_server!r} + '/promises?id=notify*', 5); with_own = 200\n"
        "except urllib.error.HTTPError as e:\n    with_own = e.code\n"
        "envelope = {'kind': 'promise.get', 'head': {'corrId': 'a', 'version': '2026-04-01'}, "
        f"'data': {{'id': {b_order09!r}}}}}\n"
        f"request = urllib.request.Request({b_server09!r} + '/', data=json.dumps(envelope).encode(), "
        "headers={'Content-Type': 'application/json'})\n"
        "try:\n    v09 = urllib.request.urlopen(request, timeout=5).status\n"
        "except urllib.error.HTTPError as e:\n    v09 = e.code\n"
        "from ipykernel.connect import get_connection_info\n"
        "transport = json.loads(get_connection_info())['transport']\n"
        "print(json.dumps([files, read, resolve, with_own, v09, transport]))\n"
    )
    # ...and its kernel listens on no TCP port another learner could subscribe to.
    assert json.loads(probe.strip().splitlines()[-1]) == [
        "PermissionError",
        401,
        401,
        401,
        401,
        "ipc",
    ]


def test_no_code_or_a_wrong_one_gets_no_account_and_past_the_cap_waits(hub: dict) -> None:
    for code in ("", "wrong-code"):
        refused = Learner(hub["url"], "test-eve", code).sign_in()
        assert refused.status_code == 403 and "room's code" in refused.text
    assert admin(hub, "/users/test-eve").status_code == 404  # no account
    taken = Learner(hub["url"], "test-ada", CODE, password="someone-else").sign_in()
    assert taken.status_code == 403 and "taken" in taken.text  # a name is its first owner's
    bad = Learner(hub["url"], "9 lives!", CODE).sign_in()
    assert bad.status_code == 403 and "cannot be a name here" in bad.text
    # Three servers run (the cap): a fourth learner signs in and is told to wait.
    running = [u for u in admin(hub, "/users").json() if u.get("servers")]
    assert len(running) == 3, running
    late = signed_in(hub, "test-dee")
    with pytest.raises(RuntimeError, match=r"429.*Active user limit exceeded"):
        late.start_server(timeout=30)


def test_bad_input_is_one_line_and_starts_nothing(tmp_path: Path, hub: dict) -> None:
    busy = room("--port", hub["url"].rsplit(":", 1)[1], "--folder", str(tmp_path / "a"))
    assert busy.returncode == 2 and busy.stderr.count("\n") == 1 and "is taken" in busy.stderr
    unwritable = room("--port", str(free_port()), "--folder", "/proc/room")
    assert unwritable.returncode == 2 and "cannot write to /proc/room" in unwritable.stderr
    assert unwritable.stderr.count("\n") == 1
    as_user = room("--port", str(free_port()), prefix=("unshare", "--user", "--map-user=1000"))
    assert as_user.returncode == 2 and "run it as root" in as_user.stderr
    bare = tmp_path / "bin"  # a PATH with bash and id but no node
    bare.mkdir()
    for tool in ("bash", "id", "dirname"):
        (bare / tool).symlink_to(shutil.which(tool))
    no_node = room("--port", str(free_port()), env={**os.environ, "PATH": str(bare)})
    assert no_node.returncode == 2 and "node and npm are needed" in no_node.stderr
    for out in (busy, unwritable, as_user, no_node):
        assert out.stdout == "" and out.stderr.count("\n") == 1, out
    assert not (tmp_path / "a" / "hub.pid").exists()
