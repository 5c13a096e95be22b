"""``scripts/room``: open the room (install, start the hub), close it, say how it stands.

Every bad argument is refused in one line before anything is installed or started:
a port that is taken or out of range, a folder that cannot be written, a cap or an
idle time out of range, a code or instructor's name that cannot be one.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from lab.paths import PROJECT
from room import processes, users

WORDS = "amber birch cedar delta ember fjord grove harbor iris juniper kelp lumen maple".split()


def _free(ip: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((ip, port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError:
        return False
    return True


def measured_cap() -> int:
    """Learners' servers at once for this machine, from the room benchmark (docs/deploy.md).

    On 2 cores and 24 GiB, 15 learners at once kept every lesson's claims (30 all finished,
    but the fan-out ran at 1.35 × its slowest channel and lesson 4's kill missed 17 of 30);
    each learner peaked at 360 MB. Scaled by cores, and by memory with 1 GiB for the hub.
    """
    cores = os.cpu_count() or 1
    memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    return max(1, min(round(7.5 * cores), (memory_mb - 1024) // 400))


def refusal(args: argparse.Namespace) -> str | None:
    """Why these arguments cannot open a room, in one line; None if they can."""
    if not 1 <= args.port <= 65535:
        return f"--port must be from 1 to 65535, got {args.port}"
    if processes.alive(args.folder / "hub.pid"):
        return f"a room already runs from {args.folder}: scripts/room stop --folder {args.folder} first"
    if not _free(args.ip, args.port):
        return f"port {args.port} is taken on {args.ip}: choose another with --port"
    if not _writable(args.folder):
        return f"cannot write to {args.folder}: choose another folder with --folder"
    if not _writable(args.prefix):
        return f"cannot write to {args.prefix}: choose another install folder with --prefix"
    if not 1 <= args.max_servers <= 500:
        return f"--max-servers must be from 1 to 500, got {args.max_servers}"
    if not 1 <= args.idle_minutes <= 1440:
        return f"--idle-minutes must be from 1 to 1440, got {args.idle_minutes}"
    if args.code is not None and (len(args.code) < 4 or not args.code.replace("-", "").isalnum()):
        return "--code must be 4 or more letters, digits or hyphens"
    why = users.refusal(args.instructor)
    return f"--instructor: {why}" if why else None


def _secret(path: Path, make: str, replace: bool = False) -> str:
    """A 0600 file's text, made once (a restarted room keeps its code and token)."""
    if replace or not path.exists():
        path.touch(mode=0o600)
        path.write_text(make + "\n")
    path.chmod(0o600)
    return path.read_text().strip()


