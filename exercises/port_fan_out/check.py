"""The check of exercise port_fan_out (lesson 8, resonate-sdk 0.8): the port fans out again.

Runs in lesson 8's kernel. ``check()`` is called from a cell, which holds the
kernel's event loop while it runs; so the trials run on an event loop of their
own, in a thread, with a ``Lab08`` (0.8's local connection) made there. Two new
orders: one with push healthy, one with push failing its first attempt.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

from lab.checks.escapes import Escapes
from lab.checks.verdicts import Answer, Criterion, Exercise, LearnerError
from lab.orders.ledger import CHANNELS


@dataclass
class Trials:
    healthy: Any
    flaky: Any
    promises: list[tuple[str, str, str]]

    def __getattr__(self, name: str) -> Any:  # the healthy run's tables: .ledger_table(), …
        return getattr(self.healthy, name)


def _on_a_loop_of_its_own(work: Any) -> Any:
    """``asyncio.run(work())`` in a thread: the cell that called us holds the kernel's loop."""
    box: dict[str, Any] = {}

    def main() -> None:
        try:
            box["value"] = asyncio.run(work())
        except BaseException as e:  # noqa: BLE001 - handed back to the check
            box["error"] = e

    thread = threading.Thread(target=main, name="port_fan_out check", daemon=True)
    thread.start()
    thread.join(60)
    if "error" in box:
        raise box["error"]
    if "value" not in box:
        raise LearnerError("your workflow did not finish within 60 s")
    return box["value"]


class PortFanOut(Exercise):
    name = "port_fan_out"
    lesson = "08"
    function = "notify_port"
    hints = (
        "0.8 calls a synchronous function on its event loop: while send_email sleeps, nothing "
        "else runs. What would let the loop start the next channel meanwhile?",
        "`asyncio.to_thread(send_email, ctx, event)` runs it on a worker thread and gives the loop "
        "back. Keep it inside a ctx.run child, so the result is still durable.",
        "Write `async def off_the_loop(ctx, send, *args): return await asyncio.to_thread(send, "
        "ctx, *args)` and start each channel with `ctx.run(off_the_loop, send_email, event)`.",
    )

    def scenario(self, answer: Answer, *, live: bool) -> Trials:
        from lab.orders.sdk08 import Lab08

        escapes = Escapes(answer.codes())

        async def work() -> Trials:
            lab = Lab08()

            async def guarded(title: str, **options: Any) -> Any:
                """``lab.run``, stopped at the first error that escapes the learner's code."""
                task = asyncio.ensure_future(lab.run(answer.fn, live=live, title=title, **options))
                while not task.done():
                    if escapes.first is not None:  # 0.8 would retry it as long as the order lives
                        task.cancel()
                        e = escapes.first
                        raise LearnerError(answer.raised(e, f"your {_raised_in(e)}"))
                    await asyncio.sleep(0.05)
                return task.result()

            try:
                healthy = await guarded("your port: push healthy")
                flaky = await guarded("your port: push fails once", simulate_crash=True)
            except LearnerError:
                raise
            except Exception as e:  # noqa: BLE001 - the learner's workflow raised: that is the verdict
                raise LearnerError(answer.raised(e)) from None
            return Trials(healthy, flaky, await lab.promises(healthy))

        with escapes:
            return _on_a_loop_of_its_own(work)

    def judge(self, ran: Trials, answer: Answer) -> list[Criterion]:
        run = ran.healthy
        result = run.result
        n = result.get("channels_notified") if isinstance(result, dict) else None
        if n != 4:
            return [Criterion(False, f"your workflow returned {str(result)[:80]!r}, not 4/4")]
        finished = [a for a in run.attempts() if a.ended]
        took = {a.channel: (a.ended - a.started) * 1000 for a in finished}
        slowest, total = max(took.values()), sum(took.values())
        # All four at once: each started before any ended. A loaded machine stretches the
        # wall past 1.3 × the slowest, never a fan-out into a staircase.
        at_once = max(a.started for a in finished) < min(a.ended for a in finished)
        slowest_bound = run.wall_ms <= 1.3 * slowest
        if slowest_bound:
            said = f"wall {run.wall_ms} ms ≈ the slowest channel ({slowest:.0f} ms): it fans out"
        elif at_once:
            said = (
                f"wall {run.wall_ms} ms, the four channels ran at once (each started before any "
                "ended): it fans out"
            )
        elif run.wall_ms >= 0.85 * total:
            said = (
                f"wall {run.wall_ms} ms ≈ the sum of the channels ({total:.0f} ms): "
                + _why_in_turn(run.order_id)
            )
        else:
            said = (
                f"wall {run.wall_ms} ms: more than the slowest channel ({slowest:.0f} ms), and "
                "some channels started only after others ended: " + _why_in_turn(run.order_id)
            )
        criteria = [Criterion(slowest_bound or at_once, said)]
        sends = run.sends()
        once = all(sends[c] == 1 for c in CHANNELS)
        criteria.append(
            Criterion(
                once,
                "the customer got each message once"
                if once
                else "the customer got " + ", ".join(f"{c} {n}×" for c, n in sends.items()),
            )
        )
        children = len(ran.promises)
        criteria.append(
            Criterion(
                children >= 4,
                f"each channel has a durable promise of its own ({children} children in 0.8's store)"
                if children >= 4
                else f"only {children} child promise(s) in 0.8's store: start each channel with "
                "ctx.run, or its result is not checkpointed",
            )
        )
        attempts = {
            c: [a.outcome for a in ran.flaky.attempts() if a.channel == c] for c in CHANNELS
        }
        alone = attempts["push"] == ["failed", "sent"] and all(
            attempts[c] == ["sent"] for c in CHANNELS if c != "push"
        )
        criteria.append(
            Criterion(
                alone,
                "push failing once: push alone ran again (failed, then sent); the others once"
                if alone
                else f"push failing once: {_attempts_said(attempts)}; push alone should run "
                "again (failed, then sent), the others once",
            )
        )
        return criteria


exercise = PortFanOut()


def _why_in_turn(order_id: str) -> str:
    """Why the channels ran one after another: on the loop, or each awaited before the next."""
    from lab.orders.sdk08 import ON_LOOP

    on_loop = [c for c in CHANNELS if (order_id, c) in ON_LOOP]
    if on_loop:
        return (
            f"0.8 ran {', '.join(on_loop)} on its event loop (a synchronous function), "
            "so they ran one after another"
        )
    return (
        "each channel ran on a thread, but each ctx.run was awaited before the next one "
        "started, so they ran one after another: start all four, then await them"
    )


def _raised_in(e: BaseException) -> str:
    """The learner's function an exception escaped from (the innermost frame it passed)."""
    import traceback

    frames = traceback.extract_tb(e.__traceback__)
    return frames[-1].name if frames else "code"


def _attempts_said(attempts: dict[str, list[str]]) -> str:
    """``email ran twice (sent, sent), push never ran``: what each channel did, in words."""
    times = {1: "once", 2: "twice"}
    return ", ".join(
        f"{channel} ran {times.get(len(outcomes), f'{len(outcomes)} times')} ({', '.join(outcomes)})"
        if outcomes
        else f"{channel} never ran"
        for channel, outcomes in attempts.items()
    )
