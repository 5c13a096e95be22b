"""The check of exercise fallback (lesson 7): push missed its deadline, so an SMS went instead.

Three trials, each on a new order in this kernel's embedded store, each replayed
a day later by the learner's clock next to another order (``run_trial``):

- push **hangs** (the provider takes the request and never answers): the branch's
  promise times out at the deadline;
- push is **down for good** (fails at once): the SDK gives up before the deadline,
  because no retry would start before it, with the provider's error;
- push is **healthy**.

After each trial push's provider is brought back, so no hung call outlives the
check. What the customer got is counted when the order ended, every call included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exercises.deadlines import DEADLINE_S
from lab.checks.verdicts import Answer, Criterion, Exercise, LearnerError
from lab.checks.workflow_checks import Trial, ids_survive_a_replay, run_trial
from lab.orders.faults import Fault

PROMPT_S = 1.0  # the fallback starts within this of push's miss, on a loaded machine too
SCENARIOS = {
    "push hangs": Fault(hang=True),
    "push down for good": Fault(down=True),
    "push healthy": Fault(),
}


@dataclass
class Trials:
    trials: dict[str, Trial]

    def __getattr__(self, name: str):  # the missed-deadline run's tables: .ledger_table(), …
        return getattr(self.trials["push hangs"], name)


def _sms_by_the_end(trial: Trial, *, ever: bool = False) -> int:
    """SMS messages the customer had when the order ended (``ever``: by now): through Resonate or not."""
    run = trial.run
    ended = float("inf") if ever else (run.ended or 0) + 0.05
    sent = [
        a
        for a in run.attempts()
        if a.channel == "sms" and a.outcome == "sent" and a.ended and a.ended <= ended
    ]
    return len(sent) + trial.plain.get("sms", 0)


def _notified(run: Any) -> Any:
    result = run.result
    return result.get("channels_notified") if isinstance(result, dict) else None


def _counted(label: str, run: Any) -> Criterion:
    """The order waits for its fallback and says so: its caller is told 4/4, not that push missed."""
    n = _notified(run)
    if n == 4:
        return Criterion(True, f"{label}: the order waited for the fallback and returned 4/4")
    return Criterion(
        False,
        f"{label}: the order returned {n}/4 though the customer got the fallback SMS — yield the "
        "fallback's handle and count its result in push's place, so its caller is told",
    )


def _promised_s(run: Any, branch: str) -> float | None:
    """The timeout a branch's promise was given, as the store holds it (s); None if unreadable."""
    try:
        return run.resonate.promises.get(branch).rel_timeout
    except Exception:  # noqa: BLE001 - not in this store: judged from the ledger instead
        return None


def _in_time(label: str, trial: Trial) -> Criterion:
    """Push's deadline as the store holds it, every branch started before it, and how soon the
    fallback followed push's miss.

    Judged from the branches' own times, not from the order's total: a machine that stalls
    the kernel mid-order (a busy room, a long collection) stretches the order, not these.
    """
    run = trial.run
    attempts = sorted(run.new_attempts(), key=lambda a: a.started)
    push = [a for a in attempts if a.channel == "push"]
    ids = trial.ids.get("push", set())
    if not push or push[0].deadline is None:
        return Criterion(False, f"{label}: push was not called through ctx.rfi with a deadline")
    if len(ids) > 1:
        return Criterion(
            False,
            f"{label}: push ran under {len(ids)} ids: call it once, and when it misses send the "
            "SMS instead",
        )
    first = push[0]
    given = _promised_s(run, next(iter(ids))) if ids else None
    given = first.deadline - first.started if given is None else given
    if abs(given - DEADLINE_S) > 0.1:
        return Criterion(
            False,
            f"{label}: push's deadline was {given:.2f} s: keep it at DEADLINE_S ({DEADLINE_S:g} s)",
        )
    began = {a.channel: a.started for a in reversed(attempts)}  # each channel's first attempt
    late = [c for c in ("email", "sms", "slack") if began.get(c, first.deadline) >= first.deadline]
    if late:
        return Criterion(
            False,
            f"{label}: {', '.join(late)} started only after push's deadline: start every branch "
            "before you wait on any",
        )
    missed = min(first.deadline, max((a.ended or first.deadline) for a in push))
    fallback = [a for a in attempts if a.channel == "sms"][1:]
    lag = round((fallback[0].started - missed) * 1000) if fallback else None
    if lag is not None and lag > PROMPT_S * 1000:
        return Criterion(
            False,
            f"{label}: the fallback SMS started {lag} ms after push missed (over {PROMPT_S:g} s): "
            "start it as soon as push's yield raises",
        )
    after = ""
    if lag is not None:
        after = f", the fallback SMS starting {abs(lag)} ms {'after' if lag >= 0 else 'before'} push missed"
    return Criterion(
        True,
        f"{label}: push's deadline was DEADLINE_S ({given:.1f} s){after}; the order ended "
        f"{run.wall_ms} ms after it was placed",
    )


