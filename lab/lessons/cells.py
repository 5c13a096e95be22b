"""Small helpers that keep lesson cells a few lines long."""

from __future__ import annotations

import inspect
import os
import sys
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lab.checks.progress import emit
from lab.draw.tables import html_table
from lab.orders.arguments import is_number
from lab.orders.collector import settle
from lab.orders.events import new_event
from lab.orders.ledger import CHANNELS

if TYPE_CHECKING:
    from lab.orders.run import Run
    from lab.orders.runtime import Lab


def show_source(func: Callable[..., Any]) -> Any:
    """The source of ``func`` as it is in its module: read, never pasted."""
    from IPython.display import Code

    path = Path(inspect.getsourcefile(func) or "?").name
    return Code(f"# {path}\n" + inspect.getsource(func), language="python")


def _pkg(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _cpu_quota() -> str:
    """CPUs this process may really use: affinity, then a cgroup quota (Binder's 1 CPU)."""
    usable = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            return f"{min(usable, int(quota) / int(period)):g}"
    except (OSError, ValueError):
        pass
    return str(usable)


def environment_checks(lab: Lab) -> list[tuple[str, str, str, str]]:
    """(what, found, sign, how to fix) for everything the lessons rely on: the sign is ✓ or ✗,
    and for lesson 8's server, built on demand, – (not there) or … (building)."""
    return [
        (what, found, ok if isinstance(ok, str) else "✓" if ok else "✗", fix)
        for what, found, ok, fix in _environment(lab)
    ]


def _environment(lab: Lab) -> list[tuple[str, str, bool | str, str]]:
    sdk = _pkg("resonate-sdk")
    sdk_ok = sdk.startswith("0.6.") and tuple(int(p) for p in sdk.split(".")[1:3]) >= (6, 7)
    widgets = _pkg("ipywidgets")
    lab_widgets = _pkg("jupyterlab_widgets")
    return [
        (
            "Python",
            sys.version.split()[0],
            sys.version_info >= (3, 12),
            "run scripts/lessons: it builds .venv with Python ≥ 3.12",
        ),
        (
            "resonate-sdk",
            sdk,
            sdk_ok,
            "pip install 'resonate-sdk>=0.6.7,<0.7' (0.7 replaced generators with async/await)",
        ),
        (
            "ipywidgets",
            widgets,
            widgets.startswith("8."),
            "pip install 'ipywidgets>=8,<9', then reload the page",
        ),
        (
            "jupyterlab_widgets",
            lab_widgets,
            lab_widgets != "not installed",
            "pip install ipywidgets (it brings the JupyterLab extension)",
        ),
        ("store", lab.mode, True, ""),
        (
            "workers",
            f"{lab.workers} (passed explicitly)",
            lab.workers >= 4,
            "Lab(workers=4): fewer than 4 cannot run the four channels at once",
        ),
        ("CPUs", f"os.cpu_count()={os.cpu_count()}, usable={_cpu_quota()}", True, ""),
        (
            "send ledger",
            str(lab.ledger.path),
            os.access(lab.ledger.path.parent, os.W_OK),
            "set LAB_RUN_DIR to a writable folder",
        ),
        _sdk08_kernel(),
        _server09(),
    ]


def _sdk08_kernel() -> tuple[str, str, bool, str]:
    from lab.course.readiness import check_sdk08_kernel

    found = check_sdk08_kernel()
    return ("lesson 8's kernel", found.found, found.ok, found.fix)


def _server09() -> tuple[str, str, str, str]:
    """On demand: not built is no failure ("–"), building is shown as such ("…")."""
    from lab.course.readiness import check_server09

    found = check_server09()
    return ("lesson 8's worker kill (server v0.9.8)", found.found, found.sign, found.fix)


def environment(lab: Lab) -> Any:
    """The environment check as a table; anything missing says how to fix it."""
    from IPython.display import HTML

    rows = [
        (what, found, sign if sign == "✓" else f"{sign} {fix}")
        for what, found, sign, fix in environment_checks(lab)
    ]
    return HTML(html_table(("", "found", "status"), rows, caption="Environment check"))


def time_channels() -> dict[str, int]:
    """Call each channel function once, directly (no Resonate), and time it.

    Settled first, as an order is (``lab.orders.collector``): a full collection of the
    kernel's objects takes ~150 ms, more than push's 120 ms, and would land in one channel's
    time. (CI once measured push slower than slack's 180 ms.)
    """
    import channels

    settle()
    event = new_event()
    measured = {}
    for channel in CHANNELS:
        fn = getattr(channels, f"send_{channel}")
        args = (event, False) if channel == "push" else (event,)
        started = time.perf_counter()
        fn(None, *args)
        measured[channel] = round((time.perf_counter() - started) * 1000)
    return measured


def channels_ran_ms(run: Run) -> int:
    """How long at least one channel of ``run`` was running while it ran: its time less the steps.

    One after another it is the channels' sum, all at once the slowest. The rest of the
    order's time is the SDK's steps between them, which a busy machine stretches: lesson 1's
    sequential order took 1350 ms in CI for 1005 ms of channels, four lessons at once on two
    cores.
    """
    stop = run.ended if run.ended is not None else float("inf")
    spans = sorted(
        (max(a.started, run.started), min(a.ended, stop)) for a in run.new_attempts() if a.ended
    )
    total, end = 0.0, float("-inf")
    for started, ended in spans:
        total += max(0.0, ended - max(started, end))
        end = max(end, ended)
    return round(total * 1000)


def _near(prediction: Any, measured: Any, tolerance: float) -> bool:
    return abs(prediction - measured) <= tolerance * max(abs(measured), 1)


def guess_ok(prediction: Any, measured: Any, *, tolerance: float = 0.2) -> bool | None:
    """True when a prediction matches the measurement (numbers: within ``tolerance``); None: no guess.

    For a run, a prediction of its time is right within ``tolerance`` of the order's time or of
    the time its channels ran (``channels_ran_ms``): the lesson asks what the channels add up to.
    """
    if prediction is None or prediction is Ellipsis:
        return None
    if is_number(prediction) and hasattr(measured, "wall_ms"):
        return _run_words(prediction, measured, tolerance)[0]
    if is_number(prediction) and is_number(measured):
        return _near(prediction, measured, tolerance)
    return prediction == measured


def check(prediction: Any, measured: Any, *, tolerance: float = 0.2, what: str = "") -> None:
    """Compare a learner's prediction with a measurement, and say so in one line.

    It prints and returns nothing (a lesson cell shows the sentence, not ``True``);
    ``guess_ok`` gives the same verdict as a value. Every guess is committed as
    ``None``: until the learner fills it in, this says "write your guess first".
    """
    label = f"{what}: " if what else ""
    ok = guess_ok(prediction, measured, tolerance=tolerance)
    outcome = "not attempted" if ok is None else "passed" if ok else "not yet"
    emit(what or "a guess", "question", "check", outcome)
    if ok is None:
        print(
            f"{label}write your guess first: replace None in the prediction cell, run it, then run this cell again"
        )
    elif is_number(prediction) and hasattr(measured, "wall_ms"):
        print(
            f"{label}you predicted {prediction}, {_run_words(prediction, measured, tolerance)[1]}"
        )
    elif is_number(prediction) and is_number(measured):
        verdict = f"within {tolerance:.0%}" if ok else f"more than {tolerance:.0%} off"
        print(
            f"{label}you predicted {prediction}, measured {measured} — {verdict} {'✓' if ok else '✗'}"
        )
    else:
        shown = getattr(measured, "wall_ms", measured)  # a run: its time, not its fields
        print(f"{label}you predicted {prediction!r}, measured {shown!r} {'✓' if ok else '✗'}")


def _run_words(prediction: Any, run: Run, tolerance: float) -> tuple[bool, str]:
    """The verdict on a guess of a run's time, and its words: the order's time, and the
    channels' share of it when that is what the guess matched."""
    wall, ran = run.wall_ms, channels_ran_ms(run)
    if _near(prediction, wall, tolerance):
        return True, f"measured {wall} — within {tolerance:.0%} ✓"
    if _near(prediction, ran, tolerance):
        return True, (
            f"measured {wall}: the channels ran {ran} ms of it, within {tolerance:.0%} ✓; the other "
            f"{wall - ran} ms went to the steps before, between and after them, which a busy "
            "machine makes longer"
        )
    return (
        False,
        f"measured {wall} (the channels ran {ran} ms of it) — more than {tolerance:.0%} off ✗",
    )


def _guess_not_run(
    shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None
) -> Any:
    """A NameError for a guess (``my_…``): the learner skipped the prediction cell. Say so in one line."""
    name = getattr(value, "name", None) or ""
    if name.startswith("my_"):
        print(
            f"{name} is not set yet: run the prediction cell above (it sets {name} = your guess), "
            "then run this cell again"
        )
        return None
    return shell.showtraceback((etype, value, tb), tb_offset=tb_offset)


def _install_guess_hint() -> None:
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "set_custom_exc"):
        shell.set_custom_exc((NameError,), _guess_not_run)


_install_guess_hint()


def compare(fan_out: Run, sequential: Run) -> None:
    """Fan-out against sequential, from two measured runs."""
    slowest = max(fan_out.channel_ms().values())
    print(
        f"sequential wall          {sequential.wall_ms:5d} ms  (sum of the channels: "
        f"{sum(sequential.channel_ms().values())} ms)"
    )
    print(f"fan-out wall             {fan_out.wall_ms:5d} ms  (slowest channel: {slowest} ms)")
    print(f"fan-out / slowest        {fan_out.wall_ms / slowest:5.2f}")
    print(f"speedup                  {sequential.wall_ms / fan_out.wall_ms:5.2f}x")
