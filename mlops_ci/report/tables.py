"""Building blocks every rendering uses: GitHub tables, terminal tables, collapsible details."""

from __future__ import annotations

from collections.abc import Sequence

from mlops_ci.report.escape import escape_html, escape_markdown


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub table from cells that are already escaped."""
    from tabulate import tabulate

    return str(tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True))


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table for a terminal, from cells that are already made safe to show."""
    from tabulate import tabulate

    return str(tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True))


def details(summary: str, body: str, *, collapse: bool) -> str:
    """``body`` under the plain-text ``summary``: collapsed in ``<details>``, or after it in bold.

    ``summary`` is escaped here, for where it lands: the ``<details>`` line is an HTML block,
    where only HTML escaping applies; the bold line is Markdown.
    """
    if not collapse:
        return f"**{escape_markdown(summary)}**\n\n{body}\n"
    return f"<details><summary>{escape_html(summary)}</summary>\n\n{body}\n\n</details>\n"