class Fallback(Exercise):
    name = "fallback"
    lesson = "07"
    function = "notify_with_fallback"
    hints = (
        "Push can miss in two ways: its promise times out (ResonateTimedoutError), or the SDK "
        "gives up before the deadline with the provider's own error. Catch both at push's `yield`.",
        "When push missed, start the fallback like any branch — `yield ctx.rfi(send_sms, event)"
        ".options(id=...)` — and `yield` its handle, so the order waits for it.",
        'Give the fallback an id of its own, made from the order: f"{ctx.id}.push-fallback". '
        "The SMS branch's id would hand back the first SMS's stored result.",
    )

    def scenario(self, answer: Answer, *, live: bool) -> Trials:
        from lab.orders.runtime import Lab
        from lab.paths import run_dir

        trials = {}
        for label, fault in SCENARIOS.items():
            faults = {"push": fault} if fault != Fault() else None
            try:
                trials[label] = run_trial(
                    answer,
                    live=live,
                    title=f"your workflow: {label}",
                    faults=faults,
                    timeout=DEADLINE_S + 3,
                )
            except LearnerError as e:
                why = f"with {label}: {e}"
                if label == "push down for good" and "InjectedFailure" in str(e):
                    why += (
                        " — push missed before its deadline: the SDK gave up (no retry fits) "
                        "with the provider's error, not a timeout; catch that too"
                    )
                if "RunTimeout" in str(e):
                    why = (
                        f"with {label}: the order had not ended {DEADLINE_S + 3:g} s after it was "
                        "placed — does every branch have its deadline (timeout=DEADLINE_S)?"
                    )
                raise LearnerError(why) from None
            finally:  # no hung call outlives its trial; the lesson's own outages stay as they are
                for ledger in ("checks.sqlite", "replays.sqlite"):
                    Lab(workers=4, server=False, ledger=run_dir() / ledger).provider_back("push")
        return Trials(trials)

    def judge(self, ran: Trials, answer: Answer) -> list[Criterion]:
        criteria: list[Criterion] = []
        for label in ("push hangs", "push down for good"):
            criteria += self._missed(label, ran.trials[label])
        criteria += self._healthy(ran.trials["push healthy"])
        return criteria

    def _missed(self, label: str, trial: Trial) -> list[Criterion]:
        run = trial.run
        sms = _sms_by_the_end(trial)
        ids = trial.ids.get("sms", set())
        out = [_in_time(label, trial)]
        if trial.plain.get("sms"):
            out.append(
                Criterion(
                    False,
                    f"{label}: send_sms was called directly, outside ctx.rfi — that call is not "
                    "checkpointed, and every replay of the order texts the customer again",
                )
            )
        elif sms == 2 and len(ids) == 2:
            out.append(Criterion(True, f"{label}: the customer got one fallback SMS"))
            out.append(_counted(label, run))
        elif sms < 2 and _sms_by_the_end(trial, ever=True) >= 2 and len(ids) == 2:
            out.append(
                Criterion(
                    False,
                    f"{label}: the fallback SMS reached the customer only after the order had "
                    f"ended {_notified(run)}/4 — yield the fallback's handle and count its result "
                    "in push's place, so the order waits for it",
                )
            )
        elif sms < 2:
            out.append(
                Criterion(
                    False,
                    f"{label}: push missed and no fallback SMS was sent (under the SMS branch's "
                    "own id the store hands back the first SMS's result: give it an id of its own)",
                )
            )
        else:
            out.append(
                Criterion(False, f"{label}: the customer got {sms - 1} fallback SMS messages")
            )
        others = {c: n for c, n in run.sends().items() if c in ("email", "slack") and n != 1}
        if others:
            wrong = ", ".join(f"{c} {n}×" for c, n in others.items())
            out.append(Criterion(False, f"{label}: the customer got {wrong}"))
        replay = ids_survive_a_replay(trial)
        if not replay.ok:
            out.append(Criterion(False, f"{label}: {replay.text}"))
        elif sms >= 2 and not trial.plain.get("sms"):  # only about a fallback that was sent
            out.append(
                Criterion(
                    True,
                    f"{label}: the fallback's id is the same on a replay a day later, so a "
                    "replay texts nobody twice",
                )
            )
        return out

    def _healthy(self, trial: Trial) -> list[Criterion]:
        run = trial.run
        sms = _sms_by_the_end(trial)
        n = _notified(run)
        return [
            Criterion(
                sms == 1 and n == 4,
                f"push healthy: no fallback, {n}/4 notified in {run.wall_ms} ms"
                if sms == 1
                else f"push healthy: the customer got {sms} SMS messages — the fallback was sent "
                "although push was delivered",
            )
        ]


exercise = Fallback()
