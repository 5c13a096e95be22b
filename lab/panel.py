"""The lessons' control panel: widgets that start runs in the background.

A click only submits the run (``Lab.start`` returns at once) and hands the
waiting to a thread, so the buttons stay clickable while a run is in flight
and no cell is held busy. Errors are shown in the panel, never lost in a
thread.
"""

from __future__ import annotations

import threading
import time
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from lab.faults import Fault
from lab.ledger import CHANNELS
from lab.theme import ERROR, OK
from lab.timeline import LiveTimeline

if TYPE_CHECKING:
    from lab.cluster import Cluster
    from lab.outage import ServerCrash
    from lab.run import Run
    from lab.runtime import Lab


# The selected toggle button must stand out on every theme (in Dark the default barely does):
# a ring in the theme's brand colour and bold text, beside the colour change.
PANEL_CSS = (
    "<style>.lab-panel .jupyter-button.mod-active{box-shadow:inset 0 0 0 2px "
    "var(--jp-brand-color1, #1976d2);font-weight:bold}</style>"
)


AT_MS = [0, 50, 100, 150, 200, 300, 400, 600, 800, 1000, 1500]


def choice(label: str, values: list, value: object, width: str) -> widgets.Dropdown:
    """A labelled drop-down of a few values: ipywidgets' sliders have no accessible name."""
    return widgets.Dropdown(options=values, value=value, description=label, layout={"width": width})


