"""The check of exercise push_first (lesson 1): push reaches the customer first, the rest in turn."""

from __future__ import annotations

import itertools

from lab.checks.verdicts import Criterion
from lab.checks.workflow_checks import Trial, WorkflowExercise, started


class PushFirst(WorkflowExercise):
    name = "push_first"
    lesson = "01"
    function = "notify_push_first"
    hints = (
        "A `yield handle` waits: the channel started on the line before it must finish before the next line runs.",
        "Push is the last pair of lines (start, then wait). Move that pair above email's.",
        "Keep the four channels one after another; only their order changes. Run the cell, then check again.",
    )

    title = "your workflow: push first"

    def criteria(self, trial: Trial) -> list[Criterion]:
        first = started(trial)
        push = first.get("push")
        criteria: list[Criterion] = []
        if push is None or push.ended is None:
            return [Criterion(False, "push never ran as a branch")]
        run = trial.run
        push_ms = round((push.ended - run.origin) * 1000)
        # The channels push waited for: done before it even started.
        before = [
            a.channel
            for c, a in first.items()
            if c != "push" and a.ended and a.ended <= push.started
        ]
        if not before:
            criteria.append(
                Criterion(
                    True,
                    f"push reached the customer {push_ms} ms after the order, before any other",
                )
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
        return criteria


exercise = PushFirst()
