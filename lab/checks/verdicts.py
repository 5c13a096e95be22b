"""The verdict machinery every exercise shares (learntools' core; the exercises are in ``exercises/``).

``check()`` finds the learner's function in the notebook by name, runs it for real
under the exercise's scenario (``exercises/<name>/check.py``) and judges what
happened — the harness's own clock, the durable promises, every call that reached
a channel or the gateway — never what the workflow says about itself, never the
spelling of the code. Its first line is exactly ``<name>: passed ✓``,
``<name>: not yet ✗`` or ``<name>: not attempted yet``; then one ✓/✗ line per
criterion, with the measured figure and, on ✗, the true reason. If the learner's
code raises — in the kernel, in a worker process, in a branch — the verdict says
so in one line, with the line of their cell, within seconds.
"""

from __future__ import annotations

import ast
import linecache
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, FunctionType
from typing import Any

from lab.checks.practice_cells import did_not_run, listen
from lab.errors import Interrupted, Refused
from lab.paths import PROJECT

FOLDER = PROJECT / "exercises"
listen()  # how each practice cell ended (lab.checks.practice_cells)


@dataclass(frozen=True)
class Criterion:
    ok: bool
    text: str  # what was measured, and on ✗ why

    def __str__(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.text}"


@dataclass
class Verdict:
    exercise: str
    status: str  # "not attempted" | "passed" | "failed"
    criteria: list[Criterion] = field(default_factory=list)
    run: Any = None  # what the scenario ran: a Run, or the exercise's own record
    as_given: bool = False  # the practice code, untouched

    @property
    def passed(self) -> bool | None:
        return None if self.status == "not attempted" else self.status == "passed"

    def failing(self) -> list[str]:
        return [c.text for c in self.criteria if not c.ok]

    def __str__(self) -> str:
        if self.status == "not attempted":
            return f"{self.exercise}: not attempted yet"
        lines = [
            f"{self.exercise}: {'passed ✓' if self.status == 'passed' else 'not yet ✗'}",
            *(f"  {c}" for c in self.criteria),
        ]
        if self.as_given:
            lines.append(
                "  (this is the practice code as given: edit it, run its cell, then check again)"
            )
        elif self.status == "failed":
            lines.append(f"  stuck? {self.exercise}.hint()")
        return "\n".join(lines)

    def _ipython_display_(self) -> None:
        """A check cell shows the verdict ``check()`` printed, and no repr after it."""


class LearnerError(Exception):
    """The learner's code failed: the verdict is this one line."""


@dataclass(frozen=True)
class Answer:
    """The learner's function and the whole cell it was written in."""

    fn: Callable[..., Any]

    @property
    def name(self) -> str:
        return self.fn.__name__

    @property
    def cell(self) -> str:
        """Every line of the cell (or file) that defined the function, helpers included."""
        code = getattr(self.fn, "__code__", None)
        lines = linecache.getlines(code.co_filename) if code else []
        return "".join(lines) or source_of(self.fn)

    def codes(self) -> tuple[CodeType, ...]:
        """The code objects of every function the cell defined, nested ones included."""
        filename = self.fn.__code__.co_filename
        found, todo = (
            [],
            [
                v.__code__
                for v in self.fn.__globals__.values()
                if isinstance(v, FunctionType) and v.__code__.co_filename == filename
            ],
        )
        while todo:
            code = todo.pop()
            if code not in found:
                found.append(code)
                todo += [c for c in code.co_consts if isinstance(c, CodeType)]
        return tuple(found)

    def raised(self, e: BaseException, what: str = "your workflow", line: int | None = None) -> str:
        """``your workflow raised NameError: name 'x' is not defined (line 11)``."""
        code = getattr(self.fn, "__code__", None)
        frames = traceback.extract_tb(e.__traceback__)
        mine = [f.lineno for f in frames if code is not None and f.filename == code.co_filename]
        line = mine[-1] if mine else line
        where = f" (line {line})" if line else ""
        return f"{what} raised {type(e).__name__}: {str(e)[:160]}{where}"


def source_of(fn: Callable[..., Any]) -> str:
    import inspect

    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        return ""


def function_source(path: Path, name: str) -> str:
    source = path.read_text()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return ast.get_source_segment(source, node) or ""
    return ""


def _normal(source: str) -> str:
    """Source without comments, docstrings or layout: is this the practice code, untouched?"""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(getattr(body[0], "value", None), ast.Constant)
        ):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def from_notebook(name: str) -> Callable[..., Any] | None:
    fn = getattr(sys.modules.get("__main__"), name, None)
    return fn if callable(fn) else None


