"""Running a learner's workflow for a check, and the criteria the workflow exercises share.

A trial runs the learner's generator on a new order in this kernel (the embedded
store), with every channel call counted from the channel's side
(``ProviderCalls``), then *replays* it: the same order again, from the top, on a
fresh store, in a process whose clock reads a day later (``lab.checks.replay``) — what
another worker does after a crash, tomorrow — next to another order. Deterministic branch
ids come out the same on the replay and differ from the other order's; ids from
``uuid4()``, ``time.time_ns()``, a date or a minute bucket do not, and the verdict
says so. Any deterministic function of the order and channel passes.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from typing import Any

from lab.checks import replay
from lab.checks.clock import on_another_day
from lab.checks.provider_calls import ProviderCalls
from lab.checks.verdicts import Answer, Criterion, Exercise, LearnerError
from lab.errors import Refused
from lab.orders.faults import Fault
from lab.orders.ledger import CHANNELS
from lab.orders.observe import branch_ids, branches_by_order
from lab.orders.run import Run

_replays = itertools.count(1)


@dataclass
class Trial:
    run: Run
    plain: Counter  # calls of each channel that did not go through Resonate
    replay: dict[str, set[str]]  # the branch ids of the same order, replayed a day later
    other: dict[str, set[str]]  # the branch ids of another order
    replay_error: str | None = None  # what the replayed workflow raised

    @property
    def ids(self) -> dict[str, set[str]]:
        return branch_ids(self.run.order_id, self.run.ledger)

    def __getattr__(self, name: str) -> Any:  # the run's tables: trial.ledger_table(), …
        return getattr(self.run, name)


def _lab(ledger: str = "checks.sqlite") -> Any:
    from lab.orders.runtime import Lab
    from lab.paths import run_dir

    return Lab(workers=4, server=False, ledger=run_dir() / ledger)


def run_trial(
    answer: Answer,
    *,
    live: bool,
    title: str,
    faults: dict[str, Fault] | None = None,
    timeout: float = 90,
) -> Trial:
    """The learner's workflow on a new order, then its replay a day later and another order."""
    from lab.orders.events import new_event

    lab, replays, event = _lab(), _lab("replays.sqlite"), new_event()
    job = replay.prepare(answer.fn, event, faults, replays.ledger.path)  # before: no memory
    with ProviderCalls(answer.codes()) as calls:
        try:
            run = lab.run(
                event, workflow=answer.fn, live=live, title=title, faults=faults, timeout=timeout
            )
        except Exception as e:  # noqa: BLE001 - the learner's workflow raised: that is the verdict
            if job is not None:
                job.unlink(missing_ok=True)
            if isinstance(e, Refused):  # not a generator function: said before anything ran
                raise LearnerError(f"{answer.name}: {e}") from None
            raise LearnerError(answer.raised(e, line=calls.line_of(e))) from None
        again = replay.start(job) if job is not None else None
        other = replays.start(new_event(), workflow=answer.fn, faults=faults)
        try:
            other.wait(min(30, timeout))
        except Exception:  # noqa: BLE001 - the ids it used are what is judged
            pass
        replayed = replay.finish(again) if again is not None else None
        if replayed is None:  # it cannot travel, or its process did not run: replay it here
            replayed = _replay_here(answer, event, faults, replays, timeout)
    return Trial(
        run,
        calls.plain(run.order_id) + replayed.plain,
        replayed.ids,
        branch_ids(other.order_id, other.ledger),
        replayed.error,
    )


def _replay_here(answer: Answer, event: dict, faults: Any, replays: Any, timeout: float) -> Any:
    """The replay in this kernel, moving only the clocks it can name (``lab.checks.clock``);
    its channel calls are counted by the kernel's ``ProviderCalls``."""
    tomorrow = on_another_day(answer.fn)
    tomorrow.__name__ = f"{answer.name}_replayed_{next(_replays)}"  # its own registration
    again = replays.start(event, workflow=tomorrow, faults=faults)
    error = replay.waited(again, min(replay.TIMEOUT_S, timeout))
    return replay.Replayed(branch_ids(again.order_id, again.ledger), Counter(), error)


def completed(trial: Trial, answer: Answer) -> Criterion:
    """The workflow returned a result with ``channels_notified`` (and ``results``) for 4/4."""
    result = trial.run.result
    if not isinstance(result, dict) or not {"channels_notified", "results"} <= set(result):
        return Criterion(
            False,
            f"your workflow returned {str(result)[:80]!r}: return the dict notify_all returns, "
            "with channels_notified and results",
        )
    n = result["channels_notified"]
    return Criterion(n == 4, f"the workflow returned {n}/4 channels notified")


def customer_got_each_once(trial: Trial) -> Criterion:
    """Every call that reached a channel counts, through Resonate or not."""
    durable = trial.run.sends()
    got = {c: durable.get(c, 0) + trial.plain.get(c, 0) for c in CHANNELS}
    if all(n == 1 for n in got.values()):
        return Criterion(True, "the customer got each message once")
    wrong = ", ".join(f"{c} {n}×" for c, n in got.items() if n != 1)
    plain = [c for c in CHANNELS if trial.plain.get(c)]
    if plain:
        why = (
            f"{', '.join(plain)} was also called directly, outside ctx.rfi — that call is not "
            "durable: it is not checkpointed, and every replay sends it again"
        )
    elif 0 in got.values():
        why = "a channel was never called"
    else:
        why = "a channel was sent more than once"
    return Criterion(False, f"the customer got {wrong}: {why}")


