"""What the lab says when it refuses: one line in a notebook, never a wall of traceback.

A learner who passes ``at_ms=-5`` needs the sentence that says what is allowed, not
the lab's call stack. Every refusal is raised before anything is submitted, so the
store and the send ledger are untouched. IPython shows an exception through its
``_render_traceback_`` when it has one; scripts and tests see an ordinary exception.
"""

from __future__ import annotations


class OneLine:
    """Mixin: render as ``Name: message`` in a notebook."""

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[31m{type(self).__name__}\x1b[0m: {self}"]


class Refused(OneLine, ValueError, TypeError):
    """A learner's argument the lab will not take (both a ValueError and a TypeError)."""


class Unavailable(OneLine, RuntimeError):
    """Something the run needs is not there (a server down, no worker): what to do instead."""


class Interrupted(OneLine, KeyboardInterrupt):
    """■ pressed while a cell waited on the lab: what stopped, and what goes on, in one line.

    A KeyboardInterrupt lands wherever the kernel's main thread was waiting — deep in
    ``concurrent.futures`` or ``threading`` — and its traceback says nothing a learner
    can use. The lab's waits catch it and raise this instead.
    """
