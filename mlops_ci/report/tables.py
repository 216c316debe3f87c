"""Building blocks every rendering uses: GitHub tables, terminal tables, collapsible details."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from mlops_ci.report.escape import escape_html, escape_markdown


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub table from cells that are already escaped."""
    from tabulate import tabulate

    return str(tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True))


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table for a terminal, from cells that are already made safe to show.

    tabulate's ``simple`` layout (left-aligned, two spaces between columns, a column at least
    two wider than its header), written here: a command that prints only this table, such as
    ``registry show``, then starts without importing tabulate. Wide (East Asian) characters
    count two columns, as a terminal shows them.
    """
    widths = [_width(header) + 2 for header in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], _width(cell))
    lines = [
        _line(headers, widths),
        "  ".join("-" * width for width in widths),
        *(_line(row, widths) for row in rows),
    ]
    return "\n".join(lines)


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    pairs = zip(cells, widths, strict=True)
    padded = (cell + " " * (width - _width(cell)) for cell, width in pairs)
    return "  ".join(padded).rstrip()


def _width(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def details(summary: str, body: str, *, collapse: bool) -> str:
    """``body`` under the plain-text ``summary``: collapsed in ``<details>``, or after it in bold.

    ``summary`` is escaped here, for where it lands: the ``<details>`` line is an HTML block,
    where only HTML escaping applies; the bold line is Markdown.
    """
    if not collapse:
        return f"**{escape_markdown(summary)}**\n\n{body}\n"
    return f"<details><summary>{escape_html(summary)}</summary>\n\n{body}\n\n</details>\n"
