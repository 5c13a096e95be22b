"""Answers learners write, each with the verdict it must get and a word of the reason.

Every answer is a whole cell, as typed: helpers, constants and imports included.
Right answers come written in several ways (loops, helpers, ``yield from``, other
yield orders, hashed keys); wrong ones are the mistakes a room makes. The test runs
each through the same ``check()`` a learner calls (``tests/test_exercises.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

IMPORTS = """from __future__ import annotations

import datetime
import hashlib
import time
import uuid
from typing import Any

from resonate import Context

from channels import send_email, send_push, send_slack, send_sms
"""

RESULT = """
    results = [email, sms, slack, push]
    return {
        "order_id": event["order_id"],
        "channels_notified": sum(1 for r in results if r.get("success")),
        "total_ms": 0,
        "results": results,
    }
"""


@dataclass(frozen=True)
class Case:
    label: str
    expected: str  # "passed" | "failed"
    reason: str  # a piece of the first failing criterion's text ("" for a pass)
    cell: str


SIGNATURE = "(ctx: Context, event: dict[str, Any], simulate_crash: bool) -> Any:"


def wf(name: str, body: str, *, extra: str = "", result: str = RESULT) -> str:
    return f"{IMPORTS}\n{extra}\n\ndef {name}{SIGNATURE}\n{body}{result}"


SEQ_PUSH_FIRST = """
    push = yield (yield ctx.rfi(send_push, event, simulate_crash).options(id=f"{ctx.id}.push"))
    email = yield (yield ctx.rfi(send_email, event).options(id=f"{ctx.id}.email"))
    sms = yield (yield ctx.rfi(send_sms, event).options(id=f"{ctx.id}.sms"))
    slack = yield (yield ctx.rfi(send_slack, event).options(id=f"{ctx.id}.slack"))
"""


def seq_with(ids: dict[str, str], first: str = "push") -> str:
    order = [first] + [c for c in ("email", "sms", "slack", "push") if c != first]
    lines = []
    for c in order:
        args = "event, simulate_crash" if c == "push" else "event"
        lines.append(f"    {c} = yield (yield ctx.rfi(send_{c}, {args}).options(id={ids[c]}))")
    return "\n" + "\n".join(lines) + "\n"


def ids(template: str) -> dict[str, str]:
    return {c: template.format(c=c) for c in ("email", "sms", "slack", "push")}


FAN = """
    email_p = yield ctx.rfi(send_email, event).options(id={email})
    sms_p = yield ctx.rfi(send_sms, event).options(id={sms})
    slack_p = yield ctx.rfi(send_slack, event).options(id={slack})
    push_p = yield ctx.rfi(send_push, event, simulate_crash).options(id={push})
    email = yield email_p
    sms = yield sms_p
    slack = yield slack_p
    push = yield push_p
"""


def fan(idmap: dict[str, str], extra_line: str = "") -> str:
    return FAN.format(**idmap) + extra_line


OWN = ids('f"{{ctx.id}}.{c}"')

PUSH_FIRST = [
    Case("the solution's shape", "passed", "", wf("notify_push_first", SEQ_PUSH_FIRST)),
    Case(
        "ids from a helper in the cell",
        "passed",
        "",
        wf(
            "notify_push_first",
            seq_with(ids('bid(ctx, "{c}")')),
            extra='def bid(ctx: Context, channel: str) -> str:\n    return f"{ctx.id}.{channel}"\n',
        ),
    ),
    Case(
        "a loop over the channels, push first",
        "passed",
        "",
        wf(
            "notify_push_first",
            """
    got = {}
    for name, fn, args in (("push", send_push, (event, simulate_crash)), ("email", send_email, (event,)),
                           ("sms", send_sms, (event,)), ("slack", send_slack, (event,))):
        got[name] = yield (yield ctx.rfi(fn, *args).options(id=f"{ctx.id}.{name}"))
    email, sms, slack, push = got["email"], got["sms"], got["slack"], got["push"]
