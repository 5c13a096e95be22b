"""Exercises: the learner writes the durable code, the lab runs it and gives a verdict.

    from lab.exercises import fan_out
    fan_out.check()      # runs your notify_fan_out for real; ✓/✗ per criterion, with the figure
    fan_out.hint()       # one hint at a time
    fan_out.solution()   # exercises/fan_out/solution.py

``check()`` finds the learner's function in the notebook by name (as Kaggle's
learntools does), runs it on a new order through the same harness as the
lessons, and judges the run — the timeline's times, the durable promises in
the store, the send ledger — never the text of the code. Nothing defined yet
→ "not attempted yet". The practice code as given runs and fails with the
reason, so the learner sees the problem before fixing it.

The exercises' tasks, starting code and solutions are in ``exercises/<name>/``.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from channels import CHANNELS
from lab.checkpoints import checkpoints
from lab.ledger import Fault
from lab.run import Run

FOLDER = Path(__file__).resolve().parent.parent / "exercises"


@dataclass(frozen=True)
class Criterion:
    ok: bool
    text: str  # what was measured, and on ✗ why

    def __str__(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.text}"


@dataclass
class Verdict:
    exercise: str
    status: str  # "not attempted" | "passed" | "failed"
    criteria: list[Criterion] = field(default_factory=list)
    run: Run | None = None
    as_given: bool = False  # the practice code, untouched

    @property
    def passed(self) -> bool | None:
        return None if self.status == "not attempted" else self.status == "passed"

    def failing(self) -> list[str]:
        return [c.text for c in self.criteria if not c.ok]

    def _ipython_display_(self) -> None:
        """A check cell shows the verdict ``check()`` printed, and no repr after it."""

    def __str__(self) -> str:
        if self.status == "not attempted":
            return f"{self.exercise}: not attempted yet"
        lines = [
            f"{self.exercise}: {'passed ✓' if self.status == 'passed' else 'not yet ✗'}",
            *(f"  {c}" for c in self.criteria),
        ]
        if self.as_given:
            lines.append(
                "  (this is the practice code as given: edit it, run its cell, then check again)"
            )
        elif self.status == "failed":
            lines.append(f"  stuck? {self.exercise}.hint()")
        return "\n".join(lines)


def source_of(fn: Callable[..., Any]) -> str:
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        return ""


def _normal(source: str) -> str:
    """Source without comments, docstrings or layout: what the code does, not how it is typed."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(getattr(body[0], "value", None), ast.Constant)
        ):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


