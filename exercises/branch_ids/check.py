"""The check of exercise branch_ids (lesson 3): every branch has an id of its own."""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from lab.checks.verdicts import Criterion
from lab.checks.workflow_checks import Trial, WorkflowExercise
from lab.orders.faults import Fault
from lab.orders.ledger import CHANNELS


class BranchIds(WorkflowExercise):
    name = "branch_ids"
    lesson = "03"
    function = "notify_bug_hunt"
    hints = (
        "The result says 4/4. Ask the ledger instead: `branch_ids.last.run.ledger_table()` — "
        "which channel has no attempt at all?",
        "Then ask the store: `branch_ids.last.run.checkpoints()` — one promise per channel? "
        "Compare each `.options(id=...)` line with its channel.",
        "Two branches share one id, so the SDK hands the second one the first one's stored "
        "result — and never calls its function.",
    )

    title = "your workflow: push fails once"
    faults: ClassVar = {"push": Fault(fail_first=1)}  # as in the lesson: push's retry is its own

    def criteria(self, trial: Trial) -> list[Criterion]:
        run = trial.run
        results = run.result.get("results")
        listed = (
            [r.get("channel") for r in results if isinstance(r, dict)]
            if isinstance(results, list)
            else []
        )
        whole = Counter(listed) == Counter(CHANNELS)  # in any order: the order of a list is yours
        doubled = [c for c, n in Counter(listed).items() if n > 1]
        each = Criterion(
            whole,
            "the result holds one result per channel"
            if whole
            else (
                f"the result holds {', '.join(map(str, listed)) or 'no results'}"
                + (
                    f" — {doubled[0]} twice: a branch got another's stored result"
                    if doubled
                    else ""
                )
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
        return [each, retried]


exercise = BranchIds()
