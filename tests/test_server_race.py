"""The server the project builds never loses a workflow's wake-up (issue: the create-callback race).

A workflow that waits on a branch asks the server for a resume callback on that
branch's promise while the branch may be resolving at that very moment. The
legacy server v0.7.25 as released reads the promise and inserts the callback in
two transactions; when the branch resolves in between, it answers 200 with the
stale PENDING promise and no callback, and SDK 0.6.7 waits for a resume that never
comes (``../shared/repro/lost-wakeup``). ``scripts/install-server.sh`` patches
that (``scripts/patches/``). Here the two requests race on purpose, from two
threads, spread over the window between the server's two store steps, with no SDK.

Against the unpatched binary (``RESONATE_SERVER_BIN=…``) the same test fails: 4 of
400 answers were stale on this machine.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from lab.servers.legacy import LocalServer, server_binary

TRIALS = 1200

pytestmark = pytest.mark.skipif(server_binary() is None, reason="needs the Resonate server")


def _call(base: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def _race_once(base: str, root: str, leaf: str, far: int, *, delay: float) -> dict:
    """Create-callback on ``leaf`` and resolve it from two threads at the same moment."""
    answers: dict[str, tuple[int, dict]] = {}
    go = threading.Barrier(2)

    def callback() -> None:
        go.wait()
        body = {"rootPromiseId": root, "timeout": far, "recv": "poll://any@nobody"}
        answers["cb"] = _call(base, "POST", f"/promises/callback/{leaf}", body)

    def resolve() -> None:
        go.wait()
        time.sleep(delay)  # spread the resolve over the callback's store steps
        body = {"state": "RESOLVED", "value": {}}
        answers["rs"] = _call(base, "PATCH", f"/promises/{leaf}", body)

    threads = [threading.Thread(target=callback), threading.Thread(target=resolve)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def race(base: str, tag: str, trials: int) -> dict[str, list[tuple[str, str]]]:
    """Create-callback on a leaf while the leaf is resolved; the answers, by kind."""
    far = int((time.time() + 3600) * 1000)
    kinds: dict[str, list[tuple[str, str]]] = {
        "created": [],
        "completed": [],
        "stale": [],
        "other": [],
    }
    for i in range(trials):
        root, leaf = f"race-{tag}/{i}", f"race-{tag}/{i}.leaf"
        for pid in (root, leaf):
            _call(base, "POST", "/promises", {"id": pid, "timeout": far, "param": {}, "tags": {}})
        answers = _race_once(base, root, leaf, far, delay=(i % 7) * 0.002)
        code, body = answers["cb"]
        state = (body or {}).get("promise", {}).get("state")
        if code == 201:
            kinds["created"].append((root, leaf))
        elif code == 200 and state != "PENDING":
            kinds["completed"].append((root, leaf))
        elif code == 200 and not body.get("callback"):
            kinds["stale"].append((root, leaf))
        else:
            kinds["other"].append((root, leaf))
    return kinds


def test_a_resolving_leaf_never_leaves_its_root_without_a_resume(tmp_path: Path) -> None:
    server = LocalServer(tmp_path).start()
    try:
        kinds = race(server.address.url, str(time.time_ns()), TRIALS)
        time.sleep(1)  # the resume tasks of the callbacks that were created
        db = sqlite3.connect(f"file:{server.db}?mode=ro", uri=True, timeout=10)
        try:
            without_resume = [
                root
                for root, _ in kinds["created"]
                if not db.execute(
                    "SELECT COUNT(*) FROM tasks WHERE root_promise_id = ?", (root,)
                ).fetchone()[0]
            ]
        finally:
            db.close()
    finally:
        server.kill()
    counts = {k: len(v) for k, v in kinds.items()}
    print("create-callback answers:", counts)
    # Both orders of the race happened, so the window between the two store steps was hit.
    assert counts["created"] > 0 and counts["completed"] > 0, counts
    assert counts["other"] == 0, counts
    assert counts["stale"] == 0, f"stale PENDING answers with no callback: {kinds['stale'][:3]}"
    assert not without_resume, f"callbacks created but no resume task: {without_resume[:3]}"


def test_a_stuck_order_is_named_not_waited_on(tmp_path: Path) -> None:
    """The detector on real server state: a root still PENDING over resolved branches is
    stuck; one with a branch still PENDING is merely running. A run on it times out saying so."""
    from concurrent.futures import Future

    from lab.orders.run import Run, RunTimeout
    from lab.servers.inspector import lost_wakeup

    server = LocalServer(tmp_path).start()
    base, far = server.address.url, int((time.time() + 3600) * 1000)
    try:
        for root, pending in (("notify/ord_stuck", ()), ("notify/ord_busy", ("sms",))):
            for pid in (root, *(f"{root}.{c}" for c in ("email", "sms", "slack", "push"))):
                _call(
                    base, "POST", "/promises", {"id": pid, "timeout": far, "param": {}, "tags": {}}
                )
            for c in ("email", "sms", "slack", "push"):
                if c not in pending:
                    body = {"state": "RESOLVED", "value": {}}
                    _call(base, "PATCH", f"/promises/{root}.{c}", body)
        assert lost_wakeup(server.address, "notify/ord_stuck")
        assert not lost_wakeup(server.address, "notify/ord_busy")
        run = Run("notify/ord_stuck", {"order_id": "ord_stuck"}, "notify_all", None, None)
        run.future = Future()
        run.address = server.address
        with pytest.raises(RunTimeout, match="stuck: every branch is resolved"):
            run.wait(0.2)
    finally:
        server.kill()
