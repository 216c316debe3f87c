"""Markdown building blocks every report section uses: GitHub tables and collapsible details."""

from __future__ import annotations


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A GitHub table from cells that are already escaped."""
    from tabulate import tabulate

    return str(tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True))


def details(summary: str, body: str, *, collapse: bool) -> str:
    if not collapse:
        return f"**{summary}**\n\n{body}\n"
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>\n"
