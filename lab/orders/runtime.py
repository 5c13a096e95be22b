"""The lab: one Resonate instance per configuration, set up once per kernel.

Lesson cells call ``Lab(...)`` as often as they like. Registering a function
twice on one Resonate instance raises, and stopping an instance mid-run can
take the kernel down, so instances are created once per (store, workers,
ledger) and kept for the life of the process; a second ``Lab`` with the same
settings reuses them.

``workers`` is always passed explicitly: the SDK's default follows
``os.cpu_count()``, which is 2 on the workshop machines (two channels at a
time, 527 ms instead of ~407) and the host's core count on Binder.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from resonate import Resonate
from resonate.models.durable_promise import DurablePromise

from channels import send_email, send_push, send_slack, send_sms
from lab.errors import Refused
from lab.orders.arguments import check_display, check_faults, check_workers, check_workflow
from lab.orders.collector import settle
from lab.orders.embedded_store import embedded
from lab.orders.events import new_event, validate_event
from lab.orders.faults import Fault
from lab.orders.ledger import CHANNELS, Ledger
from lab.orders.observe import ObservingRegistry
from lab.orders.routing import group_for, route
from lab.orders.run import Run
from lab.orders.sdk_log import route_sdk_log
from lab.paths import default_ledger_path, run_dir
from lab.servers.legacy import LocalServer, ServerAddress, require_server
from workflow import notify_all

# What worker processes serve; the kernel also runs any generator it is given.
WORKFLOWS = {"fan-out": notify_all}
DEFAULT_WORKERS = 4

_instances: dict[tuple, Resonate] = {}
_instances_lock = threading.Lock()
_groups: dict[int, str] = {}  # id of a server instance -> the group it polls


def register_all(resonate: Resonate) -> None:
    """Register the workflows and the four channels: the kernel and every worker process alike."""
    for fn in (*WORKFLOWS.values(), send_email, send_sms, send_slack, send_push):
        resonate.register(fn)


_registered: dict[int, set[str]] = {}  # names registered per Resonate instance


def workflow_name(fn: Callable[..., Any]) -> str:
    """The name a workflow function is registered under.

    The production workflow keeps its own name. A learner's function is named
    after its source too: editing a cell and running it again registers the
    new code under a new name (registering a name twice raises), while
    running the same cell again reuses the name.
    """
    if fn in WORKFLOWS.values():
        return fn.__name__
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):  # no source to read: this very function object, then
        source = f"{fn.__qualname__}@{id(fn)}"
    return f"{fn.__name__}-{hashlib.sha1(source.encode()).hexdigest()[:8]}"


def _existing(resonate: Resonate, workflow_id: str) -> DurablePromise | None:
    """The workflow's promise if this order was submitted before."""
    try:
        return resonate.promises.get(workflow_id)
    except Exception:  # noqa: BLE001 - no such promise: a new run
        return None


def _func_of(promise: DurablePromise) -> str | None:
    """The function a workflow promise was created for."""
    try:
        return json.loads(promise.param.data or "{}").get("func")
    except ValueError:
        return None


def choose_server(server: str | bool | ServerAddress | None) -> ServerAddress | None:
    """Where the lab's promises live: None for the embedded store, else a server's address."""
    if isinstance(server, ServerAddress):
        return server
    if server is None:
        store = os.environ.get("LAB_STORE", "embedded")
        if store not in ("embedded", "server"):
            msg = f"LAB_STORE must be 'embedded' or 'server', got {store!r}"
            raise Refused(msg)
        server = store == "server"
    if server is False:
        return None
    if server is True:
        return ServerAddress.parse() if os.environ.get("RESONATE_HOST") else kernel_server().address
    return ServerAddress.parse(server)


_kernel_server: LocalServer | None = None


def kernel_server() -> LocalServer:
    """The Resonate server this kernel started (started on first use, dies with the kernel)."""
    global _kernel_server
    with _instances_lock:
        if _kernel_server is None:
            _kernel_server = LocalServer(run_dir() / f"server-{os.getpid()}")
        return _kernel_server.start()


