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
import time
import uuid
from pathlib import Path

import psutil
import pytest
import requests

from room.client import LESSONS_2_3_4, Learner
from tests.conftest import chromium, free_port
from tests.hub import CODE, admin, open_room, room, signed_in  # noqa: F401 - the hub fixture

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="the room needs root (a Unix user per learner)"
)


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

    # Each learner's server is on a port of their own, below the ephemeral ports another
    # process may bind at random (room.spawner.own_port: a 30-learner run lost one to that).
    from room.processes import RESERVED

    ports = {}
    for p in psutil.process_iter(["username", "cmdline"]):
        user, line = p.info["username"] or "", " ".join(p.info["cmdline"] or [])
        if user.startswith("jupyter-test-") and "jupyterhub-singleuser" in line:
            url = p.environ().get("JUPYTERHUB_SERVICE_URL", "")
            ports[user] = int(url.rsplit(":", 1)[1].split("/")[0])
    assert len(set(ports.values())) == 3 and set(ports.values()) <= set(RESERVED), ports

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


def test_the_instructor_sees_every_check_live(hub: dict) -> None:
    """Three learners' real checks reach the instructor's page in chromium within 2 s."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    learners = [signed_in(hub, f"test-{who}") for who in ("ada", "bo", "cy")]
    for learner in learners:
        learner.start_server()  # still running from the first test, or started again
    checks = {  # a pass, a not-yet, a hint: each in the learner's own kernel, for real
        "test-ada": ("fan_out.check(fan_out.load('solution'))", "✓"),
        "test-bo": ("fan_out.check(fan_out.load('practice'))", "✗ "),
        "test-cy": ("fan_out.hint()", "– · 1 hint"),
    }
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(f"{hub['url']}/hub/login?next=%2Fservices%2Froom%2F")
        page.fill("#username_input", "instructor")
        page.fill("#code_input", CODE)
        page.fill("#password_input", (hub["folder"] / "instructor-password").read_text().strip())
        page.click("[type=submit]")
        page.wait_for_selector("tr[data-learner='test-cy']", timeout=30_000)
        for learner in learners:
            code, shows = checks[learner.name]
            out = learner.kernel().run(
                f"import time\nfrom lab.checks import fan_out\n{code}\nprint(time.time())"
            )
            done = float(out.strip().splitlines()[-1])
            cell = page.locator(f"tr[data-learner='{learner.name}'] td[data-exercise='fan_out']")
            while shows not in cell.text_content():  # no reload: the page polls by itself
                assert time.time() - done <= 2.0, (learner.name, cell.text_content(), out[-600:])
                time.sleep(0.05)
        assert page.locator("td[data-count='fan_out']").text_content() == "1 / 1"  # at the top
        assert "stuck" not in page.locator("#room tbody").inner_html()  # one ✗ is not stuck
        for theme in ("light", "dark"):
            if page.evaluate("document.documentElement.dataset.theme") != theme:
                page.click("#theme")
            found = Axe().run(page, options={"resultTypes": ["violations"]})
            bad = [
                v["id"]
                for v in found.response["violations"]
                if v["impact"] in ("serious", "critical")
            ]
            assert not bad, (theme, bad)
        browser.close()

    # Identity comes from the hub's token, never from the event.
    ada = learners[0]
    service = f"{hub['url']}/services/room"
    as_ada = {"Authorization": f"token {ada.token}"}

    def stored() -> dict[str, int]:
        rows = requests.get(
            f"{service}/api/rows", headers={"Authorization": f"token {hub['admin']}"}, timeout=30
        ).json()["rows"]
        return {name: r["events"] for name, r in rows.items()}

    before = stored()
    assert before["test-ada"] >= 1 and before["test-bo"] >= 1 and before["test-cy"] >= 1, before
    event = {
        "__timestamp__": "2026-12-06T10:00:00Z",
        "__schema__": "https://github.com/fanout-lessons/events/progress",
        "__schema_version__": "1",
        "__metadata_version__": 1,
        "id": uuid.uuid4().hex,
        "lesson": "02",
        "item": "fan_out",
        "kind": "exercise",
        "action": "check",
        "outcome": "passed",
        "criterion": "",
        "hint": 0,
    }
    refused = {
        "a forged name": json.dumps({**event, "learner": "test-bo"}),
        "not JSON": "fan_out passed",
        "oversized": json.dumps({**event, "criterion": "x" * 17_000}),
        "an unknown schema": json.dumps({**event, "__schema__": "https://example.org/other"}),
        "an unknown version": json.dumps({**event, "__schema_version__": "2"}),
    }
    for why, body in refused.items():
        answer = requests.post(f"{service}/api/events", data=body, headers=as_ada, timeout=30)
        assert answer.status_code == 400, (why, answer.status_code, answer.text[:200])
    assert stored() == before  # none of them stored
    sent = requests.post(
        f"{service}/api/events", data=json.dumps(event), headers=as_ada, timeout=30
    )
    again = requests.post(
        f"{service}/api/events", data=json.dumps(event), headers=as_ada, timeout=30
    )
    assert (sent.status_code, again.status_code) == (201, 200)  # stored once, as ada's
    assert stored() == {**before, "test-ada": before["test-ada"] + 1}
    for path in ("/", "/api/rows", "/api/rows/test-bo", "/export.csv"):  # the room is not hers
        answer = requests.get(service + path, headers=as_ada, timeout=30, allow_redirects=False)
        assert answer.status_code == 403, (path, answer.status_code)
    mine = requests.get(f"{service}/api/rows/me", headers=as_ada, timeout=30).json()["rows"]
    assert (
        list(mine) == ["test-ada"] and mine["test-ada"]["cells"]["fan_out"]["outcome"] == "passed"
    )
    no_token = requests.post(f"{service}/api/events", data=json.dumps(event), timeout=30)
    assert no_token.status_code == 403

    # The service restarted (the hub restarts it) keeps every event.
    service_pid = [
        p
        for p in psutil.process_iter(["cmdline"])
        if "room.progress" in " ".join(p.info["cmdline"] or [])
    ]
    assert len(service_pid) == 1
    service_pid[0].kill()  # the hub reaps it when it next looks, and starts another
    deadline = time.time() + 90
    while True:
        again = [
            p
            for p in psutil.process_iter(["cmdline", "status"])
            if "room.progress" in " ".join(p.info["cmdline"] or [])
            and p.info["status"] != psutil.STATUS_ZOMBIE
            and p.pid != service_pid[0].pid
        ]
        try:
            if again and stored() == {**before, "test-ada": before["test-ada"] + 1}:
                break
        except (requests.RequestException, ValueError):
            pass
        assert time.time() < deadline, "the room's service did not come back within 90 s"
        time.sleep(0.5)
    csv_rows = requests.get(
        f"{service}/export.csv", headers={"Authorization": f"token {hub['admin']}"}, timeout=30
    ).text.splitlines()
    assert csv_rows[0].startswith("learner,lesson,stuck,push_first,fan_out")
    assert any(r.startswith("test-ada,02,,–,✓") for r in csv_rows), csv_rows
