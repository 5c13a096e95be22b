"""The check of exercise redelivery (lesson 5): an event delivered twice notifies once.

The scenario, on lesson 5's server and workers, with new orders every time:

1. the learner's ``submit`` starts the workflow for an event, in this kernel;
2. the server is SIGKILLed the moment the order's first channel is confirmed (an
   event, not a clock) and restarted 1 s later on the same file;
3. the same event is delivered again — to *another process* (``lab.clusters.submit``), as
   an event bus redelivers to whichever consumer is up, with that process's clock
   a day later: the learner's whole cell runs there, and none of this kernel's
   memory comes along;
4. another order from the same customer is delivered beside it.

A workflow id derived from the event passes; one from a random value, the clock or
a dict of events seen in memory does not, and the verdict says which.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from lab.checks.clock import another_day
from lab.checks.verdicts import Answer, Criterion, Exercise

HEADER = (
    "from __future__ import annotations; import time, uuid, hashlib; from typing import Any; "
    "from resonate import Resonate\n"
)
FUTURE = re.compile(r"^from __future__ import .*$", re.M)


@dataclass
class Deliveries:
    event: dict[str, Any]
    other: dict[str, Any]
    answers: dict[str, Any] = field(default_factory=dict)  # tag -> (id, result) or an exception
    again: dict[str, Any] = field(default_factory=dict)  # what the other process printed
    crashed: bool = False
    ledger: Any = None


class Redelivery(Exercise):
    name = "redelivery"
    lesson = "05"
    function = "submit"
    hints = (
        "The event bus delivers `order.confirmed` at least once: after a crash the same event "
        "arrives again — maybe at another process. What decides whether a second workflow starts?",
        "Resonate starts a workflow per id. The same id again joins the run in flight (or "
        "returns its stored result); a new id starts a new run.",
        "Derive the id from the event: f\"notify/{event['order_id']}\" — the same for a "
        "redelivery, anywhere, any day; different for every order.",
    )

    def scenario(self, answer: Answer, *, live: bool) -> Deliveries:
        from lab.clusters.crash import ServerCrash
        from lab.orders.events import new_event
        from lab.paths import run_dir

        crash = ServerCrash(processes=2)  # the lesson's server and workers, reused
        crash.restart_server()  # no-op when it is up
        client = crash.resonate()
        seen = Deliveries(new_event(), new_event(user_id="user_alice"), ledger=crash.ledger)

        def deliver(tag: str, event: dict[str, Any]) -> None:
            try:
                handle = answer.fn(client, event)
                seen.answers[tag] = (getattr(handle, "id", None), handle.result())
            except Exception as e:  # noqa: BLE001 - the learner's code failed: that is the verdict
                seen.answers[tag] = e

        first = threading.Thread(target=deliver, args=("first", seen.event), daemon=True)
        first.start()
        deadline = time.monotonic() + 10
        while not seen.ledger.sends(seen.event["order_id"]) and time.monotonic() < deadline:
            if "first" in seen.answers:
                break
            time.sleep(0.005)
        if "first" not in seen.answers:
            seen.crashed = crash.kill_server() is not None  # mid-run: a channel confirmed, not all
            time.sleep(1.0)
            crash.restart_server()
        path = run_dir() / "exercises" / f"submit_{time.time_ns()}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(HEADER + FUTURE.sub("", answer.cell))
        other = threading.Thread(target=deliver, args=("other", seen.other), daemon=True)
        other.start()
        seen.again = _in_another_process(crash, path, answer.name, seen.event)
        for t in (first, other):
            t.join(40)
        return seen

    def judge(self, seen: Deliveries, answer: Answer) -> list[Criterion]:  # type: ignore[override]
        first = seen.answers.get("first")
        if isinstance(first, BaseException):
            return [Criterion(False, answer.raised(first, "your submit"))]
        if first is None:
            return [Criterion(False, "the first delivery did not finish within 40 s")]
        if "error" in seen.again:
            error = re.sub(
                r" \(file line (\d+)\)",
                lambda m: f" (line {int(m.group(1)) - 1})",
                seen.again["error"],
            )
            return [
                Criterion(
                    False,
                    f"delivered again to another process, your submit raised {error}: a "
                    "redelivery may arrive anywhere, with none of this kernel's memory",
                )
            ]
        first_id, result = first
        criteria = [
            Criterion(
                isinstance(result, dict) and result.get("channels_notified") == 4 and seen.crashed,
                f"the first delivery ({first_id}): "
                f"{result.get('channels_notified') if isinstance(result, dict) else result}/4 "
                f"notified{', through a server crash' if seen.crashed else ' (the crash came too late)'}",
            )
        ]
        other = seen.answers.get("other")
        other_sends = seen.ledger.sends(seen.other["order_id"])
        ok = (
            isinstance(other, tuple)
            and other[0] != first_id
            and len(other_sends) == 4
            and all(n == 1 for n in other_sends.values())
        )
        criteria.append(
            Criterion(
                ok,
                "another order from the same customer was notified too"
                if ok
                else (
                    f"another order from the same customer: {other_sends or 'nothing sent'} — its "
                    "id must be its own, unique per order"
                ),
            )
        )
        again_id = seen.again.get("id")
        sends = seen.ledger.sends(seen.event["order_id"])
        twice = {c: n for c, n in sends.items() if n != 1}
        same_id = again_id == first_id
        criteria.append(
            Criterion(
                not twice and same_id,
                f"the redelivery, in another process a day later, joined {again_id}: each channel sent once"
                if not twice and same_id
                else (
                    f"the redelivery joined {again_id}, yet this order's channels were sent "
                    f"{', '.join(f'{c} {n}×' for c, n in sends.items()) or 'never'}"
                )
                if same_id
                else (
                    f"the redelivery, in another process a day later, started {again_id} "
                    f"(the first was {first_id})"
                    + (f": {', '.join(f'{c} {n}×' for c, n in twice.items())}" if twice else "")
                    + " — derive the id from the event, not from the clock, chance or memory"
                ),
            )
        )
        return criteria


def _in_another_process(crash: Any, path: Any, function: str, event: dict[str, Any]) -> dict:
    from lab.servers.processes import spawn

    process = spawn(
        [
            sys.executable,
            "-m",
            "lab.clusters.submit",
            "--server",
            crash.address.url,
            "--poll-port",
            str(crash.address.poll_port),
            "--event",
            json.dumps(event),
            "--cell",
            str(path),
            "--function",
            function,
        ],
        env={**os.environ, **another_day()},  # its whole clock a day later
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = process.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    lines = out.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, ValueError):
        return {"error": f"the other process ended with {process.returncode}: {err[-200:]}"}


exercise = Redelivery()
