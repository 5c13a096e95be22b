"""Exercises: the learner writes the durable code, the lab runs it and gives a verdict.

    from lab.exercises import fan_out
    fan_out.check()      # runs your notify_fan_out for real; ✓/✗ per criterion, with the figure
    fan_out.hint()       # one hint at a time
    fan_out.solution()   # exercises/fan_out/solution.py

Each exercise is a folder, ``exercises/<name>/``: ``README.md`` (the task),
``practice.py`` (where the learner starts), ``solution.py`` and ``check.py`` (the
scenario and the judgement). The machinery they share is ``lab.verdicts``; the
workflow exercises' trial and criteria are ``lab.workflow_checks``. This module
only loads them, by name.
"""

from __future__ import annotations

from lab.verdicts import FOLDER, Exercise, Verdict, function_source, load_file

NAMES = ("push_first", "fan_out", "branch_ids", "idempotency_key", "redelivery", "fallback")


def _load(name: str) -> Exercise:
    return load_file(FOLDER / name / "check.py", f"exercises.{name}.check", "exercise")


EXERCISES: dict[str, Exercise] = {name: _load(name) for name in NAMES}
push_first = EXERCISES["push_first"]
fan_out = EXERCISES["fan_out"]
branch_ids = EXERCISES["branch_ids"]
idempotency_key = EXERCISES["idempotency_key"]
redelivery = EXERCISES["redelivery"]
fallback = EXERCISES["fallback"]

__all__ = ["EXERCISES", "Exercise", "Verdict", "function_source", *NAMES]
