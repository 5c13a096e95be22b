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

from lab.ledger import CHANNELS, Fault
from lab.timeline import LiveTimeline

if TYPE_CHECKING:
    from lab.run import Run
    from lab.runtime import Lab


class Panel:
    """Run controls: workers and/or injected failures, Run and Re-run buttons."""

    def __init__(self, lab: Lab, *, workers: bool = False, failures: bool = False) -> None:
        self.lab = lab
        self.last: Run | None = None
        self.last_workers = lab.workers
        self._done = threading.Event()
        self._done.set()
        rows: list[widgets.Widget] = []

        self.workers = widgets.ToggleButtons(options=[1, 2, 4, 8], value=lab.workers, description="workers")
        if workers:
            rows.append(self.workers)

        self.crash = widgets.ToggleButton(
            value=False, icon="bolt", tooltip="the example's own first-attempt failure", layout={"width": "260px"}
        )
        self.crash.observe(lambda _: self._show_crash(), "value")
        self._show_crash()
        self.fail_first = {c: widgets.Dropdown(options=[0, 1, 2, 3], value=0, description=f"{c} fails", layout={"width": "170px"}) for c in CHANNELS}
        self.extra_ms = {
            c: widgets.IntSlider(value=0, min=0, max=1000, step=50, description="+ms", layout={"width": "260px"}) for c in CHANNELS
        }
        if failures:
            rows.append(self.crash)
            rows.append(widgets.HTML("<b>Inject on any channel</b>: fail the first N attempts (nothing is sent), add latency"))
            rows += [widgets.HBox([self.fail_first[c], self.extra_ms[c]]) for c in CHANNELS]

        wide = {"width": "220px"}
        self.run_button = widgets.Button(description="Run a new order", button_style="primary", icon="play", layout=wide)
        self.rerun_button = widgets.Button(description="Re-run the same order", icon="redo", disabled=True, layout=wide)
        self.run_button.on_click(lambda _: self._start(new=True))
        self.rerun_button.on_click(lambda _: self._start(new=False))
        self.status = widgets.HTML()
        self.timeline = widgets.VBox()
        self.ledger = widgets.HTML()
        self.output = widgets.HTML()
        self.widget = widgets.VBox(
            [*rows, widgets.HBox([self.run_button, self.rerun_button]), self.status, self.timeline, self.ledger, self.output]
        )

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
        return {c: Fault(self.fail_first[c].value, self.extra_ms[c].value) for c in CHANNELS if self.fail_first[c].value or self.extra_ms[c].value}

    def _start(self, *, new: bool) -> None:
        try:
            if new or self.last is None:
                run = self.lab.start(simulate_crash=self.crash.value, faults=self.faults(), workers=self.workers.value)
            else:  # same order, same store: Resonate returns the stored result, or joins the run in flight
                run = self.lab.start(self.last.event, workers=self.last_workers)
        except Exception as e:  # noqa: BLE001 - shown to the learner, nothing was submitted
            self._error(e)
            return
        self.last, self.last_workers = run, self.workers.value if new else self.last_workers
        self._done.clear()
        self.rerun_button.disabled = False
        workers = f"{self.last_workers} worker{'s' if self.last_workers != 1 else ''}"
        if run.resubmitted:
            what = "the stored result" if run.stored else "the run in flight"
            self.status.value = f"re-running {escape(run.workflow_id)}: asking the store for {what}…"
            title = f"re-run of {run.workflow_id} — drawn on the original run's clock"
        else:
            self.status.value = f"running {escape(run.workflow_id)} on {workers}…"
            title = f"{run.workflow} — {run.workflow_id} — {workers}"
        chart = LiveTimeline(run, title=title)
        self.timeline.children = [chart.widget]
        threading.Thread(target=self._follow, args=(run, chart), daemon=True).start()

    def _follow(self, run: Run, chart: LiveTimeline) -> None:
        try:
            result = run.wait()
            if run.resubmitted:
                self.status.value = "✓ " + escape(run.resubmission_summary())
            else:
                self.status.value = (
                    f"✓ {escape(run.workflow_id)}: {result['channels_notified']}/4 notified, wall {run.wall_ms} ms "
                    f"(the workflow measured {result['total_ms']} ms)"
                )
        except Exception as e:  # noqa: BLE001 - the run's own failure, shown where it was started
            self._error(e)
        finally:
            self.ledger.value = run.ledger.table(run.order_id)
            self.output.value = "<pre style='font-size:11px'>" + escape("\n".join(run.lines())) + "</pre>"
            chart.drawn.wait(5)
            if run is self.last:
                self._done.set()

    def _error(self, e: Exception) -> None:
        self.status.value = f"<span style='color:#D55E00'>✗ {escape(str(e))}</span>"

    def wait(self, timeout: float = 90) -> Run | None:
        """Block until the latest run has finished and the panel shows it (for scripts and tests)."""
        if not self._done.wait(timeout):
            msg = f"the panel's run did not finish within {timeout} s"
            raise TimeoutError(msg)
        return self.last
