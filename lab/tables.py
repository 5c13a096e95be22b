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
    return (
        f"<table class='lab-table'>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
