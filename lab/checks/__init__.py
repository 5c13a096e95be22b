"""Exercise checks: run the learner's code for real under a named fault, and judge what happened.

``verdicts`` is the core every exercise shares, ``workflow_checks`` the trial of the
workflow exercises, ``provider_calls`` who called a channel, ``clock`` a replay a day
later, ``gateway`` lesson 4's SMS provider. Each exercise is a folder of its own in
``exercises/``; a lesson loads it by name from here::

    from lab.checks import fan_out
    fan_out.check()
"""

from __future__ import annotations

from typing import Any

# The exercises, by the kernel they run in.
SDK06 = ("push_first", "fan_out", "branch_ids", "idempotency_key", "redelivery", "fallback")
SDK08 = ("port_fan_out",)


def __getattr__(name: str) -> Any:
    """``from lab.checks import fan_out``: an exercise, loaded on first use."""
    if name not in SDK06 + SDK08:
        msg = f"module 'lab.checks' has no attribute {name!r}"
        raise AttributeError(msg)
    from lab.checks import exercises

    return getattr(exercises, name)
