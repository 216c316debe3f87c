"""Building blocks every rendering uses: GitHub tables, terminal tables, collapsible details."""

from __future__ import annotations

from collections.abc import Sequence


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub table from cells that are already escaped."""
    from tabulate import tabulate

    return str(tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True))


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table for a terminal, from cells that are already made safe to show."""
    from tabulate import tabulate

    return str(tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True))


def details(summary: str, body: str, *, collapse: bool) -> str:
    if not collapse:
        return f"**{summary}**\n\n{body}\n"
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>\n"
