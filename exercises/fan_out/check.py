"""The check of exercise fan_out (lesson 2): the order takes as long as the slowest channel."""

from __future__ import annotations

from lab.checks.verdicts import Answer, Criterion
from lab.checks.workflow_checks import Trial, WorkflowExercise, started


class FanOut(WorkflowExercise):
    name = "fan_out"
    lesson = "02"
    function = "notify_fan_out"
    hints = (
        "`ctx.rfi(...)` returns a handle at once; `yield handle` is what waits. Waiting after "
        "each start is what makes it a staircase.",
        "Start all four first — four `yield ctx.rfi(...).options(id=...)` lines in a row — and "
        "only then `yield` each handle.",
        "Keep each branch's id f\"{ctx.id}.<channel>\": the id is how a retry finds that branch's stored result.",
    )

    title = "your workflow: fan-out"

    def scenario(self, answer: Answer, *, live: bool) -> Trial:
        trial = super().scenario(answer, live=live)
        if _stalled(trial):  # measured once more: a stall of the machine is not the learner's code
            trial = super().scenario(answer, live=False)
        return trial

    def criteria(self, trial: Trial) -> list[Criterion]:
        run = trial.run
        took, spread = _shape(trial)
        slowest, total = max(took.values(), default=0), sum(took.values())
        if run.wall_ms <= 1.3 * slowest:
            wall = Criterion(
                True,
                f"wall {run.wall_ms} ms ≈ the slowest channel ({slowest} ms), not the sum ({total} ms)",
            )
        elif run.wall_ms >= 0.85 * total:
            wall = Criterion(
                False,
                f"wall {run.wall_ms} ms ≈ the sum of the channels ({total} ms): each handle is "
                "yielded right after its start, so each channel waits for the one before",
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
        return [wall, together]


def _shape(trial: Trial) -> tuple[dict[str, int], int]:
    """Each channel's first attempt in ms, and how far apart the four started (ms).

    The channels' times as the harness measured them, never as the workflow reports them.
    """
    first = started(trial)
    took = {c: round((a.ended - a.started) * 1000) for c, a in first.items() if a.ended}
    starts = [a.started for a in first.values()]
    return took, round((max(starts) - min(starts)) * 1000) if starts else 0


def _stalled(trial: Trial) -> bool:
    """All four started together, yet the wall is well past the slowest and short of the sum.

    Code cannot do that: started together, the channels end by the slowest. The machine can
    (a disk flush, a busy neighbour), so such a run is measured again on a new order.
    """
    took, spread = _shape(trial)
    if len(took) < 4:
        return False
    slowest, wall = max(took.values()), trial.run.wall_ms
    return spread < 0.25 * slowest and 1.3 * slowest < wall < 0.85 * sum(took.values())


exercise = FanOut()
