"""The production modules reproduce the facts of the example's specification."""

from __future__ import annotations

import ast
import inspect
import re
import subprocess
import sys
import time

import pytest

import channels
import workflow
from channels import OrderEvent, send_email, send_push, send_slack, send_sms
from tests.conftest import ROOT

EVENT = OrderEvent("ord_spec", "user_alice", "order.confirmed", "hello").to_dict()


def _took(ms: float, latency: int) -> bool:
    """A channel's simulated latency: sleep never ends early; a busy machine may add some."""
    return latency - 10 <= ms < latency + 150


def test_workflow_has_eight_yields_and_deterministic_child_ids() -> None:
    tree = ast.parse(inspect.getsource(workflow.notify_all))
    assert sum(isinstance(n, ast.Yield) for n in ast.walk(tree)) == 8
    source = inspect.getsource(workflow.notify_all)
    for channel in ("email", "sms", "slack", "push"):
        assert f'id=f"{{ctx.id}}.{channel}"' in source
    assert not any(isinstance(n, (ast.If, ast.For, ast.While, ast.Try)) for n in ast.walk(tree))


def test_channel_signatures() -> None:
    for fn in (send_email, send_sms, send_slack):
        assert list(inspect.signature(fn).parameters) == ["_", "event"]
    assert list(inspect.signature(send_push).parameters) == ["_", "event", "simulate_crash"]


@pytest.mark.parametrize(
    ("fn", "latency", "before", "after"),
    [
        (
            send_email,
            400,
            "  [email]   Sending order confirmation to user user_alice...",
            "  [email]   Sent — msg_email_",
        ),
        (
            send_sms,
            250,
            "  [sms]     Sending SMS to user user_alice...",
            "  [sms]     Sent — msg_sms_",
        ),
        (
            send_slack,
            180,
            "  [slack]   Posting to #orders channel...",
            "  [slack]   Posted — msg_slack_",
        ),
    ],
)
def test_channel_latency_lines_and_result(fn, latency, before, after, capsys) -> None:
    started = time.time()
    result = fn(None, EVENT)
    elapsed = (time.time() - started) * 1000
    out = capsys.readouterr().out.splitlines()
    assert out[0] == before
    assert out[1].startswith(after)
    assert _took(elapsed, latency)
    assert set(result) == {"channel", "success", "message_id", "duration_ms"}
    assert result["success"] is True
    assert re.fullmatch(rf"msg_{result['channel']}_[a-z0-9]{{6}}", result["message_id"])
    assert _took(result["duration_ms"], latency)


def test_push_fails_first_attempt_only_when_crash_is_simulated(capsys) -> None:
    event = dict(EVENT, order_id="ord_push_spec")
    with pytest.raises(RuntimeError, match=r"^Push service unavailable — will retry$"):
        send_push(None, event, True)
    second = send_push(None, event, True)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "  [push]    Sending push notification to user user_alice (attempt 1)..."
    assert out[1] == "  [push]    Sending push notification to user user_alice (attempt 2)..."
    assert out[2].startswith("  [push]    Delivered — msg_push_")
    assert second["channel"] == "push" and _took(second["duration_ms"], 120)
    assert channels._push_attempts["ord_push_spec"] == 2


def test_order_event_round_trip() -> None:
    assert OrderEvent.from_dict(EVENT).to_dict() == EVENT


def _main(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_main_happy_path_runs_embedded() -> None:
    done = _main()
    assert done.returncode == 0, done.stderr
    assert "Channels notified: 4/4" in done.stdout
    wall = int(re.search(r"Wall time: (\d+)ms", done.stdout).group(1))
    sequential = int(re.search(r"Sequential estimate: (\d+)ms", done.stdout).group(1))
    assert wall < 0.6 * sequential
    assert "Speedup:" in done.stdout


def test_main_crash_retries_push_only() -> None:
    done = _main("--crash")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "Channels notified: 4/4" in lines
    # Whole lines: the channels print from four threads at once (see channels._say).
    attempts = [line for line in lines if line.startswith("  [push]    Sending")]
    assert [a[-14:] for a in attempts] == ["(attempt 1)...", "(attempt 2)..."]
    for sender in ("[email]   Sending", "[sms]     Sending", "[slack]   Posting"):
        assert sum(sender in line for line in lines) == 1
    assert "Push service unavailable — will retry" in done.stderr  # the SDK's retry warning


def test_main_without_server_fails_fast_and_clearly() -> None:
    started = time.monotonic()
    done = _main("--server", "http://127.0.0.1:9")
    assert time.monotonic() - started < 3 + 2  # + interpreter start-up
    assert done.returncode == 2
    assert "no Resonate server at http://127.0.0.1:9" in done.stderr
    assert "RESONATE_HOST" in done.stderr


def test_production_modules_import_nothing_from_the_lessons() -> None:
    """Like the example they reproduce: resonate, the standard library, and each other only."""
    import ast

    for name in ("channels.py", "workflow.py", "main.py"):
        tree = ast.parse((ROOT / name).read_text())
        imported = {
            a.name.split(".")[0]
            for n in ast.walk(tree)
            if isinstance(n, ast.Import)
            for a in n.names
        }
        imported |= {
            n.module.split(".")[0]
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.module
        }
        assert not imported & {"lab", "exercises", "tests"}, (
            f"{name} imports {imported & {'lab', 'exercises', 'tests'}}"
        )