def borrowed_results(trial: Trial) -> Criterion | None:
    """A result this order got from another order's branch, found by its message id.

    A new order whose branch ids are fixed ("email") finds the promises an earlier order
    left under them — the earlier check's, when a learner checks twice — and is handed
    their stored results: no channel runs, and timings of nothing mean nothing. None: every
    result came from a call of this order's own.
    """
    others = branches_by_order(trial.run.ledger)
    ran = others.pop(trial.run.order_id, {})
    for r in trial.run.result["results"] or []:
        channel, message = (
            (r.get("channel"), r.get("message_id")) if isinstance(r, dict) else (None, None)
        )
        if channel in ran or not message:
            continue
        for order, channels in others.items():
            for branch in channels.get(channel, ()):
                if message in (_stored(trial.run, branch) or ""):
                    return Criterion(
                        False,
                        f"another order used the same id {branch!r}: this order got {order}'s "
                        f"stored {channel} result, and its customer nothing",
                    )
    return None


def own_branches(trial: Trial) -> Criterion:
    """Each channel ran under one id of its own, and that promise holds its own result."""
    ids = trial.ids
    missing = [c for c in CHANNELS if c not in ids]
    if missing:
        return Criterion(
            False,
            f"{missing[0]} never ran as a branch of its own: another branch's stored result was "
            "handed back in its place — every branch needs an id of its own",
        )
    owners: dict[str, list[str]] = {}
    for c in CHANNELS:
        for i in ids[c]:
            owners.setdefault(i, []).append(c)
    shared = [(i, cs) for i, cs in owners.items() if len(cs) > 1]
    if shared:
        i, cs = shared[0]
        return Criterion(False, f"{' and '.join(cs)} share the id {i!r}: give each its own")
    wrong = []
    for c in CHANNELS:
        value = _stored(trial.run, next(iter(ids[c])))
        if value is not None and f"msg_{c}_" not in value:
            wrong.append(c)
    if wrong:
        return Criterion(False, f"{wrong[0]}'s promise holds another channel's result")
    return Criterion(True, "each channel ran under a durable id of its own, holding its result")


def _stored(run: Run, promise_id: str) -> str | None:
    try:
        return run.resonate.promises.get(promise_id).value.data or ""
    except Exception:  # noqa: BLE001 - not in the store: nothing to compare
        return None


def ids_survive_a_replay(trial: Trial) -> Criterion:
    """The same ids on a replay a day later; none shared with another order."""
    ids = trial.ids
    if trial.replay_error:
        return Criterion(
            False,
            f"replayed a day later in another process, your workflow raised "
            f"{trial.replay_error}: a replay runs on whichever worker is up, with none of "
            "this kernel's memory",
        )
    unreplayed = [c for c in CHANNELS if c in ids and not trial.replay.get(c)]
    if unreplayed:
        return Criterion(
            False,
            f"replayed a day later, the workflow never ran {', '.join(unreplayed)}: a replay "
            "must take the same path, with the same ids",
        )
    for c in CHANNELS:
        if c in ids and trial.replay.get(c) and trial.replay[c] != ids[c]:
            before, after = sorted(ids[c])[0], sorted(trial.replay[c])[0]
            return Criterion(
                False,
                f"{c}'s id changed when the same order was replayed a day later ({before!r} → "
                f"{after!r}): an id made from the clock or at random is new on every replay, "
                "so the replay finds no stored result and sends again",
            )
    mine = {i for v in ids.values() for i in v}
    theirs = {i for v in trial.other.values() for i in v}
    skipped = [c for c in CHANNELS if c in ids and c not in trial.other]
    if skipped and not mine & theirs:
        return Criterion(
            False,
            f"another order used the same id for {skipped[0]}: it got the stored result of an "
            "earlier order, and its customer nothing",
        )
    if mine & theirs:
        return Criterion(
            False,
            f"another order used the same id {sorted(mine & theirs)[0]!r}: it would get this "
            "order's stored result, and its customer nothing",
        )
    return Criterion(
        True, "the ids are the same when the order is replayed a day later, and this order's own"
    )


def started(trial: Trial) -> dict[str, Any]:
    """Each channel's first attempt, from the ledger (the harness's clock)."""
    first: dict[str, Any] = {}
    for a in sorted(trial.run.attempts(), key=lambda a: a.started):
        first.setdefault(a.channel, a)
    return first


class WorkflowExercise(Exercise):
    """An exercise whose answer is a workflow, run in the kernel by ``run_trial``.

    A subclass names its chart's ``title``, the ``faults`` of its scenario, and its own
    ``criteria``; the shared ones come first (done, each message once) and last (own
    branches, ids that survive a replay).
    """

    title = ""
    faults: dict[str, Fault] | None = None

    def scenario(self, answer: Answer, *, live: bool) -> Trial:
        return run_trial(answer, live=live, title=self.title, faults=self.faults)

    def judge(self, trial: Trial, answer: Answer) -> list[Criterion]:
        done = completed(trial, answer)
        if not done.ok:
            return [done]
        borrowed = borrowed_results(trial)
        if borrowed:
            return [done, borrowed]
        return [
            done,
            customer_got_each_once(trial),
            *self.criteria(trial),
            own_branches(trial),
            ids_survive_a_replay(trial),
        ]

    def criteria(self, trial: Trial) -> list[Criterion]:
        raise NotImplementedError