class Panel:
    """Run controls: workers and/or injected failures, Run and Re-run buttons."""

    def __init__(self, lab: Lab, *, workers: bool = False, failures: bool = False) -> None:
        self.lab = lab
        self.last: Run | None = None
        self.last_workers = lab.workers
        self._done = threading.Event()
        self._done.set()
        rows: list[widgets.Widget] = []

        self.workers = widgets.ToggleButtons(
            options=sorted({1, 2, 4, 8, lab.workers}), value=lab.workers, description="workers"
        )
        if workers:
            rows.append(self.workers)

        self.crash = widgets.ToggleButton(
            value=False,
            icon="bolt",
            tooltip="the example's own first-attempt failure",
            layout={"width": "260px"},
        )
        self.crash.observe(lambda _: self._show_crash(), "value")
        self._show_crash()
        self.fail_first = {
            c: widgets.Dropdown(
                options=[0, 1, 2, 3], value=0, description=f"{c} fails", layout={"width": "170px"}
            )
            for c in CHANNELS
        }
        self.extra_ms = {
            c: choice("+ms", [0, 50, 100, 250, 500, 1000], 0, "170px") for c in CHANNELS
        }
        if failures:
            rows.append(self.crash)
            rows.append(
                widgets.HTML(
                    "<b>Inject on any channel</b>: fail the first N attempts (nothing is sent), add latency"
                )
            )
            rows += [widgets.HBox([self.fail_first[c], self.extra_ms[c]]) for c in CHANNELS]

        wide = {"width": "220px"}
        self.run_button = widgets.Button(
            description="Run a new order", button_style="primary", icon="play", layout=wide
        )
        self.rerun_button = widgets.Button(
            description="Re-run the same order", icon="redo", disabled=True, layout=wide
        )
        self.run_button.on_click(lambda _: self._start(new=True))
        self.rerun_button.on_click(lambda _: self._start(new=False))
        self.status = widgets.HTML()
        self.timeline = widgets.VBox()
        self.ledger = widgets.HTML()
        self.output = widgets.HTML()
        self.widget = widgets.VBox(
            [
                widgets.HTML(PANEL_CSS),
                *rows,
                widgets.HBox([self.run_button, self.rerun_button]),
                self.status,
                self.timeline,
                self.ledger,
                self.output,
            ]
        )
        self.widget.add_class("lab-panel")

    def _show_crash(self) -> None:
        """Make the toggle's state impossible to miss: words and colour, not a faint shade."""
        on = self.crash.value
        self.crash.description = f"push: simulate_crash {'ON' if on else 'off'}"
        self.crash.button_style = "danger" if on else ""
        self.crash.icon = "bolt" if on else "circle-o"

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def faults(self) -> dict[str, Fault]:
        return {
            c: Fault(self.fail_first[c].value, self.extra_ms[c].value)
            for c in CHANNELS
            if self.fail_first[c].value or self.extra_ms[c].value
        }

    def _start(self, *, new: bool) -> None:
        earlier = self.last if self.last is not None and not self.last.done else None
        try:
            if new or self.last is None:
                run = self.lab.start(
                    simulate_crash=self.crash.value,
                    faults=self.faults(),
                    workers=self.workers.value,
                    **self.start_options(),
                )
            else:  # same order, same store: Resonate returns the stored result, or joins the run in flight
                run = self.lab.start(self.last.event, workers=self.last_workers)
        except Exception as e:  # noqa: BLE001 - shown to the learner, nothing was submitted
            self._error(e)
            return
        self.last, self.last_workers = run, self.workers.value if new else self.last_workers
        self._done.clear()
        self.rerun_button.disabled = False
        workers = self.lab.serving(self.last_workers)
        self.ledger.value = run.ledger.table(run.order_id)  # this order's, from its first moment
        if run.resubmitted:
            what = "the stored result" if run.stored else "the run in flight"
            self.status.value = (
                f"re-running {escape(run.workflow_id)}: asking the store for {what}…"
            )
            title = f"re-run of {run.workflow_id} — drawn on the original run's clock"
        else:
            self.status.value = f"running {escape(run.workflow_id)} on {workers}…"
            title = f"{run.label} — {run.workflow_id} — {workers}"
        chart = LiveTimeline(run, title=title, **self.lab.timeline_options())
        self.timeline.children = [chart.widget]
        threading.Thread(target=self._follow, args=(run, chart, earlier), daemon=True).start()

    def _follow(self, run: Run, chart: LiveTimeline, earlier: Run | None = None) -> None:
        try:
            result = run.wait()
            if run.resubmitted:
                status = "✓ " + escape(run.resubmission_summary())
            else:
                shared = (
                    f"<br>{escape(earlier.workflow_id)} was still running when this order started: "
                    "the two shared the workers, so this wall includes waiting for a free one"
                    if earlier is not None and earlier.workflow_id != run.workflow_id
                    else ""
                )
                status = (
                    (
                        f"✓ {escape(run.workflow_id)}: {result['channels_notified']}/4 notified, wall {run.wall_ms} ms "
                        f"(the workflow measured {result['total_ms']} ms)"
                    )
                    + shared
                    + self._more(run)
                )
            self._show_ledger(run)  # first: once the status says done, the ledger is final
            self.status.value = status
        except Exception as e:  # noqa: BLE001 - the run's own failure, shown where it was started
            self._show_ledger(run)
            self._error(e)
        finally:
            chart.drawn.wait(5)
            if run is self.last:
                self._done.set()

    def _show_ledger(self, run: Run) -> None:
        self.ledger.value = run.ledger.table(run.order_id)
        self.output.value = (
            "<pre style='font-size:11px'>" + escape("\n".join(run.lines())) + "</pre>"
        )

    def _more(self, run: Run) -> str:
        """More lines for a finished run's status (a subclass's)."""
        return ""

    def start_options(self) -> dict[str, Any]:
        """More arguments for a new run's ``start`` (a subclass's)."""
        return {}

    def _error(self, e: Exception) -> None:
        self.status.value = f"<span style='color:{ERROR}'>✗ {escape(str(e))}</span>"

    def wait(self, timeout: float = 90) -> Run | None:
        """Block until the latest run has finished and the panel shows it (for scripts and tests)."""
        if not self._done.wait(timeout):
            msg = f"the panel's run did not finish within {timeout} s"
            raise TimeoutError(msg)
        return self.last