""",
        ),
    ),
    Case(
        "push last, as given",
        "failed",
        "push waits for every channel",
        wf("notify_push_first", seq_with(OWN, first="email")),
    ),
    Case(
        "ids from uuid4()",
        "failed",
        "changed when the same order was replayed",
        wf("notify_push_first", seq_with(ids('f"{{ctx.id}}.{c}-{{uuid.uuid4().hex[:6]}}"'))),
    ),
    Case(
        "ids from time.time_ns()",
        "failed",
        "changed when the same order was replayed",
        wf("notify_push_first", seq_with(ids('f"{{ctx.id}}.{c}.{{time.time_ns()}}"'))),
    ),
    Case(
        "ids with a minute bucket",
        "failed",
        "changed when the same order was replayed",
        wf("notify_push_first", seq_with(ids('f"{{ctx.id}}.{c}.{{int(time.time() // 60)}}"'))),
    ),
    Case(  # time.strftime reads the C library's clock: only a process's moved clock moves it
        "ids with a date from time.strftime, in a helper",
        "failed",
        "changed when the same order was replayed",
        wf(
            "notify_push_first",
            seq_with(ids('f"{{ctx.id}}.{c}.{{stamp()}}"')),
            extra='def stamp() -> str:\n    return time.strftime("%Y%m%d")\n',
        ),
    ),
    Case(
        "fixed ids",
        "failed",
        "another order used the same id",
        wf("notify_push_first", seq_with(ids('"{c}"'))),
    ),
    Case(
        "right, plus a plain send_email",
        "failed",
        "called directly, outside ctx.rfi",
        wf("notify_push_first", SEQ_PUSH_FIRST + "    send_email(ctx, event)\n"),
    ),
    Case(
        "push first by fanning out",
        "failed",
        "one after another",
        wf("notify_push_first", fan(OWN)),
    ),
    Case(
        "a typo",
        "failed",
        "raised NameError: name 'push_pp' is not defined (line",
        wf("notify_push_first", SEQ_PUSH_FIRST + "    push = push_pp\n"),
    ),
    Case(
        "a plain function, not a generator",
        "failed",
        "generator function",
        f"{IMPORTS}\n\ndef notify_push_first(ctx, event, simulate_crash):\n"
        "    return send_push(ctx, event, simulate_crash)\n",
    ),
    Case(
        "a result without results",
        "failed",
        "return the dict notify_all returns",
        wf("notify_push_first", SEQ_PUSH_FIRST, result="    return {'channels_notified': 4}\n"),
    ),
]

FAN_OUT = [
    Case("the solution's shape", "passed", "", wf("notify_fan_out", fan(OWN))),
    Case(  # a lock cannot go to the replay's process: the kernel replays it (names moved)
        "starts guarded by a lock in the notebook",
        "passed",
        "",
        wf(
            "notify_fan_out",
            "    with LOCK:\n        pass\n" + fan(OWN),
            extra="import threading\n\nLOCK = threading.Lock()\n",
        ),
    ),
    Case(  # a cache wrapper travels by name, and the replay's process has no such module
        "ids from a functools.cache helper",
        "passed",
        "",
        wf(
            "notify_fan_out",
            fan(ids('bid(ctx.id, "{c}")')),
            extra="import functools\n\n\n@functools.cache\ndef bid(root: str, channel: str) -> str:"
            '\n    return f"{root}.{channel}"\n',
        ),
    ),
    Case(  # the replay's process has none of the kernel's memory, as another worker
        "random ids remembered in a dict",
        "failed",
        "changed when the same order was replayed",
        wf(
            "notify_fan_out",
            fan(ids('SEEN.setdefault(ctx.id + "{c}", f"{{ctx.id}}.{c}-{{uuid.uuid4().hex[:6]}}")')),
            extra="SEEN: dict[str, str] = {}\n",
        ),
    ),
    Case(
        "sms called directly instead of through ctx.rfi",
        "failed",
        "called directly, outside ctx.rfi",
        wf(
            "notify_fan_out",
            fan(OWN)
            .replace(
                'sms_p = yield ctx.rfi(send_sms, event).options(id=f"{ctx.id}.sms")',
                "sms_p = None",
            )
            .replace("sms = yield sms_p", "sms = send_sms(ctx, event)"),
        ),
    ),
    Case(
        "another fan-in order",
        "passed",
        "",
        wf(
            "notify_fan_out",
            """
    handles = {}
    handles["push"] = yield ctx.rfi(send_push, event, simulate_crash).options(id=f"{ctx.id}.push")
    handles["slack"] = yield ctx.rfi(send_slack, event).options(id=f"{ctx.id}.slack")
    handles["sms"] = yield ctx.rfi(send_sms, event).options(id=f"{ctx.id}.sms")
    handles["email"] = yield ctx.rfi(send_email, event).options(id=f"{ctx.id}.email")
    push = yield handles["push"]
    slack = yield handles["slack"]
    sms = yield handles["sms"]
    email = yield handles["email"]
