"""The room's JupyterHub configuration, read from the room's folder (``jupyterhub -f`` this file).

``scripts/room`` writes ``room.json`` and the secrets into the room's folder (0700,
root's) and starts the hub there with ``ROOM_FOLDER`` set. Nothing here is a secret
itself; every value a learner could abuse is in a 0600 file beside the hub's database.
"""

import json
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 - JupyterHub's config loader defines it

folder = Path(os.environ["ROOM_FOLDER"])
room = json.loads((folder / "room.json").read_text())
course = Path(room["course"])
python = str(course / ".venv" / "bin" / "python")

c.JupyterHub.bind_url = f"http://{room['ip']}:{room['port']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{room['hub_port']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{room['proxy_api_port']}"
c.ConfigurableHTTPProxy.command = [room["proxy"]]
c.ConfigurableHTTPProxy.pid_file = str(folder / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{folder / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(folder / "cookie-secret")
c.JupyterHub.pid_file = str(folder / "hub.pid")
c.JupyterHub.template_paths = [str(course / "room" / "templates")]
c.JupyterHub.active_server_limit = room["max_servers"]  # past it: "try again in a few minutes"
c.JupyterHub.cleanup_servers = True  # a stopped hub stops every learner's server

c.JupyterHub.authenticator_class = "room.auth.RoomAuthenticator"
c.Authenticator.allow_all = True  # whoever has the room's code (the authenticator checks it)
c.Authenticator.admin_users = {room["instructor"]}
c.RoomAuthenticator.instructor = room["instructor"]
c.RoomAuthenticator.room_code = (folder / "code").read_text().strip()
c.RoomAuthenticator.instructor_password = (folder / "instructor-password").read_text().strip()
c.RoomAuthenticator.passwords = str(folder / "passwords.sqlite")

c.JupyterHub.spawner_class = "room.spawner.RoomSpawner"
c.RoomSpawner.cmd = [python, "-m", "room.singleuser"]
c.RoomSpawner.course = str(course)
c.RoomSpawner.room_key_file = str(folder / "room-key")
c.RoomSpawner.python_lib = room["python_lib"]
c.Spawner.default_url = "/lab/tree/my-work/00_welcome.ipynb"
c.Spawner.notebook_dir = "~"
# Kernels over IPC sockets in the learner's 0700 home: over TCP on loopback any other learner
# could subscribe to a kernel's output (its messages are signed, not encrypted).
c.Spawner.args = ["--KernelManager.transport=ipc"]
# Each kernel sends its checks, hints and solutions to the room's service (lab.checks.progress)
# with the server's own token, which may reach that service and nothing more of it.
c.RoomSpawner.environment = {
    "ROOM_EVENTS_URL": f"http://127.0.0.1:{room['progress_port']}/services/room/api/events"
}
c.Spawner.start_timeout = 120  # thirty learners signing in at once on two cores
c.Spawner.http_timeout = 120

c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={room['idle_s']}"],
    },
    {"name": "instructor", "api_token": (folder / "admin-token").read_text().strip()},
    {
        "name": "room",  # /services/room/: every learner's checks, live (room/progress.py)
        "url": f"http://127.0.0.1:{room['progress_port']}",
        "command": [python, "-m", "room.progress"],
        "cwd": str(course),
        "environment": {
            "ROOM_FOLDER": str(folder),
            "ROOM_INSTRUCTOR": room["instructor"],
            "LD_LIBRARY_PATH": room["python_lib"],
        },
        "oauth_no_confirm": True,
    },
]
c.JupyterHub.load_roles = [
    {
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    },
    {"name": "admin", "services": ["instructor"]},
    {"name": "room", "scopes": ["list:users"], "services": ["room"]},
    # A learner may reach the room's service (their own row, their events), and so may the
    # token of their server, which their kernels send events with.
    {"name": "user", "scopes": ["self", "access:services!service=room"]},
    {
        "name": "server",
        "scopes": ["users:activity!user", "access:servers!server", "access:services!service=room"],
    },
]
