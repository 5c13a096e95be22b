"""The check of exercise push_first (lesson 1): push reaches the customer first, the rest in turn."""

from __future__ import annotations

import itertools

from lab.verdicts import Answer, Criterion, Exercise
from lab.workflow_checks import (
    Trial,
    completed,
    customer_got_each_once,
    ids_survive_a_replay,
    own_branches,
    run_trial,
    started,
)


class PushFirst(Exercise):
    name = "push_first"
    lesson = "01"
    function = "notify_push_first"
    hints = (
        "A `yield handle` waits: the channel started on the line before it must finish before the next line runs.",
        "Push is the last pair of lines (start, then wait). Move that pair above email's.",
        "Keep the four channels one after another; only their order changes. Run the cell, then check again.",
    )

    def scenario(self, answer: Answer, *, live: bool) -> Trial:
        return run_trial(answer, live=live, title="your workflow: push first")

    def judge(self, trial: Trial, answer: Answer) -> list[Criterion]:
        done = completed(trial, answer)
        if not done.ok:
            return [done]
        first = started(trial)
        push = first.get("push")
        criteria = [done, customer_got_each_once(trial)]
        if push is None or push.ended is None:
            return [*criteria, Criterion(False, "push never ran as a branch")]
        run = trial.run
        push_ms = round((push.ended - run.origin) * 1000)
        before = [a.channel for c, a in first.items() if c != "push" and a.started < push.started]
        if not before:
            criteria.append(
                Criterion(True, f"push reached the customer {push_ms} ms after the order, first")
            )
        else:
            criteria.append(
                Criterion(
                    False,
                    f"push reached the customer {push_ms} ms after the order, after "
                    f"{', '.join(before)}: each `yield` waits, so push waits for every channel "
                    "started before it",
                )
            )
        ordered = sorted(first.values(), key=lambda a: a.started)
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
        return [*criteria, own_branches(trial), ids_survive_a_replay(trial)]


exercise = PushFirst()