""",
        ),
    ),
    Case(
        "a loop and yield from a helper",
        "passed",
        "",
        wf(
            "notify_fan_out",
            """
    email, sms, slack, push = yield from fan_in(ctx, event, simulate_crash)
""",
            extra="""def fan_in(ctx, event, simulate_crash):
    started = []
    for name, fn in (("email", send_email), ("sms", send_sms), ("slack", send_slack), ("push", send_push)):
        args = (event, simulate_crash) if name == "push" else (event,)
        started.append((yield ctx.rfi(fn, *args).options(id=f"{ctx.id}.{name}")))
    done = []
    for handle in started:
        done.append((yield handle))
    return done
""",
        ),
    ),
    Case(
        "hashed ids",
        "passed",
        "",
        wf("notify_fan_out", fan(ids('hashlib.sha256(f"{{ctx.id}}/{c}".encode()).hexdigest()'))),
    ),
    Case(
        "sequential, as given",
        "failed",
        "≈ the sum of the channels",
        wf("notify_fan_out", seq_with(OWN, first="email")),
    ),
    Case(
        "sequential, with durations inflated 4×",
        "failed",
        "≈ the sum of the channels",
        wf(
            "notify_fan_out",
            seq_with(OWN, first="email"),
            result="""
    results = [dict(r, duration_ms=r["duration_ms"] * 4) for r in (email, sms, slack, push)]
    return {"order_id": event["order_id"], "channels_notified": 4, "total_ms": 0, "results": results}
""",
        ),
    ),
    Case(
        "fan-out, plus a plain send_sms",
        "failed",
        "called directly, outside ctx.rfi",
        wf("notify_fan_out", fan(OWN, "    send_sms(ctx, event)\n")),
    ),
    Case(
        "random ids",
        "failed",
        "changed when the same order was replayed",
        wf("notify_fan_out", fan(ids('f"{{ctx.id}}.{c}.{{uuid.uuid4()}}"'))),
    ),
    Case(
        "fixed ids",
        "failed",
        "another order used the same id",
        wf("notify_fan_out", fan(ids('"{c}"'))),
    ),
    Case(
        "a retry_policy on rfi",
        "failed",
        "raised TypeError",
        wf(
            "notify_fan_out",
            """
    email_p = yield ctx.rfi(send_email, event).options(id=f"{ctx.id}.email", retry_policy=None)
    email = sms = slack = push = yield email_p
""",
        ),
    ),
    Case(
        "a result without results",
        "failed",
        "return the dict notify_all returns",
        wf("notify_fan_out", fan(OWN), result="    return {'channels_notified': 4}\n"),
    ),
]

BRANCH_IDS = [
    Case("the fix", "passed", "", wf("notify_bug_hunt", fan(OWN))),
    Case(
        "the fix, results in another order",
        "passed",
        "",
        wf(
            "notify_bug_hunt",
            fan(OWN),
            result="""
    results = [push, email, sms, slack]
    return {"order_id": event["order_id"], "channels_notified": 4, "total_ms": 0, "results": results}
""",
        ),
    ),
    Case(
        "a loop starting with push",
        "passed",
        "",
        wf(
            "notify_bug_hunt",
            """
    handles = []
    for name, fn in (("push", send_push), ("email", send_email), ("sms", send_sms), ("slack", send_slack)):
        args = (event, simulate_crash) if name == "push" else (event,)
        handles.append((yield ctx.rfi(fn, *args).options(id=f"{ctx.id}.{name}")))
    done = []
    for h in handles:
        done.append((yield h))
    push, email, sms, slack = done
