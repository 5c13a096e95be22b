"""Every check, hint and solution is an event in the learner's own file, whatever the room does.

A real kernel runs a real exercise check with the room's service down (nothing listens
at ``ROOM_EVENTS_URL``): the verdict prints as before, the events are in the learner's
file, valid against their schema, and ``lab.progress()`` shows the learner's row from it.
The room's side (the service, the instructor's page, identity from the hub's token) is
``tests/test_hub.py``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from lab.checks.progress import SCHEMA, events
from lab.checks.standing import QUIET_S, row
from tests.conftest import free_port
from tests.test_room import Kernel


def test_a_check_with_the_rooms_service_down_runs_and_keeps_its_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = f"http://127.0.0.1:{free_port()}/services/room/api/events"
    monkeypatch.setenv("ROOM_EVENTS_URL", down)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "a-token-nobody-reads")
    monkeypatch.setenv("JPY_SESSION_NAME", "my-work/02_fan_out.ipynb")
    kernel = Kernel(tmp_path)
    try:
        out = kernel.run(
            "from lab import check, progress\nfrom lab.checks import fan_out\n"
            "fan_out.check(fan_out.load('practice'))\n"
            "fan_out.hint()\n"
            "fan_out.check(fan_out.load('solution'))\n"
            "check(None, 1000, what='fan-out total (ms)')\n"
            "check(1100, 1000, what='fan-out total (ms)')\n"
        )
        assert not out["errors"], out
        assert "fan_out: not yet ✗" in out["text"] and "fan_out: passed ✓" in out["text"], out
        assert "Hint 1 of" in out["text"] and "within 20% ✓" in out["text"], out
        file = tmp_path / "progress.jsonl"
        deadline = time.monotonic() + 15
        while len(events(file)) < 5:
            assert time.monotonic() < deadline, events(file)
            time.sleep(0.1)
        shown = kernel.run("print(progress().data)")["text"]
    finally:
        kernel.stop()
    found = events(file)
    assert [(e["item"], e["action"], e["outcome"]) for e in found] == [
        ("fan_out", "check", "not yet"),
        ("fan_out", "hint", "not yet"),
        ("fan_out", "check", "passed"),
        ("fan-out total (ms)", "check", "not attempted"),
        ("fan-out total (ms)", "check", "passed"),
    ]
    assert found[0]["criterion"] and not found[2]["criterion"]  # the first failing one, named
    assert found[1]["hint"] == 1 and {e["lesson"] for e in found} == {"02"}
    assert {e["__schema__"] for e in found} == {SCHEMA["$id"]}
    assert len({e["id"] for e in found}) == 5
    assert not (tmp_path / "progress.sent").exists()  # nothing reached the (down) service
    assert "✓ · 1 hint" in shown and "lesson 02" in shown, shown


def at(seconds_ago: float, outcome: str, action: str = "check", item: str = "fan_out") -> dict:
    return {
        "received": NOW - seconds_ago,
        "kind": "exercise",
        "item": item,
        "action": action,
        "outcome": outcome,
        "lesson": "02",
        "criterion": "the four channels ran at once" if outcome == "not yet" else "",
    }


NOW = 1_800_000_000.0


def test_where_a_learner_stands_is_their_latest_check_and_stuck_is_said_why() -> None:
    trying = [at(300, "not yet"), at(200, "not yet"), at(100, "not yet")]
    assert row(trying, NOW)["stuck"] == "3 failed checks in 10 min, no pass"
    passed = row([*trying, at(50, "passed")], NOW)
    assert passed["stuck"] == "" and passed["cells"]["fan_out"]["outcome"] == "passed"
    again = row([at(50, "passed"), at(10, "not yet")], NOW)["cells"]["fan_out"]
    assert again == {"outcome": "not yet", "criterion": "the four channels ran at once", "hints": 0}
    old = [at(3600, "not yet"), at(3500, "not yet"), at(QUIET_S + 60, "not yet")]
    assert row(old, NOW)["stuck"] == "no activity for 16 min"
    hints = row([at(30, "not attempted", "hint"), at(20, "not attempted", "hint")], NOW)
    assert hints["cells"]["fan_out"]["hints"] == 2 and hints["stuck"] == ""
    assert row([], NOW) == {**row([], NOW), "stuck": "", "lesson": "", "events": 0}
    question = {**at(5, "passed"), "kind": "question", "item": "fan-out total (ms)"}
    assert row([question], NOW)["cells"]["fan_out"]["outcome"] == "not attempted"
    assert json.dumps(row(trying, NOW))  # the service sends it as it is
