"""Lesson 5's panel: run an order, SIGKILL the Resonate server mid-run, bring it back."""

from __future__ import annotations

import threading
import time
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from lab.draw.theme import ERROR, OK
from lab.servers.inspector import table
from lab.widgets.panel import AT_MS, Panel, choice

if TYPE_CHECKING:
    from lab.clusters.crash import ServerCrash
    from lab.orders.run import Run


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
                f"done {self.cluster.restart_to_done_ms(run)} ms after the restart; stored before the "
                f"crash, then re-sent: "
                f"{', '.join(sorted(self.cluster.resent(run))) or 'nothing'}"
            )
        lines += self.cluster.twice(run)
        return "".join(f"<br>{escape(line)}" for line in lines + run.notes)


def sdk_log_html(lines: list[str]) -> str:
    return (
        "<pre style='font-size:11px'>" + escape("\n".join(lines) or "(nothing logged)") + "</pre>"
    )
