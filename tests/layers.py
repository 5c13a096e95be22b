"""The layering of ``lab/``, read off the code: each package may import only those below it.

Bottom to top, as ``docs/architecture.md`` draws it. ``lab/__init__.py`` is the face a
lesson imports from; it loads names on first use and belongs to no layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

LAYERS = (
    "errors",
    "paths",
    "draw",
    "servers",
    "orders",
    "checks",
    "clusters",
    "course",
    "lessons",
    "widgets",
)
MAX_LINES = 300


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "lab" and len(parts) > 1 and parts[1] in LAYERS else None


def _imports(tree: ast.AST) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.module, node.lineno))
            if node.module == "lab":  # from lab import draw
                found += [(f"lab.{alias.name}", node.lineno) for alias in node.names]
    return found


def upward_imports(root: Path) -> list[str]:
    """``file:line imports module`` for every import of a higher layer (TYPE_CHECKING ones too)."""
    bad = []
    for path in sorted((root / "lab").rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        mine = _layer(".".join(parts))
        if mine is None:
            continue
        for module, line in _imports(ast.parse(path.read_text())):
            theirs = _layer(module)
            if theirs is not None and LAYERS.index(theirs) > LAYERS.index(mine):
                bad.append(f"{path.relative_to(root)}:{line} imports {module}")
    return bad


def long_modules(root: Path) -> list[str]:
    """Modules of ``lab/`` over ``MAX_LINES`` lines."""
    return [
        f"{path.relative_to(root)}: {n} lines"
        for path in sorted((root / "lab").rglob("*.py"))
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    ]
