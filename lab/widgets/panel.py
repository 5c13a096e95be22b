"""The lessons' control panel: widgets that start runs in the background.

A click only submits the run (``Lab.start`` returns at once) and hands the
waiting to a thread, so the buttons stay clickable while a run is in flight
and no cell is held busy. Errors are shown in the panel, never lost in a
thread.
"""

from __future__ import annotations

import threading
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from lab.draw.theme import ERROR
from lab.orders.faults import Fault
from lab.orders.ledger import CHANNELS
from lab.orders.live import LiveTimeline

if TYPE_CHECKING:
    from lab.orders.run import Run
    from lab.orders.runtime import Lab


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
        chart = self.chart = LiveTimeline(run, title=title, **self.lab.timeline_options())
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
