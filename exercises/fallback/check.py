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

from exercises.deadlines import DEADLINE_S
from lab.checks.gateway import ANSWER_MS
from lab.checks.verdicts import Answer, Criterion, Exercise, LearnerError
from lab.checks.workflow_checks import Trial, ids_survive_a_replay, run_trial
from lab.orders.faults import Fault

FALLBACK_MS = ANSWER_MS  # send_sms takes 250 ms, like the gateway's answer
SPARE_MS = 300
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


def _sms_by_the_end(trial: Trial) -> int:
    """SMS messages the customer had when the order ended: through Resonate or not."""
    run = trial.run
    ended = run.ended or 0
    sent = [
        a
        for a in run.attempts()
        if a.channel == "sms" and a.outcome == "sent" and a.ended and a.ended <= ended + 0.05
    ]
    return len(sent) + trial.plain.get("sms", 0)


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
            finally:  # no hung call outlives its trial
                for ledger in ("ledger.sqlite", "replays.sqlite"):
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
        bound = round(DEADLINE_S * 1000) + FALLBACK_MS + SPARE_MS
        sms = _sms_by_the_end(trial)
        ids = trial.ids.get("sms", set())
        out = [
            Criterion(
                run.wall_ms <= bound,
                f"{label}: the order ended {run.wall_ms} ms after it was placed"
                + (
                    f", within the {DEADLINE_S:g} s deadline + the fallback's {FALLBACK_MS} ms"
                    if run.wall_ms <= bound
                    else f", past the {DEADLINE_S:g} s deadline + the fallback's {FALLBACK_MS} ms "
                    f"(+{SPARE_MS} ms spare): keep push's deadline at DEADLINE_S"
                ),
            )
        ]
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
        result = run.result
        n = result.get("channels_notified") if isinstance(result, dict) else None
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
