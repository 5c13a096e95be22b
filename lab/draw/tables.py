"""A tiny HTML table, so lessons show results without pulling in pandas."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape


def html_table(headers: Sequence[str], rows: Iterable[Sequence[object]], caption: str = "") -> str:
    head = "".join(
        f"<th style='text-align:left;padding:2px 10px'>{escape(str(h))}</th>" for h in headers
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td style='text-align:left;padding:2px 10px'>{escape(str(c))}</td>" for c in row
        )
        + "</tr>"
        for row in rows
    )
    cap = (
        f"<caption style='text-align:left;font-weight:bold'>{escape(caption)}</caption>"
        if caption
        else ""
    )
    # A table wider than the notebook scrolls in a box of its own, which a keyboard can reach
    # (tabindex) and a screen reader can name, instead of making JupyterLab's output scroll.
    label = escape(caption or "table", quote=True)
    return (
        f"<div class='lab-table-box' tabindex='0' role='region' aria-label='{label}' "
        "style='overflow-x:auto;max-width:100%'>"
        f"<table class='lab-table'>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        "</div>"
    )