def _outward_ip() -> str:
    """The address the room types: this machine's on its network (a 0.0.0.0 bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def _servers() -> None:
    """The servers the lessons run: the legacy one (lessons 4-5), and v0.9.8 (lesson 8) if it builds."""
    script = PROJECT / "scripts" / "install-server.sh"
    if subprocess.run([str(script)], check=False).returncode != 0:
        raise SystemExit("room: the legacy Resonate server could not be installed (above)")
    if subprocess.run([str(script), "v0.9"], check=False).returncode != 0:
        print("room: lesson 8's server v0.9.8 is missing: its worker kill will say so", flush=True)


def start(args: argparse.Namespace) -> int:
    from room.install import install

    folder = args.folder
    _servers()
    where = install(args.prefix)
    folder.chmod(0o700)
    code = _secret(
        folder / "code",
        args.code
        or "-".join(
            [secrets.choice(WORDS), secrets.choice(WORDS), str(secrets.randbelow(90) + 10)]
        ),
        replace=args.code is not None,
    )
    password = _secret(folder / "instructor-password", secrets.token_urlsafe(12))
    _secret(folder / "admin-token", secrets.token_hex(32))
    _secret(folder / "room-key", secrets.token_hex(32))
    room = {
        "ip": args.ip,
        "port": args.port,
        "hub_port": _free_port(),
        "proxy_api_port": _free_port(),
        "progress_port": _free_port(),  # the room's service: learners' checks, the live page
        "max_servers": args.max_servers,
        "idle_s": args.idle_minutes * 60,
        "instructor": users.hub_name(args.instructor),
        **where,
    }
    (folder / "room.json").write_text(json.dumps(room, indent=1))
    course = Path(where["course"])
    env = {
        **os.environ,
        "ROOM_FOLDER": str(folder),
        "LD_LIBRARY_PATH": where["python_lib"],
        "PATH": f"{course / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
    }
    env.pop("VIRTUAL_ENV", None)
    log = (folder / "hub.log").open("a")
    hub = subprocess.Popen(
        [
            str(course / ".venv" / "bin" / "jupyterhub"),
            "-f",
            str(course / "room" / "hub_config.py"),
        ],
        cwd=folder,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # ■ in a terminal, or its closing, leaves the room open
    )
    url = f"http://127.0.0.1:{args.port}/hub/api"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            break
        except (OSError, urllib.error.URLError):
            if hub.poll() is not None or time.monotonic() > deadline:
                tail = (folder / "hub.log").read_text()[-2500:]
                hub.kill()
                print(
                    f"room: the hub did not start; {folder / 'hub.log'} ends:\n{tail}",
                    file=sys.stderr,
                )
                return 1
            time.sleep(0.3)
    host = _outward_ip() if args.ip == "0.0.0.0" else args.ip
    print(f"room: open at http://{host}:{args.port}/  room code: {code}")
    print(
        f"room: at most {args.max_servers} learners' servers at once; an idle server stops "
        f"after {args.idle_minutes} min"
    )
    print(
        f"room: instructor: sign in as {room['instructor']} with the password in "
        f"{folder / 'instructor-password'} ({password}); API token in {folder / 'admin-token'}"
    )
    print(f"room: every learner's checks, live: http://{host}:{args.port}/services/room/")
    return 0


def stop(args: argparse.Namespace) -> int:
    """The hub (which stops every learner's server), the proxy, then anything a learner left."""
    folder = args.folder
    for name in ("hub.pid", "proxy.pid"):
        pid = processes.alive(folder / name)
        if pid is not None:
            processes.end(pid)
    learners = users.learners()
    for entry in learners:
        users.stop_processes(entry)
    left = [
        pid
        for entry in learners
        for pid in processes.pids_of(entry.pw_uid)
        if not processes.gone(pid)
    ]
    if args.remove_learners:
        for entry in learners:
            users.remove(entry)
    what = "removed" if args.remove_learners else "kept (their work is in their homes)"
    if left:
        print(f"room: closed, but learners' processes are left: {left}", file=sys.stderr)
        return 1
    print(f"room: closed; no hub, proxy or learner's process left; {len(learners)} learners {what}")
    return 0


def status(args: argparse.Namespace) -> int:
    pid = processes.alive(args.folder / "hub.pid")
    if pid is None:
        print(f"room: not running from {args.folder}")
        return 1
    room = json.loads((args.folder / "room.json").read_text())
    print(f"room: running (hub pid {pid}) on port {room['port']}; {len(users.learners())} learners")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/room", description=__doc__)
    parser.add_argument("action", nargs="?", default="start", choices=["start", "stop", "status"])
    parser.add_argument("--port", type=int, default=8000, help="the room's port (default 8000)")
    parser.add_argument("--ip", default="0.0.0.0", help="the address to listen on (default: all)")
    parser.add_argument("--folder", type=Path, default=PROJECT / ".room", help="the room's state")
    parser.add_argument(
        "--prefix", type=Path, default=Path("/opt/fanout-lessons"), help="the install"
    )
    parser.add_argument("--code", help="the room's code (default: made up, kept between starts)")
    parser.add_argument(
        "--max-servers",
        type=int,
        default=None,
        help="learners' servers at once (default: 7.5 per core, 400 MB each: docs/deploy.md)",
    )
    parser.add_argument("--idle-minutes", type=int, default=60, help="stop a server idle this long")
    parser.add_argument("--instructor", default="instructor", help="the admin's name")
    parser.add_argument("--remove-learners", action="store_true", help="stop: delete their users")
    args = parser.parse_args(argv)
    args.folder, args.prefix = args.folder.resolve(), args.prefix.resolve()
    if args.max_servers is None:
        args.max_servers = measured_cap()
    if args.action == "start":
        why = refusal(args)
        if why:
            print(f"scripts/room: {why}", file=sys.stderr)
            return 2
        return start(args)
    return stop(args) if args.action == "stop" else status(args)


if __name__ == "__main__":
    sys.exit(main())