class Lab:
    """Runs the production workflow for the lessons, observed and fault-injectable.

    ``Lab()`` uses the embedded store (no server), unless ``LAB_STORE=server``
    is set: the one setting that moves every lesson onto a Resonate server.
    ``Lab(server=True)`` uses a server: the one ``RESONATE_HOST`` names, else one
    the lab starts for this kernel. ``Lab(server="http://127.0.0.1:8001")``
    uses that one. A server is checked within 3 s before anything is sent.
    """

    called = "lab"  # what the lessons call it, in a line after ■ (``lab.last``)
    last: Run | None = None  # the latest order it started, named or not

    def __init__(
        self,
        workers: int = DEFAULT_WORKERS,
        server: str | bool | ServerAddress | None = None,
        ledger: str | Path | None = None,
    ) -> None:
        route_sdk_log()
        self.workers = check_workers(workers)
        self.address = choose_server(server)
        if self.address:
            require_server(self.address)
        self.ledger = Ledger(ledger or default_ledger_path())

    @property
    def mode(self) -> str:
        return (
            f"server at {self.address.url}"
            if self.address
            else "embedded store (in this process, in memory)"
        )

    def serving(self, workers: int | None = None) -> str:
        """Who runs an order, in words: "4 workers" (threads in this kernel)."""
        n = self.workers if workers is None else workers
        return f"{n} worker{'s' if n != 1 else ''}"

    def resonate(self, workers: int | None = None) -> Resonate:
        """The Resonate instance for this configuration, created and registered once."""
        workers = check_workers(self.workers if workers is None else workers)
        key = (type(self).__name__, self.address, workers, str(self.ledger.path))
        with _instances_lock:
            if key not in _instances:
                _instances[key] = self._create(workers)
            return _instances[key]

    def _create(self, workers: int) -> Resonate:
        registry = ObservingRegistry(self.ledger)
        if self.address:
            group = group_for(workers, str(self.ledger.path))
            resonate = Resonate.remote(
                host=self.address.host,
                store_port=str(self.address.store_port),
                message_source_port=str(self.address.poll_port),
                registry=registry,
                workers=workers,
                group=group,  # its orders come back to it (lab.orders.routing)
                log_level="CRITICAL",  # the SDK's per-function error lines would land in a cell
            )
            _groups[id(resonate)] = group
        else:
            resonate = embedded(registry=registry, workers=workers, log_level="CRITICAL")
        register_all(resonate)
        resonate.start()
        return resonate

    def _submit(self, resonate: Resonate, run: Run, simulate_crash: bool) -> Any:
        """Hand the run to Resonate; returns the handle."""
        names = _registered.setdefault(id(resonate), set())
        with _instances_lock:
            if run.workflow not in names and run.function not in WORKFLOWS.values():
                resonate.register(run.function, name=run.workflow)
            names.add(run.workflow)
        if id(resonate) in _groups:
            route(run.workflow_id, _groups[id(resonate)])
        return resonate.begin_run(run.workflow_id, run.workflow, run.event, simulate_crash)

    def start(
        self,
        event: dict[str, Any] | None = None,
        *,
        simulate_crash: bool = False,
        faults: dict[str, Fault] | None = None,
        workflow: str | Callable[..., Any] = "fan-out",
        workers: int | None = None,
    ) -> Run:
        """Submit a run and return at once; the run goes on in the background.

        Everything is checked before anything is submitted: a bad event, fault
        or setting raises and leaves the store and the ledger untouched.
        """
        if self.address:  # a server that is gone is said in one line, before anything waits on it
            require_server(self.address)
        event = new_event() if event is None else validate_event(event)
        if not isinstance(simulate_crash, bool):
            msg = f"simulate_crash must be True or False, got {simulate_crash!r}"
            raise Refused(msg)
        function = check_workflow(workflow, WORKFLOWS)
        name = workflow_name(function)
        faults = check_faults(faults)
        resonate = self.resonate(workers)
        workflow_id = f"notify/{event['order_id']}"
        existing = _existing(resonate, workflow_id)
        earlier = existing and _func_of(existing)
        if earlier and earlier != name:
            msg = f"order {event['order_id']} was already submitted to {earlier}; run {name} on a new order"
            raise Refused(msg)
        if faults:
            if self.ledger.attempts(event["order_id"]):
                msg = f"order {event['order_id']} has already run; injected faults apply to new orders only"
                raise Refused(msg)
            self.ledger.set_faults(event["order_id"], faults)
        settle()
        run = Run(workflow_id, event, name, resonate, self.ledger, function=function)
        run.address, run.called, run.goes_on = self.address, self.called, self.serving(workers)
        self.last = run
        if existing is not None:  # a re-run: drawn on the first run's clock, not as a run
            run.resubmitted = True
            run.origin = existing.created_on / 1000
            if existing.completed_on is not None:
                run.stored_ms = existing.completed_on - existing.created_on
        run._finish(self._submit(resonate, run, simulate_crash))
        return run

    def run(
        self,
        event: dict[str, Any] | None = None,
        *,
        live: bool = True,
        timeout: float = 90,
        title: str | None = None,
        axis_ms: float | None = None,
        lanes: str = "channel",
        marks: Any = tuple,
        **options: Any,
    ) -> Run:
        """Submit a run, show its live timeline, and wait for it to finish.

        ``title`` and ``axis_ms`` (the least span of the time axis) let charts
        that are meant to be compared share a scale; ``lanes="worker"`` draws a
        lane per process, ``marks`` returns moments to draw (a kill). A re-run of an order that
        has already completed draws no chart: it says what the store did.
        """
        check_display(live=live, timeout=timeout, title=title, axis_ms=axis_ms, lanes=lanes)
        run = self.start(event, **options)
        if live and not run.stored:
            chart = self.timeline(run, title=title, axis_ms=axis_ms, lanes=lanes, marks=marks)
            chart.show()
        run.wait(timeout)
        if live and not run.stored:
            chart.drawn.wait(5)  # the finished chart is drawn before the cell ends
        if run.resubmitted:
            print(run.resubmission_summary(), end="")
        return run

    def provider_back(self, channel: str) -> list[str]:
        """``channel``'s provider is back: every outage on it ends now; the orders it held.

        An order whose channel was down delivers on that channel's next retry; a hung
        call gets its answer (and the customer the message) at once.
        """
        if channel not in CHANNELS:
            msg = f"no such channel {channel!r}; the channels are {', '.join(CHANNELS)}"
            raise Refused(msg)
        return self.ledger.lift(channel)

    def timeline_options(self) -> dict[str, Any]:
        """How this lab's charts are drawn: a lane per channel (a cluster draws one per process)."""
        return {}

    def timeline(self, run: Run, **options: Any) -> Any:
        from lab.orders.live import LiveTimeline

        return LiveTimeline(run, **options)
