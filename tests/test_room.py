"""What a room does that a script does not: Interrupt mid-run and idle, and bad arguments.

A real kernel (jupyter_client), the real server and worker processes: JupyterLab's ■
is ``interrupt_kernel``, which SIGINTs the kernel's process group. The course's
children must survive it, and the next run must finish within its timeout with
no SDK reconnect lines in the cell.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel

from lab import Fault, Lab
from lab.clusters.cluster import Cluster
from lab.clusters.crash import ServerCrash
from lab.errors import Refused
from lab.servers.legacy import server_binary
from lab.servers.processes import alive
from tests.conftest import ROOT, needs_server09

needs_server = pytest.mark.skipif(server_binary() is None, reason="needs the Resonate server")


class Kernel:
    """One real IPython kernel, driven as JupyterLab drives it."""

    def __init__(self, run_dir: Path, kernel_name: str = "python3") -> None:
        env = {**os.environ, "LAB_RUN_DIR": str(run_dir)}
        self.km, self.kc = start_new_kernel(
            kernel_name=kernel_name, env=env, cwd=str(ROOT / "notebooks")
        )

    def run(self, code: str, *, interrupt_after: float | None = None, timeout: float = 120) -> dict:
        """Execute ``code``; with ``interrupt_after`` press ■ that many seconds in. Its outputs and seconds."""
        began = time.monotonic()
        msg_id = self.kc.execute(code)
        interrupted = False
        out = {"text": "", "errors": [], "traceback_lines": 0, "traceback": ""}
        while True:
            if (
                interrupt_after is not None
                and not interrupted
                and time.monotonic() - began > interrupt_after
            ):
                self.km.interrupt_kernel()
                interrupted = True
            try:
                msg = self.kc.get_iopub_msg(timeout=0.2)
            except Exception:  # noqa: BLE001 - queue.Empty: nothing yet
                assert time.monotonic() - began < timeout, (
                    f"{code!r} still running after {timeout} s"
                )
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out["text"] += content["text"]
            elif kind == "error":
                out["errors"].append(content["ename"])
                out["traceback_lines"] = max(out["traceback_lines"], len(content["traceback"]))
                out["traceback"] += "\n".join(content["traceback"])
            elif kind == "status" and content["execution_state"] == "idle":
                out["seconds"] = time.monotonic() - began
                return out

    def value(self, code: str) -> object:
        """The JSON a cell prints on its last line."""
        out = self.run(code)
        assert not out["errors"], out
        return json.loads(out["text"].strip().splitlines()[-1])

    def stop(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


@pytest.fixture
def kernel(tmp_path: Path) -> Iterator[Kernel]:
    k = Kernel(tmp_path)
    yield k
    k.stop()


SLOW = "faults={c: Fault(extra_ms=1500) for c in CHANNELS}"


@needs_server
@pytest.mark.parametrize("lesson", ["04", "05"])
def test_interrupt_idle_and_mid_run_then_the_next_run_finishes(kernel: Kernel, lesson: str) -> None:
    setup = (
        "from lab.clusters.cluster import Cluster\ncluster = Cluster(processes=3, ttl=2)"
        if lesson == "04"
        else "from lab.clusters.crash import ServerCrash\ncluster = ServerCrash(processes=2)"
    )
    kernel.run(f"import json, time\nfrom lab import CHANNELS, Fault\n{setup}")
    pids = kernel.value(
        "print(json.dumps([w.pid for w in cluster.running()] + [cluster.local.process.pid]))"
    )

    idle = kernel.run("time.sleep(30)", interrupt_after=1.0)
    assert idle["errors"] == ["KeyboardInterrupt"] and idle["seconds"] < 10
    assert all(alive(p) for p in pids), "Interrupt on an idle cell killed the server or a worker"

    first = kernel.run("run = cluster.run(timeout=20)")
    assert not first["errors"], first
    crash = ', kill_server_after="push", restart_after_s=1' if lesson == "05" else ""
    mid = kernel.run(f"run = cluster.run({SLOW}{crash}, timeout=30)", interrupt_after=0.8)
    # One line: what stopped, what goes on, where it is (not 29-52 lines through threading).
    assert mid["errors"] == ["Interrupted"] and mid["traceback_lines"] == 1, mid
    called, n = ("cluster", 3) if lesson == "04" else ("crash", 2)
    assert (
        f"goes on in the background ({n} worker processes), and {called}.last is it"
        in mid["traceback"]
    ), mid
    assert mid["seconds"] < 10, mid
    assert all(alive(p) for p in pids), "Interrupt mid-run killed the server or a worker"
    # `run` is still the first order: its report says so instead of passing for the new one.
    stale = kernel.run(
        "cluster.report(run)\nprint(cluster.last.interrupted, cluster.last is not run)"
    )
    assert f"was interrupted before its cell could name it: {called}.last" in stale["text"], stale
    assert stale["text"].strip().splitlines()[-1] == "True True", stale

    after = kernel.run(
        "nxt = cluster.run(timeout=20)\nprint(json.dumps(nxt.result['channels_notified']))"
    )
    assert not after["errors"], after
    assert after["text"].strip().splitlines()[-1] == "4" and after["seconds"] < 20
    assert "Cannot connect" not in idle["text"] + mid["text"] + after["text"]
    print(
        f"lesson {lesson}: idle interrupt {idle['seconds']:.1f} s, mid-run interrupt "
        f"{mid['seconds']:.1f} s, next run 4/4 in {after['seconds']:.1f} s"
    )


def test_lesson_7_interrupted_mid_outage_loses_no_order(kernel: Kernel) -> None:
    """■ while an order is held by an outage: the order stays held, and Provider back ends it too."""
    kernel.run(
        "import json\nfrom lab import Fault, Lab\nfrom lab import watch\nlab = Lab(workers=16)"
    )
    down = 'watch(lab, seconds=8, faults={"push": Fault(down=True)})'
    mid = kernel.run(f"outage = {down}", interrupt_after=1.5)
    assert mid["errors"] == ["Interrupted"] and mid["traceback_lines"] == 1, mid
    assert "lab.last is it" in mid["traceback"] and mid["seconds"] < 10, mid
    again = kernel.run(f"outage = {down.replace('seconds=8', 'seconds=2')}")
    assert not again["errors"] and "still pending" in again["text"], again
    # An exercise's check in the same kernel ends its own outages, never the lesson's.
    checked = kernel.run(
        "from lab.checks import fallback\nfallback.check(fallback.load('solution'), quiet=True)"
    )
    assert not checked["errors"], checked
    held = kernel.value('print(json.dumps(sorted(lab.provider_back("push"))))')
    assert len(held) == 2, held  # the interrupted order and the one after it, still held
    sends = kernel.value(
        "import time\n"
        "until = time.monotonic() + 40\n"
        "while time.monotonic() < until and any(lab.ledger.sends(o).get('push', 0) < 1 for o in "
        f"{held!r}):\n    time.sleep(0.2)\n"
        f"print(json.dumps([lab.ledger.sends(o) for o in {held!r}]))"
    )
    assert sends == [{"email": 1, "sms": 1, "slack": 1, "push": 1}] * 2, sends


@needs_server09
def test_lesson_8_interrupted_mid_kill_the_order_still_finishes(tmp_path: Path) -> None:
    """■ in lesson 8's kernel while a killed worker's order waits out its lease."""
    kernel = Kernel(tmp_path, "resonate-sdk-08")
    try:
        kernel.run("import asyncio, json, time\nfrom lab import Cluster08\ncluster = Cluster08()")
        pids = kernel.value(
            "print(json.dumps([w.pid for w in cluster.pool.running()] + [cluster.server.process.pid]))"
        )
        idle = kernel.run("time.sleep(30)", interrupt_after=1.0)
        assert idle["errors"] == ["KeyboardInterrupt"] and idle["seconds"] < 10, idle
        mid = kernel.run('killed = await cluster.run(kill_after="slack")', interrupt_after=1.0)
        # ■ in an awaiting cell cancels it: one line, at once, not when the order ends.
        assert mid["errors"] == ["Interrupted"] and mid["traceback_lines"] == 1, mid
        assert mid["seconds"] < 1.8, mid  # pressed at 1 s; the order itself ends ~2.7 s in
        survivors = kernel.value(
            "print(json.dumps([w.pid for w in cluster.pool.running()] + [cluster.server.process.pid]))"
        )
        assert len(set(pids) - set(survivors)) == 1, (pids, survivors)  # only the kill's worker
        # The interrupted order is the workers' to finish: the kernel only stopped watching it.
        state = kernel.value(
            "order = list(cluster.kills)[-1]\n"
            "for _ in range(100):\n"
            "    p = await cluster.client.promises.get(order)\n"
            "    if 'resolved' in str(p.state).lower():\n        break\n"
            "    await asyncio.sleep(0.1)\n"
            "att = cluster.ledger.attempts(order.split('/', 1)[1])\n"
            "print(json.dumps([str(p.state), sorted((a.channel, a.outcome) for a in att),\n"
            "                  cluster.kills[order].doing]))"
        )
        assert "resolved" in state[0].lower(), state
        # In flight when killed (email always; sms too unless it ended before the kill, as
        # it did once under CI's load): killed, then run again on the other worker.
        doing = set(state[2])
        assert "email" in doing and "slack" not in doing, state
        assert state[1] == sorted(
            [[c, "sent"] for c in ("email", "sms", "slack", "push")]
            + [[c, "killed"] for c in doing]
        ), state
        nxt = kernel.run(
            "import asyncio\nnxt = await cluster.run()\nprint(json.dumps(nxt.result['channels_notified']))"
        )
        assert not nxt["errors"] and nxt["text"].strip().splitlines()[-1] == "4", nxt
        # The lesson's local connection too: ■ mid-order, and that order still ends 4/4.
        kernel.run(
            "from exercises.todays_sdk import notify_all_08\nfrom lab import Lab08\nlab = Lab08()"
        )
        local = kernel.run("fixed = await lab.run(notify_all_08)", interrupt_after=0.2)
        assert local["errors"] == ["Interrupted"] and local["seconds"] < 1, local
        sent = kernel.value(
            "await asyncio.sleep(1)\n"
            "((last,),) = lab.ledger._read('SELECT order_id FROM attempts ORDER BY started DESC LIMIT 1', ())\n"
            "print(json.dumps(lab.ledger.sends(last)))"
        )
        assert sent == {"email": 1, "sms": 1, "slack": 1, "push": 1}, sent  # it went on, to 4/4
        check = kernel.run(
            "from lab.checks import port_fan_out\nport_fan_out.check(port_fan_out.load('solution'))",
            interrupt_after=1.5,
        )
        assert check["errors"] == ["Interrupted"] and check["traceback_lines"] == 1, check
        assert "run port_fan_out.check() again" in check["traceback"], check
        print(
            f"lesson 8: idle interrupt {idle['seconds']:.1f} s, mid-kill interrupt "
            f"{mid['seconds']:.1f} s, next run 4/4 in {nxt['seconds']:.1f} s"
        )
    finally:
        kernel.stop()


def _count(db: Path, table: str) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


@needs_server
def test_every_bad_argument_is_one_line_and_submits_nothing(tmp_path: Path) -> None:
    os.environ["LAB_RUN_DIR"] = str(tmp_path)
    try:
        lab = Lab(workers=4, ledger=tmp_path / "ledger.sqlite")
        crash = ServerCrash(processes=1)
        cluster = Cluster(processes=1)
        bad = {
            "Lab(workers=0)": lambda: Lab(workers=0),
            "Cluster(processes=0)": lambda: Cluster(processes=0),
            "a bad event": lambda: lab.run({"order_id": 1}),
            "timeout=-1": lambda: lab.run(timeout=-1),
            'timeout="5"': lambda: lab.run(timeout="5"),
            'axis_ms="x"': lambda: lab.run(axis_ms="x"),
            'lanes="nope"': lambda: lab.run(lanes="nope"),
            "faults on no channel": lambda: lab.run(faults={"fax": Fault(fail_first=1)}),
            "at_ms=-5": lambda: cluster.run(kill="email", at_ms=-5),
            'kill="fax"': lambda: cluster.run(kill="fax", after="push"),
            "a kill with no moment": lambda: cluster.run(kill="email"),
            'after="fax"': lambda: cluster.run(kill="email", after="fax"),
            "kill_server_at_ms=True": lambda: crash.run(kill_server_at_ms=True),
            'kill_server_after="x"': lambda: crash.run(kill_server_after="x"),
            "restart_after_s=-1": lambda: crash.run(kill_server_at_ms=100, restart_after_s=-1),
        }
        ledgers = [lab.ledger.path, cluster.ledger.path]
        before = [_count(db, "attempts") for db in ledgers]
        for what, call in bad.items():
            with pytest.raises(ValueError) as refused:
                call()
            lines = refused.value._render_traceback_()
            assert len(lines) == 1 and "\n" not in lines[0], f"{what}: {lines}"
            if not isinstance(refused.value, Refused):
                assert type(refused.value).__name__ == "InvalidEvent", what
        time.sleep(1)  # anything submitted by mistake would have run by now
        assert [_count(db, "attempts") for db in ledgers] == before, "a refused call ran a channel"
    finally:
        del os.environ["LAB_RUN_DIR"]
        for c in (locals().get("crash"), locals().get("cluster")):
            if c is not None:
                c.shutdown()


def test_a_check_interrupted_and_a_practice_cell_that_did_not_run(kernel: Kernel) -> None:
    """■ during a check is one line; a practice cell that failed is named, not the answer before it."""
    kernel.run("from lab.checks import fallback")
    mid = kernel.run('fallback.check(fallback.load("solution"))', interrupt_after=1.5)
    assert mid["errors"] == ["Interrupted"] and mid["traceback_lines"] == 1, mid
    assert "run fallback.check() again" in mid["traceback"] and mid["seconds"] < 10, mid

    solution = (ROOT / "exercises" / "fallback" / "solution.py").read_text()
    assert not kernel.run(solution)["errors"]  # a right answer ran once…
    signature = "-> Generator[Any, Any, dict[str, Any]]:"
    line = solution[: solution.index(signature)].count("\n") + 1
    broken = kernel.run(solution.replace(signature, signature[:-1], 1))  # …then a missing colon
    assert broken["errors"] == ["SyntaxError"], broken
    said = kernel.run("fallback.check()")["text"]
    assert said.startswith("fallback: not yet ✗"), said  # not the earlier, passing answer
    assert "your practice cell did not run: SyntaxError: expected ':' (line " in said, said
    assert f"(line {line})" in said and said.count(f"line {line}") == 1, said
    assert "the kernel holds an earlier notify_with_fallback" in said, said

    raising = kernel.run(solution + "\nprint(undefined_here)\n")  # defines it, then stops
    assert raising["errors"] == ["NameError"], raising
    said = kernel.run("fallback.check()")["text"]
    last = solution.count("\n") + 2
    assert f"did not run: NameError: name 'undefined_here' is not defined (line {last})" in said, (
        said
    )
    assert not kernel.run(solution)["errors"]
    ran = kernel.value(
        "import json\nfrom lab.checks.practice_cells import did_not_run\n"
        "print(json.dumps(did_not_run('notify_with_fallback')))"
    )
    assert ran == ""  # fixed and run: the next check runs it
