"""The exercises' checks, on real runs: each solution passes, the practice as given fails
with its reason, and a plausible wrong answer fails with the right reason.

The wrong answers are written here as a learner would write them; the checks read
the run (timeline, durable promises, send ledger), never the code.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Generator
from typing import Any

import nbformat
import pytest
from resonate import Context

from channels import send_email, send_push, send_slack, send_sms
from lab.exercises import EXERCISES, branch_ids, fan_out, idempotency_key, push_first
from lab.gateway import sms_gateway
from tests.lessons import NOTEBOOKS

LESSON = {
    "push_first": "01_sequential.ipynb",
    "fan_out": "02_fan_out.ipynb",
    "branch_ids": "03_push_failures.ipynb",
    "idempotency_key": "04_worker_kills.ipynb",
    "redelivery": "05_server_crash.ipynb",
}


@pytest.fixture(autouse=True)
def _run_dir(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAB_RUN_DIR", str(tmp_path))
    monkeypatch.delenv("RESONATE_HOST", raising=False)


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_solution_passes(name: str) -> None:
    exercise = EXERCISES[name]
    verdict = exercise.check(exercise.load("solution"), quiet=True)
    assert verdict.status == "passed", verdict.failing()
    assert not verdict.as_given


EXPECTED_REASON = {
    "push_first": "after email, sms, slack: each `yield` waits",
    "fan_out": "≈ the sum of the channels",
    "branch_ids": "push 0× (never called)",
    "idempotency_key": "the customer got 2 SMS: the re-run sent it again",
    "redelivery": "the second delivery of the same event started a second workflow",
}


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_practice_as_given_fails_with_its_reason(name: str) -> None:
    exercise = EXERCISES[name]
    verdict = exercise.check(exercise.load("practice"), quiet=True)
    assert verdict.status == "failed" and verdict.as_given
    assert any(EXPECTED_REASON[name] in text for text in verdict.failing()), verdict.failing()


def test_nothing_defined_is_not_attempted_not_a_failure() -> None:
    verdict = fan_out.check(quiet=True)  # no notify_fan_out in __main__
    assert verdict.status == "not attempted" and verdict.passed is None and verdict.run is None


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_lesson_shows_the_practice_file(name: str) -> None:
    """The practice cell and practice.py are one starting point: they must not drift apart."""
    nb = nbformat.read(NOTEBOOKS / LESSON[name], as_version=4)
    exercise = EXERCISES[name]
    cells = [
        c.source
        for c in nb.cells
        if c.cell_type == "code" and c.source.startswith(f"def {exercise.function}(")
    ]
    assert cells == [exercise.practice_source()]
    assert any(c.source.strip() == f"{name}.check()" for c in nb.cells if c.cell_type == "code")


# -- plausible wrong answers, as a learner would write them


def notify_fan_out(
    ctx: Context, event: dict[str, Any], simulate_crash: bool
) -> Generator[Any, Any, dict[str, Any]]:
    """Fanned out, but with fixed ids: every order shares one promise per channel."""
    start = time.time()
    email_p = yield ctx.rfi(send_email, event).options(id="email")
    sms_p = yield ctx.rfi(send_sms, event).options(id="sms")
    slack_p = yield ctx.rfi(send_slack, event).options(id="slack")
    push_p = yield ctx.rfi(send_push, event, simulate_crash).options(id="push")
    results = [(yield email_p), (yield sms_p), (yield slack_p), (yield push_p)]
    return {
        "order_id": event["order_id"],
        "channels_notified": 4,
        "total_ms": int((time.time() - start) * 1000),
        "results": results,
    }


def notify_push_first(
    ctx: Context, event: dict[str, Any], simulate_crash: bool
) -> Generator[Any, Any, dict[str, Any]]:
    """Push first — by fanning everything out: not what was asked."""
    push_p = yield ctx.rfi(send_push, event, simulate_crash).options(id=f"{ctx.id}.push")
    email_p = yield ctx.rfi(send_email, event).options(id=f"{ctx.id}.email")
    sms_p = yield ctx.rfi(send_sms, event).options(id=f"{ctx.id}.sms")
    slack_p = yield ctx.rfi(send_slack, event).options(id=f"{ctx.id}.slack")
    results = [(yield email_p), (yield sms_p), (yield slack_p), (yield push_p)]
    return {
        "order_id": event["order_id"],
        "channels_notified": 4,
        "total_ms": 0,
        "results": results,
    }


def notify_bug_hunt(
    ctx: Context, event: dict[str, Any], simulate_crash: bool
) -> Generator[Any, Any, dict[str, Any]]:
    """'Fixed' by giving push a random id: push runs, but its branch cannot be found again."""
    email_p = yield ctx.rfi(send_email, event).options(id=f"{ctx.id}.email")
    sms_p = yield ctx.rfi(send_sms, event).options(id=f"{ctx.id}.sms")
    slack_p = yield ctx.rfi(send_slack, event).options(id=f"{ctx.id}.slack")
    push_p = yield ctx.rfi(send_push, event, simulate_crash).options(
        id=f"{ctx.id}.push-{uuid.uuid4().hex[:6]}"
    )
    results = [(yield email_p), (yield sms_p), (yield slack_p), (yield push_p)]
    return {
        "order_id": event["order_id"],
        "channels_notified": 4,
        "total_ms": 0,
        "results": results,
    }


def send_sms_with_a_fresh_key(ctx: Context, event: dict[str, Any]) -> dict[str, Any]:
    return sms_gateway.send(event, idempotency_key=str(uuid.uuid4()))


def test_wrong_answers_fail_for_the_right_reason() -> None:
    fixed_ids = fan_out.check(notify_fan_out, quiet=True)
    assert fixed_ids.status == "failed" and not fixed_ids.as_given
    assert any("no durable promise" in t and ".email" in t for t in fixed_ids.failing()), (
        fixed_ids.failing()
    )

    fanned = push_first.check(notify_push_first, quiet=True)
    assert fanned.status == "failed"
    assert any("one after another" in t and "started before" in t for t in fanned.failing()), (
        fanned.failing()
    )

    random_id = branch_ids.check(notify_bug_hunt, quiet=True)
    assert random_id.status == "failed"
    assert any("no durable promise" in t and ".push" in t for t in random_id.failing()), (
        random_id.failing()
    )


def test_a_fresh_key_per_attempt_still_texts_twice() -> None:
    verdict = idempotency_key.check(send_sms_with_a_fresh_key, quiet=True)
    assert verdict.status == "failed"
    assert any(
        "the customer got 2 SMS" in t and "different keys" in t for t in verdict.failing()
    ), verdict.failing()
    assert any("keys sent:" in t for t in verdict.failing())


def submit(resonate: Any, event: dict[str, Any]) -> Any:
    """Keyed by the customer: a redelivery joins, but so does the customer's next order."""
    return resonate.begin_rpc(f"notify/{event['user_id']}", "notify_all", event, False)


def test_a_workflow_id_per_customer_swallows_their_next_order() -> None:
    from lab.exercises import redelivery

    verdict = redelivery.check(submit, quiet=True)
    assert verdict.status == "failed"
    assert any(
        "another order from the same customer got" in t and "collided" in t
        for t in verdict.failing()
    ), verdict.failing()
