"""The check of exercise idempotency_key (lesson 4): one SMS, however often the branch runs.

The scenario, on a server of the exercise's own with two worker processes — the
second one reading the learner's clock a day later (``lab.checks.clock``), as a worker on
another machine tomorrow would:

1. SMS's worker is SIGKILLed once the gateway has accepted the SMS (an event,
   not a clock; the gateway holds its answer until then): the customer has it,
   the worker never hears back;
2. the other worker runs the branch again, and the gateway's answer to that
   request is lost after it delivered: the SDK retries the branch (attempt 2);
3. another order runs beside it, untouched.

What the customer got is counted at the gateway. A key passes when it is the same
on every attempt of the branch (after the kill, after the retry, on the other
day) and differs from the other order's: any deterministic function of ``ctx.id``.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any

from lab.checks.clock import another_day
from lab.checks.verdicts import Answer, Criterion, Exercise, LearnerError

# One line, so that line N of the learner's cell is line N + 1 of the file the workers load.
HEADER = (
    "from __future__ import annotations; import time, uuid, hashlib; from typing import Any; "
    "from resonate import Context; from lab import sms_gateway\n"
)
FUTURE = re.compile(r"^from __future__ import .*$", re.M)


@dataclass
class Trial:
    run: Any  # the order whose SMS worker is killed
    other: Any  # another order, beside it
    kills: list = field(default_factory=list)
    failure: str | None = None  # the learner's code raised (in a worker)


def _cell_file(answer: Answer, folder: Any) -> Any:
    cell = FUTURE.sub("", answer.cell)  # the header has it; keep the line numbers
    if answer.name != "send_sms":
        cell += f"\n\nsend_sms = {answer.name}\n"
    source = HEADER + cell
    path = folder / f"send_sms_{hashlib.sha1(source.encode()).hexdigest()[:8]}.py"
    path.write_text(source)
    return path


def _cell_line(text: str) -> str:
    """``(file line 12)`` in the worker's file is line 11 of the learner's cell."""
    return re.sub(r" \(file line (\d+)\)", lambda m: f" (line {int(m.group(1)) - 1})", text)


class IdempotencyKey(Exercise):
    name = "idempotency_key"
    lesson = "04"
    function = "send_sms"
    hints = (
        "The kill lands while the gateway is answering: the SMS has gone out, but the worker "
        "never hears back. The re-run sends it again.",
        "`sms_gateway.send(event, idempotency_key=...)` delivers once per key. The key must be "
        "the same on every attempt of this branch — after a kill, after a retry, tomorrow.",
        "Every attempt of a branch runs with the same `ctx.id` — the branch's durable id, e.g. "
        "notify/ord_….sms. Use it as the key (or any fixed function of it).",
    )

    def __init__(self) -> None:
        super().__init__()
        self._server: Any = None

    def scenario(self, answer: Answer, *, live: bool) -> Trial:
        from lab.clusters.cluster import Cluster
        from lab.paths import run_dir
        from lab.servers.legacy import LocalServer

        folder = run_dir() / "exercises"
        folder.mkdir(parents=True, exist_ok=True)
        path = _cell_file(answer, folder)  # the whole cell: helpers and constants included
        if self._server is None:  # a server of the exercise's own: lesson 4's workers stay out
            self._server = LocalServer(run_dir() / f"exercise-server-{os.getpid()}")
        try:
            cluster = Cluster(processes=1, ttl=2, server=self._server, replace={"sms": path})
            cluster.workers_pool.start_one(env=another_day())  # its whole clock a day later
        except RuntimeError as e:  # the cell does not even load in a worker process
            raise LearnerError(_load_error(str(e))) from None

        try:
            return self._run(cluster, live=live)
        finally:
            cluster.stop_workers()  # the next check runs the next version of the code

    def _run(self, cluster: Any, *, live: bool) -> Trial:
        from lab.orders.events import new_event

        event = new_event()
        order = event["order_id"]
        cluster.ledger.hold_answer(order, "sms", 1)  # the first answer waits for the kill
        cluster.ledger.lose_answer(order, "sms", 2)  # the re-run's answer is lost
        run = cluster.start(event, top_up=False)
        other = cluster.start(top_up=False)
        chart = cluster.timeline(
            run, **cluster.timeline_options(), title="your send_sms: killed mid-call, then retried"
        )
        if live:
            chart.show()
        trial = Trial(run, other)
        try:
            self._watch(cluster, trial)
        finally:  # no held answer outlives the check
            cluster.ledger.release_answers(order, "sms")
        chart.drawn.wait(5 if run.done else 0)
        return trial

    @staticmethod
    def _watch(cluster: Any, trial: Trial) -> None:
        run, other = trial.run, trial.other
        deadline = time.monotonic() + 40
        while not (run.done and other.done) and time.monotonic() < deadline:
            if not trial.kills and cluster.ledger.requests(run.order_id, "sms"):
                kill = cluster.kill_target(run, "sms")  # the gateway has accepted the SMS
                if kill:
                    trial.kills.append(kill)
            failed = [
                a.error
                for r in (run, other)
                for a in r.attempts()
                if a.channel == "sms"
                and a.outcome == "failed"
                and "TimeoutError" not in (a.error or "")
            ]
            if failed:  # the learner's code raised: say so now, not after a timeout
                trial.failure = _cell_line(failed[0])
                break
            time.sleep(0.005)

    def judge(self, trial: Trial, answer: Answer) -> list[Criterion]:
        if trial.failure:
            return [Criterion(False, f"your send_sms raised {trial.failure}")]
        if not (trial.run.done and trial.other.done):
            return [Criterion(False, "the order did not finish within 40 s")]
        try:
            n = trial.run.result["channels_notified"]
        except Exception as e:  # noqa: BLE001 - the workflow failed: that is the verdict
            return [Criterion(False, f"the workflow failed: {type(e).__name__}: {e}")]
        done = Criterion(n == 4, f"the workflow returned {n}/4 channels notified")
        requests = trial.run.ledger.requests(trial.run.order_id, "sms")
        if not requests:
            return [done, Criterion(False, "your send_sms never called sms_gateway.send: no SMS")]
        keys = [k for k, _, _ in requests]
        hit = Criterion(
            bool(trial.kills) and len(requests) >= 3,
            f"sms's worker (pid {trial.kills[0].pid}) was killed once the gateway had the SMS; "
            f"the branch then ran on another worker, a day later by its clock, and was retried "
            f"after a lost answer: {len(requests)} requests"
            if trial.kills
            else "sms's worker could not be killed mid-call"
            + "".join(f": {n}" for n in trial.run.notes if "not killed" in n)[:160],
        )
        delivered = sum(d for _, _, d in requests)
        if all(k is None for k in keys):
            return [
                done,
                hit,
                Criterion(
                    False,
                    f"the customer got {delivered} SMS: no key was sent (idempotency_key=None), "
                    "so the gateway saw unrelated requests",
                ),
            ]
        got = Criterion(
            delivered == 1,
            f"the customer got 1 SMS from {len(requests)} requests to the gateway"
            if delivered == 1
            else f"the customer got {delivered} SMS from {len(requests)} requests",
        )
        own = self._own_key(trial, keys)
        if not own.ok:  # a key shared with another order: why this customer may have got none
            return [done, hit, own, got, self._same_key(keys, requests)]
        return [done, hit, got, self._same_key(keys, requests), own]

    @staticmethod
    def _same_key(keys: list[Any], requests: list[Any]) -> Criterion:
        distinct = list(dict.fromkeys(keys))
        if len(distinct) == 1:
            return Criterion(True, f"every attempt sent the same key, {str(distinct[0])[:48]!r}")
        said = " → ".join(repr(str(k))[:40] for k in distinct)
        if len(distinct) == 2 and keys[0] == keys[1]:
            why = "it changed on the retry: a key from the attempt number is new on every retry"
        else:
            why = (
                "it changed on the other worker, a day later: a key from the clock (a date, a "
                "minute, a timestamp) or at random is new on every re-run"
            )
        return Criterion(False, f"the keys sent were {said} — {why}; derive it from ctx.id")

    @staticmethod
    def _own_key(trial: Trial, keys: list[Any]) -> Criterion:
        theirs = {k for k, _, _ in trial.other.ledger.requests(trial.other.order_id, "sms")}
        shared = theirs & set(keys)
        return Criterion(
            not shared,
            "another order's SMS sent a key of its own"
            if not shared
            else (
                f"another order's SMS sent the same key {str(next(iter(shared)))[:40]!r}: the "
                "gateway took it for a repeat, and that customer got no SMS"
            ),
        )


def _load_error(text: str) -> str:
    """The last line of the traceback in a worker's log, in the learner's line numbers."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    error = next(
        (line for line in reversed(lines) if re.match(r"^\w+(Error|Exception)\b", line)), ""
    )
    where = [int(m) - 1 for m in re.findall(r'send_sms_\w+\.py", line (\d+)', text)]
    return f"your cell failed to load in a worker process: {error[:160]}" + (
        f" (line {where[-1]})" if where else ""
    )


exercise = IdempotencyKey()