class KillPanel(Panel):
    """Panel for a ``Cluster``: run an order across worker processes and SIGKILL one mid-run.

    A run lasts about half a second, quicker than a hand on a mouse, so the
    kill can be scheduled (``kill … at N ms``), or the channels slowed so that
    **Kill now** lands while they are still in flight.
    """

    def __init__(self, cluster: Cluster) -> None:
        super().__init__(cluster)
        self.cluster = cluster
        targets = [("nobody", ""), ("the workflow's worker", "workflow")] + [
            (f"the worker running {c}", c) for c in CHANNELS
        ]
        self.target = widgets.Dropdown(
            options=targets, value="workflow", description="kill", layout={"width": "330px"}
        )
        self.at_ms = choice("at (ms)", AT_MS, 200, "200px")
        self.slow_ms = choice("+ms each", [0, 250, 500, 1000, 2000, 3000], 0, "200px")
        self.kill_button = widgets.Button(
            description="Kill now", button_style="danger", icon="times", layout={"width": "220px"}
        )
        self.spawn_button = widgets.Button(
            description="Start a worker", icon="plus", layout={"width": "220px"}
        )
        self.kill_button.on_click(lambda _: self._kill_now())
        self.spawn_button.on_click(lambda _: self._spawn())
        self.processes = widgets.HTML(cluster.table().data)
        help_text = widgets.HTML(
            "<b>kill</b> whom, <b>at</b> how many ms after the order is submitted (a run lasts ~0.5 s); "
            "<b>+ms each</b> slows every channel so that <b>Kill now</b> can land mid-run."
        )
        self.widget.children = [
            help_text,
            widgets.HBox([self.target, self.at_ms]),
            self.slow_ms,
            widgets.HBox([self.run_button, self.kill_button, self.spawn_button]),
            self.status,
            self.timeline,
            self.ledger,
            self.processes,
            self.output,
        ]

    def faults(self) -> dict[str, Fault]:
        return (
            {c: Fault(extra_ms=self.slow_ms.value) for c in CHANNELS} if self.slow_ms.value else {}
        )

    def start_options(self) -> dict[str, Any]:
        # The learner decides how many workers there are: no topping up behind their back.
        kill = {"kill": self.target.value, "at_ms": self.at_ms.value} if self.target.value else {}
        return {"top_up": False, **kill}

    def _kill_now(self) -> None:
        if self.last is None or self.last.done:
            self._error(
                ValueError(
                    "no order is in flight: press Run first (slow the channels to have time to click)"
                )
            )
            return
        self._kill(self.last, self.target.value or "workflow")

    def _kill(self, run: Run, target: str) -> None:
        """Kill the worker process behind ``target`` ("workflow" or a channel) of ``run``, if there is one now."""
        try:
            kill = self.cluster.kill_target(run, target)
            if kill is None:
                who = "the workflow's worker" if target == "workflow" else f"{target}'s worker"
                self.status.value += (
                    f"<br>no kill: {escape(who)} is not running now (done, or not started)"
                )
            else:
                self.status.value += "<br>" + escape(kill.describe(run.origin))
        except Exception as e:  # noqa: BLE001 - shown to the learner
            self._error(e)
        finally:
            self.processes.value = self.cluster.table().data

    def _spawn(self) -> None:
        try:
            self.cluster.start_worker()
        except Exception as e:  # noqa: BLE001 - shown to the learner
            self._error(e)
        self.processes.value = self.cluster.table().data

    def _more(self, run: Run) -> str:
        lines = [escape(line) for line in self.cluster.notes_of(run)]
        if self.cluster.kills_of(run):
            lines.append(
                f"done {self.cluster.recovery_ms(run)} ms after the kill (ttl {self.cluster.ttl} s)"
            )
        self.processes.value = self.cluster.table().data
        return "".join(f"<br>{line}" for line in lines)