""",
        ),
    ),
    Case(
        "hashed ids",
        "passed",
        "",
        wf("notify_bug_hunt", fan(ids('hashlib.md5(f"{{ctx.id}}:{c}".encode()).hexdigest()'))),
    ),
    Case(
        "the bug, as given",
        "failed",
        "push 0×",
        wf("notify_bug_hunt", fan({**OWN, "push": 'f"{ctx.id}.slack"'})),
    ),
    Case(
        "the fix, plus a plain send_push",
        "failed",
        "called directly, outside ctx.rfi",
        wf("notify_bug_hunt", fan(OWN, "    send_push(ctx, event, False)\n")),
    ),
    Case(
        "push given a random id",
        "failed",
        "changed when the same order was replayed",
        wf("notify_bug_hunt", fan({**OWN, "push": 'f"{ctx.id}.push-{uuid.uuid4().hex[:6]}"'})),
    ),
    Case(
        "ids with today's date",
        "failed",
        "changed when the same order was replayed",
        wf("notify_bug_hunt", fan(ids('f"{{ctx.id}}.{c}.{{datetime.date.today()}}"'))),
    ),
    Case(  # a clock imported inside the function is not in the cell's namespace
        "ids with a date from a clock imported inside the workflow",
        "failed",
        "changed when the same order was replayed",
        wf(
            "notify_bug_hunt",
            "    from datetime import date\n" + fan(ids('f"{{ctx.id}}.{c}.{{date.today()}}"')),
        ),
    ),
    Case(
        "a typo",
        "failed",
        "raised NameError",
        wf("notify_bug_hunt", fan(OWN, "    push = pushh\n")),
    ),
]

SMS = """from __future__ import annotations

import datetime
import hashlib
import time
import uuid
from typing import Any

from resonate import Context

from lab.checks.gateway import sms_gateway
"""


def sms(key: str, extra: str = "") -> str:
    return (
        f"{SMS}\n{extra}\n\ndef send_sms(ctx: Context, event: dict[str, Any]) -> dict[str, Any]:\n"
        f"    return sms_gateway.send(event, idempotency_key={key})\n"
    )


IDEMPOTENCY_KEY = [
    Case("ctx.id", "passed", "", sms("ctx.id")),
    Case("uuid5 of ctx.id", "passed", "", sms("str(uuid.uuid5(uuid.NAMESPACE_URL, ctx.id))")),
    Case("sha256 of ctx.id", "passed", "", sms("hashlib.sha256(ctx.id.encode()).hexdigest()")),
    Case(
        "a helper and a constant in the cell",
        "passed",
        "",
        sms(
            "key_for(ctx)",
            extra='PREFIX = "sms-v1"\n\n\ndef key_for(ctx: Context) -> str:\n    return f"{PREFIX}:{ctx.id}"\n',
        ),
    ),
    Case("no key, as given", "failed", "no key was sent", sms("None")),
    Case("a fresh uuid4 per attempt", "failed", "the customer got", sms("str(uuid.uuid4())")),
    Case(
        "ctx.id and the attempt number",
        "failed",
        "the customer got",
        sms('f"{ctx.id}#{ctx.info.attempt}"'),
    ),
    Case(
        "ctx.id and today's date",
        "failed",
        "the customer got",
        sms('f"{ctx.id}@{datetime.date.today()}"'),
    ),
    Case(
        "ctx.id and a minute bucket",
        "failed",
        "the customer got",
        sms('f"{ctx.id}@{int(time.time() // 60)}"'),
    ),
    Case(
        "ctx.id and a date from time.strftime",
        "failed",
        "the customer got",
        sms("ctx.id + time.strftime('@%Y%m%d')"),
    ),
    Case(
        "one key for every order", "failed", "another order's SMS sent the same key", sms('"sms"')
    ),
    Case(
        "a typo in a helper",
        "failed",
        "raised NameError",
        sms(
            "key_for(ctx)",
            extra="def key_for(ctx: Context) -> str:\n    return PREFIXX + ctx.id\n",
        ),
    ),
]

SUBMIT = """from __future__ import annotations

import datetime
import hashlib
import json
import time
import uuid
from typing import Any

from resonate import Resonate
"""


def submit(workflow_id: str, extra: str = "") -> str:
    return (
        f"{SUBMIT}\n{extra}\n\ndef submit(resonate: Resonate, event: dict[str, Any]) -> Any:\n"
        f'    return resonate.begin_rpc({workflow_id}, "notify_all", event, False)\n'
    )


REDELIVERY = [
    Case("the order id", "passed", "", submit("f\"notify/{event['order_id']}\"")),
    Case(
        "a hash of the event",
        "passed",
        "",
        submit('f"notify/{hashlib.sha1(json.dumps(event, sort_keys=True).encode()).hexdigest()}"'),
    ),
    Case("a random id, as given", "failed", "started notify/", submit('f"notify/{uuid.uuid4()}"')),
    Case(
        "the order id and today's date",
        "failed",
        "started notify/",
        submit("f\"notify/{event['order_id']}-{datetime.date.today()}\""),
    ),
    Case(
        "the order id and a minute bucket",
        "failed",
        "started notify/",
        submit("f\"notify/{event['order_id']}-{int(time.time() // 60)}\""),
    ),
    Case(
        "the order id and a date from time.strftime",
        "failed",
        "started notify/",
        submit("f\"notify/{event['order_id']}\" + time.strftime('-%Y%m%d')"),
    ),
    Case(
        "a random id, remembered in a dict",
        "failed",
        "started notify/",
        f"""{SUBMIT}
