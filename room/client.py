"""A learner, driven over HTTP as their browser would: sign in, start a server, run code.

The load test (``benchmarks/room.py``) and the room's tests use it: the hub's sign-in
form (with its XSRF token), the hub's REST API with the learner's own token, and their
Jupyter server's kernel over its websocket, as JupyterLab does.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
import websocket


def start_room(
    scripts_room: Path, *, port: int, folder: Path, prefix: Path, code: str, max_servers: int
) -> subprocess.CompletedProcess:
    """``scripts/room`` in a folder and prefix of its own (the tests' and the load test's room)."""
    return subprocess.run(
        [
            *(str(scripts_room), "--port", str(port), "--folder", str(folder)),
            *("--prefix", str(prefix), "--code", code),
            *("--max-servers", str(max_servers), "--idle-minutes", "60"),
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )


@dataclass
class Learner:
    hub: str  # http://host:port
    name: str
    code: str
    password: str = "learner-pw-1"
    session: requests.Session = field(default_factory=requests.Session, repr=False)
    token: str = ""

    def sign_in(self) -> requests.Response:
        """The sign-in form, as submitted from the page (its XSRF cookie and field)."""
        self.session.get(f"{self.hub}/hub/login", timeout=30)
        xsrf = self.session.cookies.get("_xsrf", "")
        return self.session.post(
            f"{self.hub}/hub/login",
            data={
                "username": self.name,
                "code": self.code,
                "password": self.password,
                "_xsrf": xsrf,
            },
            allow_redirects=False,
            timeout=60,
        )

    def api(self, method: str, path: str, **kwargs: object) -> requests.Response:
        """The hub's REST API: with the learner's token once they have one, else their cookie."""
        headers = (
            {"Authorization": f"token {self.token}"}
            if self.token
            else {"X-XSRFToken": self.session.cookies.get("_xsrf", "")}
        )
        return self.session.request(
            method, f"{self.hub}/hub/api{path}", headers=headers, timeout=60, **kwargs
        )

    def get_token(self) -> str:
        answer = self.api("POST", f"/users/{self.name}/tokens", json={"note": "load test"})
        answer.raise_for_status()
        self.token = answer.json()["token"]
        return self.token

    def start_server(self, timeout: float = 180) -> float:
        """Ask for the learner's server; seconds until it is ready. Raises with the hub's answer."""
        began = time.monotonic()
        answer = self.api("POST", f"/users/{self.name}/server")
        if answer.status_code not in (201, 202, 400):  # 400: already running
            raise RuntimeError(f"{answer.status_code} {answer.text[:300]}")
        while time.monotonic() - began < timeout:
            server = self.api("GET", f"/users/{self.name}").json().get("servers", {}).get("")
            if server and server.get("ready"):
                return time.monotonic() - began
            time.sleep(0.25)
        raise TimeoutError(f"{self.name}'s server was not ready after {timeout:g} s")

    def server(self, method: str, path: str, **kwargs: object) -> requests.Response:
        """The learner's own Jupyter server's API, with their token."""
        return self.session.request(
            method,
            f"{self.hub}/user/{self.name}/api{path}",
            headers={"Authorization": f"token {self.token}"},
            timeout=60,
            **kwargs,
        )

    def kernel(self, name: str = "python3") -> Kernel:
        answer = self.server("POST", "/kernels", json={"name": name})
        answer.raise_for_status()
        return Kernel(self, answer.json()["id"])


@dataclass
class Kernel:
    learner: Learner
    id: str

    def run(self, code: str, timeout: float = 180) -> str:
        """Execute ``code``; its printed output. Raises RuntimeError with the kernel's error."""
        url = self.learner.hub.replace("http", "ws", 1)
        ws = websocket.create_connection(
            f"{url}/user/{self.learner.name}/api/kernels/{self.id}/channels",
            header=[f"Authorization: token {self.learner.token}"],
            timeout=timeout,
        )
        msg_id = uuid.uuid4().hex
        ws.send(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": "execute_request",
                        "username": self.learner.name,
                        "session": uuid.uuid4().hex,
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": {"code": code, "silent": False, "stop_on_error": True},
                    "channel": "shell",
                    "buffers": [],
                }
            )
        )
        out, error, deadline = [], None, time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                msg = json.loads(ws.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = msg["header"]["msg_type"]
                if kind == "stream":
                    out.append(msg["content"]["text"])
                elif kind == "error":
                    error = f"{msg['content']['ename']}: {msg['content']['evalue']}"
                elif kind == "status" and msg["content"]["execution_state"] == "idle":
                    break
        finally:
            ws.close()
        if error:
            raise RuntimeError(error)
        return "".join(out)


# What a learner's kernel runs in the load test and the tests: lesson 2's fan-out, lesson 3's
# push failure and lesson 4's worker kill, as their cells do, reported as one JSON line.
LESSONS_2_3_4 = """
import json, time
from lab import Cluster, Lab
lab = Lab(workers=4)
fan = lab.run(live=False)
crash = lab.run(live=False, simulate_crash=True)
cluster = Cluster(processes=3, ttl=2)
killed = cluster.run(kill="email", after="push", live=False, timeout=60)
print(json.dumps({
    "fan_out_wall_ms": fan.wall_ms,
    "slowest_ms": max(fan.channel_ms().values()),
    "fan_out_notified": fan.result["channels_notified"],
    "push_attempts": len([a for a in crash.attempts() if a.channel == "push"]),
    "crash_sends": crash.sends(),
    "crash_notified": crash.result["channels_notified"],
    "kill_notified": killed.result["channels_notified"],
    "kill_to_done_ms": cluster.recovery_ms(killed),
    "kills": len(cluster.kills_of(killed)),
    "server": cluster.address.url,
    "order": killed.workflow_id,
}))
"""


# Then each learner checks an exercise, asks a hint and checks a guess (lessons 2's cells):
# three events for the room's service (lab.checks.progress). The ids the kernel wrote and
# when the check returned, as JSON, once its own file has all three.
CHECKS = """
import json, time
from lab import check
from lab.checks import fan_out
from lab.checks.progress import events
fan_out.check(fan_out.load("solution"), quiet=True)
checked = time.time()
fan_out.hint()
check(1000, 1000, what="fan-out total (ms)")
deadline = time.time() + 30
while len(events()) < 3 and time.time() < deadline:
    time.sleep(0.1)
print(json.dumps({"ids": sorted(e["id"] for e in events()), "checked": checked}))
"""
