"""The room on Kubernetes: a Zero to JupyterHub ``values.yaml``, for when one machine is not enough.

    python deploy/zero-to-jupyterhub/values.py --image REGISTRY/fanout-lessons:TAG --code CODE \\
        --instructor-password PASSWORD > values.yaml
    helm upgrade --install room jupyterhub/jupyterhub --version 4.4.0 --values values.yaml
    python deploy/zero-to-jupyterhub/values.py ... --check CHART  # the chart's values.yaml and schema

Each learner's server is a pod of the image repo2docker builds from ``binder/`` (the same
set-up as mybinder.org: ``binder/start`` makes the learner's ``my-work/`` copies and
starts the lessons' servers), with the memory the room benchmark measured. Sign-in is
the room's own (``room/auth.py``: a name, the room's code, a password of one's own),
mounted into the chart's hub image beside its template, so the two ways in never drift
apart. The chart's idle culler and server cap take the room's settings.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
HUB_ETC = "/usr/local/etc/jupyterhub"
TEMPLATES = "/usr/local/share/jupyterhub/room-templates"

HUB_CONFIG = f"""\
import sys
sys.path.insert(0, "{HUB_ETC}")
c.JupyterHub.authenticator_class = "room.auth.RoomAuthenticator"
c.JupyterHub.template_paths = ["{TEMPLATES}"]
c.Authenticator.allow_all = True
c.RoomAuthenticator.passwords = "/srv/jupyterhub/room-passwords.sqlite"
"""


def values(
    image: str, code: str, password: str, max_servers: int, idle_minutes: int, memory_mb: int
) -> dict:
    name, _, tag = image.rpartition(":")
    files = {
        f"room-{path.stem}": {
            "mountPath": f"{HUB_ETC}/room/{path.name}",
            "stringData": path.read_text(),
        }
        for path in (ROOT / "room" / f for f in ("__init__.py", "auth.py", "users.py"))
    }
    files["room-login"] = {
        "mountPath": f"{TEMPLATES}/login.html",
        "stringData": (ROOT / "room" / "templates" / "login.html").read_text(),
    }
    return {
        "hub": {
            "activeServerLimit": max_servers,
            "config": {
                "Authenticator": {"admin_users": ["instructor"]},
                "RoomAuthenticator": {
                    "room_code": code,
                    "instructor": "instructor",
                    "instructor_password": password,
                },
            },
            "extraConfig": {"room": HUB_CONFIG},
            "extraFiles": files,
        },
        "singleuser": {
            "image": {"name": name, "tag": tag or "latest"},
            "defaultUrl": "/lab/tree/my-work/00_welcome.ipynb",
            "memory": {"guarantee": f"{memory_mb}M", "limit": f"{2 * memory_mb}M"},
            "cpu": {"guarantee": 0.05, "limit": 1},
            "startTimeout": 300,
        },
        "cull": {"enabled": True, "timeout": idle_minutes * 60, "every": 300},
    }


def merged(defaults: dict, ours: dict) -> dict:
    """Our values over the chart's defaults, as helm merges them before it validates."""
    out = dict(defaults)
    for key, value in ours.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = merged(out[key], value) if both else value
    return out


def check(found: dict, chart: Path) -> list[str]:
    """Every way ``found`` breaks the chart's own schema, over the chart's own defaults.

    ``chart`` holds the chart's ``values.yaml`` and ``values.schema.json`` (helm's package).
    """
    import jsonschema

    schema = json.loads((chart / "values.schema.json").read_text())
    values = merged(yaml.safe_load((chart / "values.yaml").read_text()), found)
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(values)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--image", required=True, help="the image repo2docker built from this repository"
    )
    parser.add_argument("--code", required=True, help="the room's code")
    parser.add_argument("--instructor-password", required=True, help="the admin's sign-in")
    parser.add_argument("--max-servers", type=int, default=30)
    parser.add_argument("--idle-minutes", type=int, default=60)
    parser.add_argument("--memory-mb", type=int, default=512, help="per learner (docs/deploy.md)")
    parser.add_argument(
        "--check", type=Path, metavar="SCHEMA", help="validate against the chart's schema"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.max_servers <= 500 or not 1 <= args.idle_minutes <= 1440:
        print(
            "values: --max-servers must be 1 to 500 and --idle-minutes 1 to 1440", file=sys.stderr
        )
        return 2
    found = values(
        args.image,
        args.code,
        args.instructor_password,
        args.max_servers,
        args.idle_minutes,
        args.memory_mb,
    )
    if args.check:
        errors = check(found, args.check)
        for error in errors:
            print(f"values: {error}", file=sys.stderr)
        if errors:
            return 1
        print(f"values: valid against {args.check}", file=sys.stderr)
    yaml.safe_dump(found, sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