SEEN: dict[str, str] = {{}}


def submit(resonate: Resonate, event: dict[str, Any]) -> Any:
    workflow_id = SEEN.setdefault(event["order_id"], f"notify/{{uuid.uuid4()}}")
    return resonate.begin_rpc(workflow_id, "notify_all", event, False)
""",
    ),
    Case(
        "one id per customer",
        "failed",
        "another order from the same customer",
        submit("f\"notify/{event['user_id']}\""),
    ),
    Case("a typo", "failed", "raised NameError", submit("f\"notify/{evnt['order_id']}\"")),
]

FB_IMPORTS = """from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any

from resonate import Context
from resonate.errors import ResonateTimedoutError

from channels import send_email, send_push, send_slack, send_sms
from exercises.deadlines import DEADLINE_S, missed
"""

FB_START = """
    email_p = yield ctx.rfi(send_email, event).options(id=f"{ctx.id}.email", timeout=DEADLINE_S)
    sms_p = yield ctx.rfi(send_sms, event).options(id=f"{ctx.id}.sms", timeout=DEADLINE_S)
    slack_p = yield ctx.rfi(send_slack, event).options(id=f"{ctx.id}.slack", timeout=DEADLINE_S)
    push_p = yield ctx.rfi(send_push, event, simulate_crash).options(
        id=f"{ctx.id}.push", timeout=DEADLINE_S
    )
    email = yield email_p
    sms = yield sms_p
    slack = yield slack_p
"""

FB_CATCH = """
    try:
        push = yield push_p
    except Exception as e:
        push = missed("push", str(e))
"""

FB_THEN = """    if not push["success"]:
        push = yield (yield ctx.rfi(send_sms, event).options(id=ID))
"""

FB_HELPER = """def push_or_sms(ctx, event, handle):
    try:
        return (yield handle)
    except Exception:
        key = hashlib.sha256(f"{ctx.id}/fallback".encode()).hexdigest()[:12]
        return (yield (yield ctx.rfi(send_sms, event).options(id=f"fb-{key}")))"""

FB_LOOP = """
    handles = {}
    for channel, fn, args in (
        ("email", send_email, (event,)),
        ("sms", send_sms, (event,)),
        ("slack", send_slack, (event,)),
        ("push", send_push, (event, simulate_crash)),
    ):
        handles[channel] = yield ctx.rfi(fn, *args).options(
            id=f"{ctx.id}.{channel}", timeout=DEADLINE_S
        )
    got = []
    for channel, handle in handles.items():
        try:
            got.append((yield handle))
        except Exception:
            if channel != "push":
                raise
            instead = yield ctx.rfi(send_sms, event).options(id=f"{ctx.id}.sms-instead-of-push")
            got.append((yield instead))
    email, sms, slack, push = got
"""


def fb(body: str, *, extra: str = "", start: str = FB_START) -> str:
    return f"{FB_IMPORTS}\n{extra}\n\ndef notify_with_fallback{SIGNATURE}\n{start}{body}{RESULT}"


def fb_then(fallback_id: str) -> str:
    return fb(FB_CATCH + FB_THEN.replace("ID", fallback_id))


def fb_push(options: str) -> str:
    """The right answer, with push's options written as ``options``."""
    return fb(
        FB_CATCH + FB_THEN.replace("ID", 'f"{ctx.id}.push-fallback"'),
        start=FB_START.replace('id=f"{ctx.id}.push", timeout=DEADLINE_S', options),
    )


