"""A run's result read from the server's own record, when the kernel never hears it."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from lab.errors import OneLine

if TYPE_CHECKING:
    from lab.orders.run import Run


class EndedOnTheServer(OneLine, RuntimeError):
    """The workflow failed, as the server recorded it (this kernel never heard the SDK's error)."""


# How long the server may hold a run's result before the kernel reads it itself: far more
# than the server's own message takes to arrive (milliseconds) when the kernel is listening.
MISSED_RESULT_S = 1.0
MISSED_RESULT = (
    "this kernel missed the server's one message with the result (its SDK's long-poll was "
    "reconnecting, which it tries every 5 s): the result was read from the server"
)


def watch_server(run: Run) -> None:
    """Read the result from the server when the SDK's handle never hears of it.

    The legacy server sends a client the result of its order once, and marks that done
    whether or not the client's long-poll was connected (``poll.go``: "connection not
    found"). A kernel still reconnecting after a server restart (the SDK retries every 5 s)
    misses it, and its handle waits for ever, though the order is done on the server
    (CI: lesson 5's panel, 40 s). Here the server's own record ends the run instead, at the
    moment the server completed the workflow, with a note saying so.
    """
    from lab.servers.inspector import outcome

    seen = None
    while not run.future.done():
        time.sleep(0.25)
        found = outcome(run.address, run.workflow_id)
        if found is None:
            continue
        seen = seen or time.time()
        if time.time() - seen < MISSED_RESULT_S:
            continue
        ended = (found["completed_on"] or time.time() * 1000) / 1000
        with run.recording:  # the note is there before anyone waiting sees the result
            if run.future.done():
                return
            run.note(MISSED_RESULT)
            if found["state"] == "RESOLVED":
                run._record(found["value"], ended=ended)
            else:
                state, value = found["state"], found["value"]
                error = EndedOnTheServer(f"{run.workflow_id} ended {state} on the server: {value}")
                run._record(error=error, ended=ended)
