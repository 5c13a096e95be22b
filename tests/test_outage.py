"""The server itself SIGKILLed mid-run and restarted, on the real legacy server.

Randomized: the moment of the kill and the restart delay. Every order must
finish 4/4, no channel confirmed before the crash may run again, and the
ledger must agree with the workflow's result. Then the contrast: a server
that keeps its promises in memory forgets the order.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from channels import CHANNELS
from lab.clusters.crash import ServerCrash
from lab.orders.sdk_log import SDK_LOG
from lab.orders.server_record import MISSED_RESULT
from lab.servers.inspector import promises
from lab.servers.processes import alive


@pytest.fixture
def crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerCrash]:
    monkeypatch.setenv("LAB_RUN_DIR", str(tmp_path))
    monkeypatch.delenv("RESONATE_HOST", raising=False)
    crash = ServerCrash(processes=2)
    yield crash
    crash.shutdown()


def test_randomized_server_kills_lose_nothing_and_resend_nothing(
    crash: ServerCrash, capsys: pytest.CaptureFixture
) -> None:
    rng = random.Random(20261125)
    figures = []
    for trial in range(10):
        at_ms, delay = rng.randint(0, 450), round(rng.uniform(0.5, 3.0), 2)
        run = crash.start(kill_server_at_ms=at_ms, restart_after_s=delay)
        result = run.wait(40)
        where = f"trial {trial}: kill at {at_ms} ms, restart after {delay} s"
        assert result["channels_notified"] == 4, where
        assert [r["channel"] for r in result["results"]] == list(CHANNELS), where
        assert crash.outages_of(run), f"{where}: the server was not killed during the run"
        assert crash.resent(run) == set(), where
        # At least once: a channel in flight when the server died may run again (its claim
        # lapsed during the outage); one confirmed before the crash never does (resent, above).
        assert all(n >= 1 for n in run.sends().values()), where
        rows = {p["id"]: p for p in promises(crash.address, run.workflow_id)}
        assert all(
            rows[f"{run.workflow_id}.{r['channel']}"]["value"]["message_id"] == r["message_id"]
            for r in result["results"]
        ), where
        figures.append(crash.restart_to_done_ms(run))
    printed = capsys.readouterr()
    assert "Cannot connect" not in printed.out + printed.err  # routed to SDK_LOG, not printed
    with capsys.disabled():
        print(f"\nrestart → done (ms): {sorted(figures)}")
    assert max(figures) < 15_000  # the lesson's goal is ≤ 6 s: reported; this only bounds a hang
    assert any("Cannot connect" in line for _, line in SDK_LOG.lines)
    pids = [w.pid for w in crash.pool] + [crash.local.process.pid]
    crash.shutdown()
    deadline = time.monotonic() + 5
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if alive(p)]


def test_an_in_memory_server_forgets_the_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAB_RUN_DIR", str(tmp_path))
    memory = ServerCrash(processes=2, durable=False)
    try:
        run = memory.start(kill_server_at_ms=200, restart_after_s=1)
        assert "not finished after 6 s" in memory.outcome(run, timeout=6)
        assert (
            promises(memory.address, run.workflow_id) == []
        )  # the restarted server knows nothing of it
    finally:
        memory.shutdown()


def test_a_run_cannot_start_while_the_server_is_down(crash: ServerCrash) -> None:
    crash.kill_server()
    with pytest.raises(RuntimeError, match="the server is down: press Restart server"):
        crash.start()
    assert crash.restart_server() is not None and crash.server_up
    assert crash.start().wait(20)["channels_notified"] == 4


def test_a_result_the_kernel_never_heard_is_read_from_the_server(crash: ServerCrash) -> None:
    """The legacy server sends a client its order's result once. A kernel whose long-poll is
    still reconnecting after a restart (the SDK waits 5 s) misses it, and its handle waits for
    ever (CI: lesson 5's panel, order done on the server, the cell still waiting 40 s later).
    Here a fresh worker finishes an order while the kernel's long-poll is down."""
    assert crash.start().wait(20)["channels_notified"] == 4  # the kernel is listening
    crash.kill_server()
    crash.restart_server()  # the kernel's long-poll now sleeps 5 s before it reconnects
    crash.start_worker()  # listening at once: it runs the next order while the kernel is deaf
    run = crash.start()
    result = run.wait(15)
    assert result["channels_notified"] == 4 and sorted(run.sends()) == sorted(CHANNELS)
    assert MISSED_RESULT in run.notes  # the kernel did not hear it: the case this test is for
    root = {p["id"]: p for p in promises(crash.address, run.workflow_id)}[run.workflow_id]
    assert root["value"] == result
    assert abs(run.ended * 1000 - root["completed_on"]) < 2  # ended when the server finished it