FALLBACK = [
    Case("catch everything, then the fallback", "passed", "", fb_then('f"{ctx.id}.push-fallback"')),
    Case(
        "the fallback inside the except clause, two exception types",
        "passed",
        "",
        fb(
            """    try:
        push = yield push_p
    except (ResonateTimedoutError, RuntimeError):
        handle = yield ctx.rfi(send_sms, event).options(id=ctx.id + ":fallback")
        push = yield handle
"""
        ),
    ),
    Case(
        "a helper generator and a hashed id",
        "passed",
        "",
        fb("    push = yield from push_or_sms(ctx, event, push_p)\n", extra=FB_HELPER),
    ),
    Case("a loop over the handles", "passed", "", fb("", start=FB_LOOP)),
    Case(
        "only the timeout is caught",
        "failed",
        "the SDK gave up (no retry fits)",
        fb(
            """    try:
        push = yield push_p
    except ResonateTimedoutError:
        push = yield (yield ctx.rfi(send_sms, event).options(id=f"{ctx.id}.push-fallback"))
"""
        ),
    ),
    Case(
        "the fallback every time",
        "failed",
        "although push was delivered",
        fb(
            FB_CATCH
            + '    sent = yield (yield ctx.rfi(send_sms, event).options(id=f"{ctx.id}.push-fallback"))\n'
            + '    push = push if push["success"] else sent\n'
        ),
    ),
    Case("the SMS branch's id", "failed", "no fallback SMS was sent", fb_then('f"{ctx.id}.sms"')),
    Case(
        "a random id for the fallback",
        "failed",
        "replayed a day later",
        fb_then('f"{ctx.id}.{uuid.uuid4()}"'),
    ),
    Case(  # the SMS may land before or after the order ends: either way, said as not waited for
        "started, never waited for",
        "failed",
        "yield the fallback's handle and count its result in push's place",
        fb(
            FB_CATCH
            + """    if not push["success"]:
        yield ctx.rfi(send_sms, event).options(id=f"{ctx.id}.push-fallback")
"""
        ),
    ),
    Case(
        "waited for, not counted",
        "failed",
        "yield the fallback's handle and count its result",
        fb(
            FB_CATCH
            + """    if not push["success"]:
        yield (yield ctx.rfi(send_sms, event).options(id=f"{ctx.id}.push-fallback"))
"""
        ),
    ),
    Case(
        "a plain call",
        "failed",
        "called directly",
        fb(FB_CATCH + '    if not push["success"]:\n        push = send_sms(ctx, event)\n'),
    ),
    Case(
        "a longer deadline for push",
        "failed",
        "keep it at DEADLINE_S",
        fb_push('id=f"{ctx.id}.push", timeout=3'),
    ),
    Case(
        "a shorter deadline for push",
        "failed",
        "keep it at DEADLINE_S",
        fb_push('id=f"{ctx.id}.push", timeout=1'),
    ),
    Case(
        "push tried again, briefly, before the fallback",
        "failed",
        "push ran under 2 ids",
        fb(
            FB_CATCH
            + """    if not push["success"]:
        again = yield ctx.rfi(send_push, event, False).options(id=f"{ctx.id}.push-again", timeout=0.5)
        try:
            push = yield again
        except Exception:
            push = yield (yield ctx.rfi(send_sms, event).options(id=f"{ctx.id}.push-fallback"))
"""
        ),
    ),
    Case(
        "push waited for before the others start",
        "failed",
        "started only after push's deadline",
        fb(
            "",
            start="""
    push_p = yield ctx.rfi(send_push, event, simulate_crash).options(
        id=f"{ctx.id}.push", timeout=DEADLINE_S
    )
"""
            + FB_CATCH
            + FB_THEN.replace("ID", 'f"{ctx.id}.push-fallback"')
            + """    email = yield (yield ctx.rfi(send_email, event).options(id=f"{ctx.id}.email", timeout=DEADLINE_S))
    sms = yield (yield ctx.rfi(send_sms, event).options(id=f"{ctx.id}.sms", timeout=DEADLINE_S))
    slack = yield (yield ctx.rfi(send_slack, event).options(id=f"{ctx.id}.slack", timeout=DEADLINE_S))
""",
        ),
    ),
    Case(
        "no deadline on push",
        "failed",
        "does every branch have its deadline",
        fb_push('id=f"{ctx.id}.push"'),
    ),
]

CORPUS = {
    "push_first": PUSH_FIRST,
    "fan_out": FAN_OUT,
    "branch_ids": BRANCH_IDS,
    "idempotency_key": IDEMPOTENCY_KEY,
    "redelivery": REDELIVERY,
    "fallback": FALLBACK,
}