class Exercise:
    """One exercise: its folder, how to run the learner's code, how to judge what happened."""

    name: str = ""
    lesson: str = ""
    function: str = ""  # the name the learner's function has in the practice cell
    hints: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.folder = FOLDER / self.name
        self._hints_given = 0
        self.last: Verdict | None = None  # the latest check's verdict, with what it ran

    def __repr__(self) -> str:
        return f"<exercise {self.name} (lesson {self.lesson}): define {self.function}, then {self.name}.check()>"

    def check(
        self, fn: Callable[..., Any] | None = None, *, live: bool = True, quiet: bool = False
    ) -> Verdict:
        """Run the learner's function for real, judge what happened, print the verdict."""
        stopped = "" if fn is not None else did_not_run(self.function)
        fn = fn if fn is not None else from_notebook(self.function)
        if stopped:  # the kernel holds an earlier definition, or none: judge neither
            held = "an earlier" if fn is not None else "no"
            return self._verdict(
                [
                    Criterion(
                        False,
                        f"your practice cell did not run: {stopped}; the kernel holds "
                        f"{held} {self.function}. Fix the cell, run it, then check again",
                    )
                ],
                None,
                quiet=quiet,
            )
        if fn is None:
            verdict = self.last = Verdict(self.name, "not attempted")
            self._emit("check", "not attempted")
            if not quiet:
                print(
                    f"{self.name}: not attempted yet — run the practice cell that defines "
                    f"{self.function}, then check again."
                )
            return verdict
        answer, ran = Answer(fn), None
        try:
            ran = self.scenario(answer, live=live and not quiet)
            criteria = self.judge(ran, answer)
        except (LearnerError, Refused) as e:
            criteria = [Criterion(False, str(e))]
        except KeyboardInterrupt:
            self._emit("check", "error", criterion="interrupted")
            msg = f"the check of {self.name} stopped before its verdict; run {self.name}.check() again"
            raise Interrupted(msg) from None
        except BaseException as e:
            self._emit("check", "error", criterion=f"{type(e).__name__}: {e}")
            raise
        verdict = self._verdict(criteria, ran, quiet=True)
        verdict.as_given = _normal(source_of(fn)) == _normal(self.practice_source())
        if not quiet:
            print(verdict)
        return verdict

    def _verdict(self, criteria: list[Criterion], ran: Any, *, quiet: bool) -> Verdict:
        """The verdict, kept as ``last``, sent as an event, printed unless ``quiet``."""
        verdict = self.last = Verdict(
            self.name, "passed" if all(c.ok for c in criteria) else "failed", criteria, ran
        )
        failing = verdict.failing()
        self._emit("check", self._standing(), criterion=failing[0] if failing else "")
        if not quiet:
            print(verdict)
        return verdict

    def _emit(self, action: str, outcome: str, **more: Any) -> None:
        """The event for this check, hint or solution (``lab.checks.progress``)."""
        from lab.checks.progress import emit

        emit(self.name, "exercise", action, outcome, lesson=self.lesson, **more)

    def _standing(self) -> str:
        return (
            "not attempted"
            if self.last is None or self.last.passed is None
            else ("passed" if self.last.passed else "not yet")
        )

    def hint(self) -> None:
        """The next hint (they get more specific), then the first again."""
        n = self._hints_given % len(self.hints)
        self._hints_given += 1
        print(f"Hint {n + 1} of {len(self.hints)}: {self.hints[n]}")
        self._emit("hint", self._standing(), hint=n + 1)

    def solution(self) -> Any:
        """The solution file, as code."""
        from IPython.display import Code

        self._emit("solution", self._standing())
        return Code(
            f"# exercises/{self.name}/solution.py\n" + (self.folder / "solution.py").read_text(),
            language="python",
        )

    def practice_source(self) -> str:
        return function_source(self.folder / "practice.py", self.function)

    def load(self, which: str) -> Callable[..., Any]:
        """The function from ``practice.py`` or ``solution.py`` (tests, ``python -m lab.checks.exercises``)."""
        return load_file(
            self.folder / f"{which}.py", f"exercises.{self.name}.{which}", self.function
        )

    def scenario(self, answer: Answer, *, live: bool) -> Any:
        raise NotImplementedError

    def judge(self, ran: Any, answer: Answer) -> list[Criterion]:
        raise NotImplementedError


def load_file(path: Path, module_name: str, name: str) -> Callable[..., Any]:
    """``name`` from the Python file at ``path``, loaded as ``module_name``."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # inspect.getsource finds it there
    spec.loader.exec_module(module)
    return getattr(module, name)
