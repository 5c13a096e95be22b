"""Exercises: the learner writes the durable code, the lab runs it and gives a verdict.

    from lab.checks import fan_out
    fan_out.check()      # runs your notify_fan_out for real; ✓/✗ per criterion, with the figure
    fan_out.hint()       # one hint at a time
    fan_out.solution()   # exercises/fan_out/solution.py

Each exercise is a folder, ``exercises/<name>/``: ``README.md`` (the task),
``practice.py`` (where the learner starts), ``solution.py`` and ``check.py`` (the
scenario and the judgement). The machinery they share is ``lab.checks.verdicts``; the
workflow exercises' trial and criteria are ``lab.checks.workflow_checks``. This module
only loads them, by name: the 0.6 lessons' in their kernel, lesson 8's
(``port_fan_out``, resonate-sdk 0.8) in its own.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from lab.checks import SDK06, SDK08
from lab.checks.verdicts import FOLDER, Exercise, Verdict, function_source, load_file

NAMES = SDK06 if version("resonate-sdk").startswith("0.6.") else SDK08


def _load(name: str) -> Exercise:
    return load_file(FOLDER / name / "check.py", f"exercises.{name}.check", "exercise")


EXERCISES: dict[str, Exercise] = {name: _load(name) for name in NAMES}


def __getattr__(name: str) -> Any:
    if name in EXERCISES:
        return EXERCISES[name]
    other = "resonate-sdk 0.8 (lesson 8's kernel)" if name in SDK08 else "resonate-sdk 0.6"
    if name in SDK06 + SDK08:
        msg = f"exercise {name} runs in the kernel with {other}"
        raise ImportError(msg)
    msg = f"module 'lab.checks.exercises' has no attribute {name!r}"
    raise AttributeError(msg)


__all__ = ["EXERCISES", "Exercise", "Verdict", "function_source", *NAMES]