class CrashPanel(Panel):
    """Panel for a ``ServerCrash``: run an order, SIGKILL the server mid-run, bring it back.

    **Kill server** and **Restart server** act at once; the order's run can also
    kill the server on its own, ``at`` N ms, and restart it ``N s`` later.
    """

    def __init__(self, crash: ServerCrash) -> None:
        super().__init__(crash)
        self.cluster = crash  # (self.crash is the base panel's simulate_crash toggle)
        self.at_ms = choice("kill at (ms)", AT_MS, 200, "220px")
        self.auto = widgets.Checkbox(
            value=True,
            description="restart it automatically after",
            indent=False,
            layout={"width": "230px"},
        )
        self.after_s = choice("s", [0.5, 1.0, 1.5, 2.0, 3.0, 5.0], 1.0, "150px")
        self.scheduled = widgets.Checkbox(
            value=True,
            description="kill the server during the run",
            indent=False,
            layout={"width": "260px"},
        )
        self.kill_button = widgets.Button(
            description="Kill server",
            button_style="danger",
            icon="times",
            layout={"width": "180px"},
        )
        self.restart_button = widgets.Button(
            description="Restart server",
            button_style="success",
            icon="refresh",
            layout={"width": "180px"},
        )
        self.kill_button.on_click(lambda _: self._server(kill=True))
        self.restart_button.on_click(lambda _: self._server(kill=False))
        self.server = widgets.HTML()
        self.sdk_log = widgets.HTML()
        self.promises = widgets.HTML()
        self._show_server()
        self.widget.children = [
            widgets.HBox([self.scheduled, self.at_ms]),
            widgets.HBox([self.auto, self.after_s]),
            widgets.HBox([self.run_button, self.kill_button, self.restart_button]),
            self.server,
            self.status,
            self.timeline,
            self.ledger,
            self.promises,
            self.sdk_log,
        ]

    def _show_server(self) -> None:
        up = self.cluster.server_up
        colour = OK if up else ERROR
        self.server.value = (
            f"<b style='color:{colour}'>server {'up' if up else 'DOWN'}</b> — "
            f"{escape(self.cluster.mode)}"
        )

    def start_options(self) -> dict[str, Any]:
        if not self.scheduled.value:
            return {}
        restart = {"restart_after_s": self.after_s.value} if self.auto.value else {}
        return {"kill_server_at_ms": self.at_ms.value, **restart}

    def _start(self, *, new: bool) -> None:
        super()._start(new=new)
        run = self.last
        if run is not None and not run.done:  # the server's state, live, while the run goes on
            threading.Thread(target=self._watch_server, args=(run,), daemon=True).start()

    def _watch_server(self, run: Run) -> None:
        while not run.done:
            self._show_server()
            time.sleep(0.25)

    def _server(self, *, kill: bool) -> None:
        try:
            if kill:
                done = self.cluster.kill_server()
                if done is None:
                    self.status.value += "<br>the server is already down"
                elif self.auto.value and not self.scheduled.value:
                    threading.Timer(
                        self.after_s.value, self._server, kwargs={"kill": False}
                    ).start()
            elif self.cluster.restart_server() is None:
                self.status.value += "<br>the server is already up"
        except Exception as e:  # noqa: BLE001 - shown to the learner
            self._error(e)
        finally:
            self._show_server()

    def _more(self, run: Run) -> str:
        self._show_server()
        from lab.inspector import table
        from lab.outage import sdk_log_html

        self.promises.value = table(self.cluster.address, run.workflow_id, run.origin)
        self.sdk_log.value = (
            "<b>The SDK's reconnect log (kept out of the cells)</b>"
            + sdk_log_html(self.cluster.sdk_lines(run))
        )
        lines = [
            f"✗ server down {round(((o.up or time.time()) - o.down) * 1000)} ms"
            for o in self.cluster.outages_of(run)
        ]
        if self.cluster.restart_to_done_ms(run) is not None:
            lines.append(
                f"done {self.cluster.restart_to_done_ms(run)} ms after the restart; re-sent: "
                f"{', '.join(sorted(self.cluster.resent(run))) or 'nothing'}"
            )
        return "".join(f"<br>{escape(line)}" for line in lines + run.notes)