class Exercise:
    """One exercise: where its files are, how to run the learner's code, how to judge the run."""

    lesson: str = ""
    function: str = ""  # the name the learner's function has in the practice cell
    hints: tuple[str, ...] = ()

    def __init__(self, name: str) -> None:
        self.name = name
        self.folder = FOLDER / name
        self._hints_given = 0
        self.last: Verdict | None = None  # the latest check's verdict, with its run

    def __repr__(self) -> str:
        return f"<exercise {self.name} (lesson {self.lesson}): define {self.function}, then {self.name}.check()>"

    # -- what the learner calls

    def check(
        self, fn: Callable[..., Any] | None = None, *, live: bool = True, quiet: bool = False
    ) -> Verdict:
        """Run the learner's function for real and judge the run."""
        fn = fn if fn is not None else _from_notebook(self.function)
        if fn is None:
            verdict = self.last = Verdict(self.name, "not attempted")
            if not quiet:
                print(
                    f"{self.name}: not attempted yet — run the practice cell that defines "
                    f"{self.function}, then check again."
                )
            return verdict
        run = self.scenario(fn, live=live and not quiet)
        criteria = self.judge(run)
        verdict = Verdict(
            self.name, "passed" if all(c.ok for c in criteria) else "failed", criteria, run
        )
        verdict.as_given = _normal(source_of(fn)) == _normal(self.practice_source())
        self.last = verdict
        if not quiet:
            print(verdict)
        return verdict

    def hint(self) -> None:
        """The next hint (they get more specific), then the first again."""
        n = self._hints_given % len(self.hints)
        self._hints_given += 1
        print(f"Hint {n + 1} of {len(self.hints)}: {self.hints[n]}")

    def solution(self) -> Any:
        """The solution file, as code."""
        from IPython.display import Code

        return Code(
            f"# exercises/{self.name}/solution.py\n" + (self.folder / "solution.py").read_text(),
            language="python",
        )

    # -- files

    def practice_source(self) -> str:
        return function_source(self.folder / "practice.py", self.function)

    def load(self, which: str) -> Callable[..., Any]:
        """The function from ``practice.py`` or ``solution.py`` (tests, ``python -m lab.exercises``)."""
        import importlib.util

        path = self.folder / f"{which}.py"
        spec = importlib.util.spec_from_file_location(f"exercises.{self.name}.{which}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # inspect.getsource finds it there
        spec.loader.exec_module(module)
        return getattr(module, self.function)

    # -- per exercise

    def scenario(self, fn: Callable[..., Any], *, live: bool) -> Run:
        raise NotImplementedError

    def judge(self, run: Run) -> list[Criterion]:
        raise NotImplementedError


def function_source(path: Path, name: str) -> str:
    source = path.read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return ast.get_source_segment(source, node) or ""
    return ""


def _from_notebook(name: str) -> Callable[..., Any] | None:
    main = sys.modules.get("__main__")
    fn = getattr(main, name, None)
    return fn if callable(fn) else None


def _embedded_lab() -> Any:
    from lab.runtime import Lab

    return Lab(workers=4, server=False)


# -- shared criteria: read off the run


def _completed(run: Run) -> Criterion:
    try:
        result = run.wait(30)
    except Exception as e:  # noqa: BLE001 - the learner's workflow failed: that is the verdict
        return Criterion(False, f"the workflow failed: {type(e).__name__}: {e}")
    n = result.get("channels_notified") if isinstance(result, dict) else None
    return Criterion(n == 4, f"the workflow returned {n}/4 channels notified")


def _sent_once(run: Run) -> Criterion:
    sends = run.sends()
    wrong = {c: n for c, n in sends.items() if n != 1}
    if not wrong:
        return Criterion(True, "the ledger shows each channel confirmed sent exactly once")
    said = ", ".join(f"{c} {n}×" for c, n in wrong.items())
    why = "never called" if 0 in wrong.values() else "sent more than once"
    return Criterion(
        False, f"the ledger shows {said} ({why}); every customer should get each message once"
    )


def _own_branches(run: Run) -> Criterion:
    found = {r["id"]: r for r in checkpoints(run.resonate, run.workflow_id)}
    missing = [c for c in CHANNELS if f"{run.workflow_id}.{c}" not in found]
    if missing:
        c = missing[0]
        return Criterion(
            False,
            f"no durable promise {run.workflow_id}.{c}: the store holds no result for {c}, "
            "so a retry or replay cannot find one — every branch needs an id of its own",
        )
    wrong = [
        c for c in CHANNELS if f"msg_{c}_" not in str(found[f"{run.workflow_id}.{c}"]["value"])
    ]
    if wrong:
        return Criterion(False, f"{run.workflow_id}.{wrong[0]} holds another channel's result")
    return Criterion(True, f"each channel has its own durable promise, {run.workflow_id}.<channel>")


class PushFirst(Exercise):
    lesson = "01"
    function = "notify_push_first"
    hints = (
        "A `yield handle` waits: the channel started on the line before it must finish before the next line runs.",
        "Push is the last pair of lines (start, then wait). Move that pair above email's.",
        "Keep the four channels one after another; only their order changes. Run the cell, then check again.",
    )

    def scenario(self, fn: Callable[..., Any], *, live: bool) -> Run:
        return _embedded_lab().run(
            workflow=fn, live=live, title="your workflow: push first", axis_ms=1100
        )

    def judge(self, run: Run) -> list[Criterion]:
        done = _completed(run)
        if not done.ok:
            return [done]
        first = {
            c: min(
                (a for a in run.attempts() if a.channel == c), key=lambda a: a.started, default=None
            )
            for c in CHANNELS
        }
        push = first["push"]
        criteria = [done, _sent_once(run)]
        if push is None or push.ended is None:
            return [*criteria, Criterion(False, "push never ran")]
        push_ms = round((push.ended - run.origin) * 1000)
        others = [a for c, a in first.items() if c != "push" and a is not None]
        if all(push.ended <= a.started for a in others):
            criteria.append(
                Criterion(
                    True,
                    f"push reached the customer {push_ms} ms after the order, before any other channel started",
                )
            )
        else:
            before = [a.channel for a in others if a.started < push.started]
            criteria.append(
                Criterion(
                    False,
                    f"push reached the customer {push_ms} ms after the order, after {', '.join(before) or 'others'}: "
                    "each `yield` waits, so push waits for every channel started before it",
                )
            )
        ordered = sorted((a for a in first.values() if a is not None), key=lambda a: a.started)
        overlaps = [
            f"{b.channel} started before {a.channel} ended"
            for a, b in itertools.pairwise(ordered)
            if a.ended and b.started < a.ended
        ]
        criteria.append(
            Criterion(
                not overlaps,
                f"one after another, wall {run.wall_ms} ms ≈ the sum of the channels"
                if not overlaps
                else f"{overlaps[0]}: this exercise keeps the channels one after another (fan-out is lesson 2)",
            )
        )
        return criteria


class FanOut(Exercise):
    lesson = "02"
    function = "notify_fan_out"
    hints = (
        "`ctx.rfi(...)` returns a handle at once; `yield handle` is what waits. Waiting after "
        "each start is what makes it a staircase.",
        "Start all four first — four `yield ctx.rfi(...).options(id=...)` lines in a row — and "
        "only then `yield` each handle.",
        "Keep each branch's id f\"{ctx.id}.<channel>\": the id is how a retry finds that branch's stored result.",
    )

    def scenario(self, fn: Callable[..., Any], *, live: bool) -> Run:
        return _embedded_lab().run(
            workflow=fn, live=live, title="your workflow: fan-out", axis_ms=1100
        )

    def judge(self, run: Run) -> list[Criterion]:
        done = _completed(run)
        if not done.ok:
            return [done]
        ms = run.channel_ms()
        slowest, total = max(ms.values(), default=0), sum(ms.values())
        starts = [a.started for a in run.attempts()]
        spread = round((max(starts) - min(starts)) * 1000) if starts else 0
        if run.wall_ms <= 1.3 * slowest:
            wall = Criterion(
                True,
                f"wall {run.wall_ms} ms ≈ the slowest channel ({slowest} ms), not the sum ({total} ms)",
            )
        elif run.wall_ms >= 0.85 * total:
            wall = Criterion(
                False,
                f"wall {run.wall_ms} ms ≈ the sum of the channels ({total} ms): the handles are yielded one by one",
            )
        else:
            wall = Criterion(
                False,
                f"wall {run.wall_ms} ms: more than the slowest channel ({slowest} ms) — some "
                "channels still wait for others",
            )
        together = Criterion(
            spread < 0.25 * slowest,
            f"the four channels started within {spread} ms of each other"
            + ("" if spread < 0.25 * slowest else ": start them all before yielding any handle"),
        )
        return [done, _sent_once(run), wall, together, _own_branches(run)]


class BranchIds(Exercise):
    lesson = "03"
    function = "notify_bug_hunt"
    hints = (
        "The result says 4/4. Ask the ledger instead: `branch_ids.last.run.ledger_table()` — "
        "which channel has no attempt at all?",
        "Then ask the store: `branch_ids.last.run.checkpoints()` — one promise per channel? Compare "
        "each `.options(id=...)` line with its channel.",
        "Two branches share one id, so the SDK hands the second one the first one's stored "
        "result — and never calls its function.",
    )

    def scenario(self, fn: Callable[..., Any], *, live: bool) -> Run:
        # Push fails its first attempt, as in the lesson: its retry must be its own.
        return _embedded_lab().run(
            workflow=fn,
            live=live,
            faults={"push": Fault(fail_first=1)},
            title="your workflow: push fails once",
        )

    def judge(self, run: Run) -> list[Criterion]:
        done = _completed(run)
        if not done.ok:
            return [done]
        listed = [r.get("channel") for r in run.result.get("results", []) if isinstance(r, dict)]
        results = Criterion(
            listed == list(CHANNELS),
            f"the result lists {', '.join(map(str, listed))}"
            + (
                ""
                if listed == list(CHANNELS)
                else f" — not {', '.join(CHANNELS)}: a branch returned another's result"
            ),
        )
        push = [a.outcome for a in run.attempts() if a.channel == "push"]
        retried = Criterion(
            push == ["failed", "sent"],
            f"push's attempts: {', '.join(push) or 'none'}"
            + (
                ""
                if push == ["failed", "sent"]
                else " — expected failed, then sent on its own retry"
            ),
        )
        return [done, _sent_once(run), results, retried, _own_branches(run)]


class IdempotencyKey(Exercise):
    lesson = "04"
    function = "send_sms"
    hints = (
        "The kill lands while the gateway is answering: the SMS has gone out, but the worker "
        "never hears back. The re-run sends it again.",
        "`sms_gateway.send(event, idempotency_key=...)` delivers once per key. The key must be "
        "the same on every attempt of this branch.",
        "Every attempt of a branch runs with the same `ctx.id` — the branch's durable id, e.g. "
        "notify/ord_….sms. Use it as the key.",
    )
    HEADER = (
        "from __future__ import annotations\n\nimport time\nimport uuid\nfrom typing import "
        "Any\n\nfrom resonate import Context\n\nfrom lab.gateway import sms_gateway\n\n\n"
    )
    KILL_AT_MS = 150  # sms starts within ~50 ms and waits 250 ms for the gateway's answer

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._server: Any = None
        self._kills: dict[str, list[Any]] = {}

    def scenario(self, fn: Callable[..., Any], *, live: bool) -> Run:
        import hashlib
        import os
        import textwrap

        from lab.cluster import Cluster
        from lab.runtime import run_dir
        from lab.server import LocalServer

        # Worker processes cannot see the notebook: they load the learner's function from a file.
        source = textwrap.dedent(source_of(fn))
        if fn.__name__ != "send_sms":
            source += f"\n\nsend_sms = {fn.__name__}\n"
        folder = run_dir() / "exercises"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"send_sms_{hashlib.sha1(source.encode()).hexdigest()[:8]}.py"
        path.write_text(self.HEADER + source)
        if (
            self._server is None
        ):  # a server of the exercise's own: lesson 4's workers stay out of it
            self._server = LocalServer(run_dir() / f"exercise-server-{os.getpid()}")
        cluster = Cluster(processes=2, ttl=2, server=self._server, replace={"sms": path})
        try:
            run = cluster.start(kill="sms", at_ms=self.KILL_AT_MS)
            chart = cluster.timeline(
                run, **cluster.timeline_options(), title="your send_sms: its worker killed mid-call"
            )
            if live:
                chart.show()
            try:
                run.wait(30)
            except Exception:  # noqa: BLE001 - judged below: "the workflow failed"
                pass
            self._kills[run.workflow_id] = cluster.kills_of(run)
            chart.drawn.wait(5)
        finally:
            cluster.stop_workers()  # the next check runs the next version of the code
        return run

    def judge(self, run: Run) -> list[Criterion]:
        from lab.runtime import run_dir

        done = _completed(run)
        if not done.ok:
            return [
                Criterion(False, f"{done.text} — the worker logs are in {run_dir() / 'workers'}")
            ]
        kills = [k for k in self._kills.get(run.workflow_id, []) if "sms" in k.doing]
        sms = [a for a in run.attempts() if a.channel == "sms"]
        if not kills or len(sms) < 2:
            return [
                done,
                Criterion(
                    False,
                    f"the kill at {self.KILL_AT_MS} ms missed sms (it was not running then): check again",
                ),
            ]
        hit = Criterion(
            True, f"sms's worker (pid {kills[0].pid}) was killed mid-call; sms ran {len(sms)} times"
        )
        requests = run.ledger.requests(run.order_id, "sms")
        keys = [k for k, _, _ in requests]
        delivered = sum(d for _, _, d in requests)
        if delivered == 1:
            got = Criterion(
                True, f"the customer got 1 SMS from {len(requests)} requests to the gateway"
            )
        elif all(k is None for k in keys):
            got = Criterion(
                False,
                f"the customer got {delivered} SMS: the re-run sent it again, and with no "
                "idempotency key the gateway could not tell it was the same message",
            )
        else:
            got = Criterion(
                False,
                f"the customer got {delivered} SMS from {len(requests)} requests: the attempts "
                "sent different keys, so each looked new",
            )
        if all(k is None for k in keys):
            return [
                done,
                hit,
                got,
                Criterion(
                    False,
                    "no key was sent (idempotency_key=None): the gateway sees two unrelated requests",
                ),
            ]
        same = keys[0] is not None and len(set(keys)) == 1
        said = ", ".join(repr(k)[:48] for k in dict.fromkeys(keys))
        key = Criterion(
            same,
            f"every attempt sent the same key, {said}"
            if same
            else f"keys sent: {said} — a key must be the same on every attempt of the branch, as ctx.id is",
        )
        tied = same and run.order_id in str(keys[0])
        order = Criterion(
            tied,
            "the key belongs to this order's SMS"
            if tied
            else (
                "the key is not tied to this order: every order's SMS would share it, and only "
                "the first would ever arrive"
            ),
        )
        return [done, hit, got, key, order]


@dataclass
class Deliveries:
    """What lesson 5's exercise saw: one event delivered twice around a server crash, and another order."""

    event: dict[str, Any]
    other: dict[str, Any]
    answers: dict[str, Any]  # "first", "again", "other": the workflow's result, or the exception
    ledger: Any


class Redelivery(Exercise):
    lesson = "05"
    function = "submit"
    hints = (
        "The event bus delivers `order.confirmed` at least once: after a crash the same event "
        "arrives again. What decides whether a second workflow starts?",
        "Resonate starts a workflow per id. The same id again joins the run in flight (or "
        "returns its stored result); a new id starts a new run.",
        "Derive the id from the event: f\"notify/{event['order_id']}\" — the same for a "
        "redelivery, different for every order.",
    )

    def scenario(self, fn: Callable[..., Any], *, live: bool) -> Deliveries:
        from lab.events import new_event
        from lab.outage import ServerCrash

        crash = ServerCrash(processes=2)  # the lesson's server and workers, reused
        crash.restart_server()  # no-op when it is up
        client = crash.resonate()
        event, other = new_event(), new_event(user_id="user_alice")
        answers: dict[str, Any] = {}

        def deliver(tag: str, ev: dict[str, Any]) -> None:
            try:
                handle = fn(client, ev)
                answers[tag] = handle.result() if hasattr(handle, "result") else handle
            except Exception as e:  # noqa: BLE001 - the learner's code failed: that is the verdict
                answers[tag] = e

        first = threading.Thread(target=deliver, args=("first", event), daemon=True)
        first.start()
        time.sleep(0.15)
        crash.kill_server()  # mid-run
        time.sleep(1.0)
        crash.restart_server()
        later = [
            threading.Thread(target=deliver, args=(tag, ev), daemon=True)
            for tag, ev in (("again", event), ("other", other))
        ]
        for t in later:
            t.start()
        for t in (first, *later):
            t.join(30)
        return Deliveries(event, other, answers, crash.ledger)

    def judge(self, run: Deliveries) -> list[Criterion]:  # type: ignore[override]
        first, again = run.answers.get("first"), run.answers.get("again")
        if not isinstance(first, dict):
            return [
                Criterion(
                    False,
                    f"the first delivery did not return the workflow's result: {first!r}"[:300],
                )
            ]
        criteria = [
            Criterion(
                first.get("channels_notified") == 4,
                f"the first delivery: {first.get('channels_notified')}/4 notified, through the server crash",
            )
        ]
        sends = run.ledger.sends(run.event["order_id"])
        twice = {c: n for c, n in sends.items() if n != 1}
        criteria.append(
            Criterion(
                not twice,
                "the redelivered event sent nothing new: each channel confirmed once"
                if not twice
                else (
                    f"{', '.join(f'{c} {n}×' for c, n in twice.items())} for one order: the "
                    "second delivery of the same event started a second workflow — give it "
                    "the same id"
                ),
            )
        )
        same = isinstance(again, dict) and again.get("results") == first.get("results")
        criteria.append(
            Criterion(
                same,
                "both deliveries got the same result (the same message ids)"
                if same
                else "the second delivery got a different result: it was a different run",
            )
        )
        other = run.ledger.sends(run.other["order_id"])
        ok = all(n == 1 for n in other.values())
        criteria.append(
            Criterion(
                ok,
                "another order from the same customer was notified too"
                if ok
                else (
                    f"another order from the same customer got {other}: its id collided with "
                    "the first order's — the id must be unique per order"
                ),
            )
        )
        return criteria


push_first = PushFirst("push_first")
fan_out = FanOut("fan_out")
branch_ids = BranchIds("branch_ids")
idempotency_key = IdempotencyKey("idempotency_key")
redelivery = Redelivery("redelivery")
EXERCISES = {e.name: e for e in (push_first, fan_out, branch_ids, idempotency_key, redelivery)}
