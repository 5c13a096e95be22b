"""A learner's workflow replayed a day later, in a process of its own.

    python -m lab.checks.replay JOB.pickle

What another worker does after a crash, tomorrow: the same order again, from the
top, on a fresh embedded store, in a process whose whole clock reads a day later
(``lab.checks.clock.another_day``: libfaketime) and which holds none of the kernel's
memory. The workflow travels with cloudpickle, by value — the function, the helpers
and constants it reaches in any cell of the notebook, as they were *before* the
check's first run; importable modules (``channels``, ``uuid``, ``datetime``) are
imported afresh there, so no clock read escapes the move. The child writes, beside
the job: the durable id each channel ran under, the channel calls that did not go
through Resonate, and what the workflow raised.

A workflow that cannot travel (it reaches a lock, a ``functools.cache`` wrapper
defined in the notebook, …) or a child that cannot run gives ``None``: the check
then replays in the kernel, moving the clocks it can name (``workflow_checks``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TIMEOUT_S = 30


@dataclass
class Replayed:
    ids: dict[str, set[str]]  # channel → the durable ids it ran under
    plain: Counter  # channel → calls that did not go through Resonate
    error: str | None  # what the replayed workflow raised, if it did


def waited(run: Any, timeout: float = TIMEOUT_S) -> str | None:
    """Wait for a replayed order; what it raised, in a line for the learner, or None."""
    try:
        run.wait(timeout)
    except Exception as e:  # noqa: BLE001 - said to the learner, with the ids it used
        return f"{type(e).__name__}: {str(e)[:160]}"
    return None


def prepare(fn: Any, event: dict[str, Any], faults: Any, ledger: Path) -> Path | None:
    """The job, pickled now — before the first run adds to the kernel's memory; None if it
    cannot travel."""
    import cloudpickle

    from lab.paths import run_dir

    module = sys.modules.get(fn.__module__)
    by_value = module is not None and fn.__module__ != "__main__"  # a file the test loaded
    if by_value:
        cloudpickle.register_pickle_by_value(module)
    try:
        job = cloudpickle.dumps((fn, event, faults, str(ledger)))
    except Exception:  # noqa: BLE001 - what the workflow reaches cannot leave this process
        return None
    finally:
        if by_value:
            cloudpickle.unregister_pickle_by_value(module)
    folder = run_dir() / "exercises"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"replay-{os.getpid()}-{event['order_id']}.pickle"
    path.write_bytes(job)
    return path


def start(job: Path) -> subprocess.Popen:
    """Start the replay in a process whose clock reads a day later, in the kernel's folder."""
    from lab.checks.clock import another_day
    from lab.paths import PROJECT
    from lab.servers.processes import spawn

    here = os.getcwd()  # the notebook's folder: its imports and relative paths work there
    paths = os.pathsep.join([*(p or here for p in sys.path), str(PROJECT)])
    with job.with_suffix(".log").open("w") as log:
        return spawn(
            [sys.executable, "-m", "lab.checks.replay", str(job)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=here,
            env={**os.environ, **another_day(), "PYTHONPATH": paths},
        )


def finish(process: subprocess.Popen, timeout: float = TIMEOUT_S + 15) -> Replayed | None:
    """What the replay did; None if it could not run (the job is kept, with its log)."""
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    job = Path(process.args[-1])
    found = job.with_suffix(".json")
    if not found.exists():
        return None
    done = json.loads(found.read_text())
    for path in (job, found, job.with_suffix(".log")):
        path.unlink(missing_ok=True)
    return Replayed(
        {channel: set(ids) for channel, ids in done["ids"].items()},
        Counter(done["plain"]),
        done["error"],
    )


def main(argv: list[str] | None = None) -> None:
    import cloudpickle

    from lab.checks.clock import clock_moved, on_another_day
    from lab.checks.provider_calls import ProviderCalls
    from lab.orders.observe import branch_ids
    from lab.orders.runtime import Lab
    from lab.servers.processes import watch_parent

    watch_parent()
    path = Path((argv or sys.argv[1:])[0])
    fn, event, faults, ledger = cloudpickle.loads(path.read_bytes())
    if not clock_moved():  # libfaketime did not load here: move the clocks it can name
        fn = on_another_day(fn)
    lab = Lab(workers=4, server=False, ledger=Path(ledger))
    with ProviderCalls() as calls:
        error = waited(lab.start(event, workflow=fn, faults=faults))
    found = {
        "ids": {c: sorted(ids) for c, ids in branch_ids(event["order_id"], lab.ledger).items()},
        "plain": calls.plain(event["order_id"]),
        "error": error,
    }
    part = path.with_suffix(".json.part")
    part.write_text(json.dumps(found))
    part.rename(path.with_suffix(".json"))
    os._exit(0)  # the SDK's threads do not end on their own


if __name__ == "__main__":
    main()
