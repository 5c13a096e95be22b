"""The room on Kubernetes: the Zero to JupyterHub values carry the room's own sign-in, and fit the chart.

The chart's schema (``values.schema.json``, made by the chart's own release from its
``values.schema.yaml``) and default ``values.yaml`` are not in this repository: set
``Z2JH_CHART`` to a folder holding both (helm's unpacked chart, 4.4.0) for the schema check.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from tests.conftest import ROOT

spec = importlib.util.spec_from_file_location(
    "values", ROOT / "deploy" / "zero-to-jupyterhub" / "values.py"
)
values_py = importlib.util.module_from_spec(spec)
spec.loader.exec_module(values_py)
CHART = Path(os.environ.get("Z2JH_CHART", ROOT.parent / "shared" / "z2jh-4.4.0"))


def made() -> dict:
    return values_py.values("reg.example/fanout-lessons:abc", "room-1", "pw-1", 30, 60, 512)


def test_the_values_mount_the_rooms_own_sign_in() -> None:
    found = made()
    files = {f["mountPath"]: f["stringData"] for f in found["hub"]["extraFiles"].values()}
    for name in ("__init__.py", "auth.py", "users.py"):
        assert files[f"/usr/local/etc/jupyterhub/room/{name}"] == (ROOT / "room" / name).read_text()
    login = (ROOT / "room" / "templates" / "login.html").read_text()
    assert files["/usr/local/share/jupyterhub/room-templates/login.html"] == login
    assert found["hub"]["config"]["RoomAuthenticator"]["room_code"] == "room-1"
    assert found["hub"]["activeServerLimit"] == 30 and found["cull"]["timeout"] == 3600
    assert found["singleuser"]["image"] == {"name": "reg.example/fanout-lessons", "tag": "abc"}
    assert (
        values_py.main(
            ["--image", "x:1", "--code", "c", "--instructor-password", "p", "--max-servers", "0"]
        )
        == 2
    )


@pytest.mark.skipif(
    not (CHART / "values.schema.json").exists(), reason=f"no chart in {CHART} (Z2JH_CHART)"
)
def test_the_values_fit_the_charts_own_schema() -> None:
    assert values_py.check(made(), CHART) == []
    typo = made()
    typo["hub"]["activeServerLimt"] = 3  # a key the chart does not know is refused, not ignored
    assert any("activeServerLimt" in e for e in values_py.check(typo, CHART))
