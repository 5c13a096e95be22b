"""Whether the practice cell that defines an exercise's function last ran to its end.

A practice cell with a missing colon raises ``SyntaxError`` before any of it runs,
so the kernel keeps the *earlier* definition; a check would then judge that earlier
answer, with its old error, and the learner would fix the wrong thing. IPython tells
every ``post_run_cell`` listener how each cell ended; this module keeps, for each
function name a cell defines (``def name(`` or ``async def name(``), how the latest
such cell ended, so ``Exercise.check`` can say "your practice cell did not run"
with its error and line instead.
"""

from __future__ import annotations

import re
import traceback
from typing import Any

_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(\w+)\s*\(", re.MULTILINE)
_ended: dict[str, str] = {}  # function name -> "" (ran to its end) or what stopped the cell


def _where(e: BaseException) -> str:
    if isinstance(e, SyntaxError):
        return f" (line {e.lineno})" if e.lineno else ""
    cell = [f.lineno for f in traceback.extract_tb(e.__traceback__) if f.name == "<module>"]
    return f" (line {cell[-1]})" if cell else ""


def _remember(result: Any) -> None:
    error = result.error_before_exec or result.error_in_exec
    said = error.msg if isinstance(error, SyntaxError) else str(error)  # not "(file, line 3)" too
    stopped = f"{type(error).__name__}: {said[:160]}{_where(error)}" if error else ""
    for name in _DEF.findall(result.info.raw_cell or ""):
        _ended[name] = stopped


def listen() -> None:
    """Start listening to this kernel's cells (once; nothing outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and _remember not in shell.events.callbacks["post_run_cell"]:
        shell.events.register("post_run_cell", _remember)


def did_not_run(name: str) -> str:
    """What stopped the latest cell that defines ``name``; "" if it ran or none was seen."""
    return _ended.get(name, "")
