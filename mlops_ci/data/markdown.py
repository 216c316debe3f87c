"""Pure renderers: drift and validation results as compact GitHub markdown.

For PR comments, job summaries and issues; the terminal gets ``data.text`` instead, where
this escaping would show up as ``&lt;`` and backslashes. Every name and value that came from
the data goes through ``report.escape.escape_markdown`` (table cells, notes) or
``report.escape.code_block`` (charts), so a hostile column name renders as inert text.
Tables are built with tabulate (``github`` format, numbers left as already-formatted
strings). Numbers, verdicts and titles read as in ``data.figures``.
"""

from __future__ import annotations

from mlops_ci.data.chart import render_histogram
from mlops_ci.data.figures import (
    DRIFT_HEADERS,
    FINDING_HEADERS,
    chart_caption,
    columns_worst_first,
    drift_notes,
    drift_rows,
    drift_summary,
    drift_title,
    finding_rows,
    validation_title,
)
from mlops_ci.data.results import DriftResult, ValidationResult
from mlops_ci.report.escape import escape_markdown


def _table(headers: list[str], rows: list[list[str]]) -> str:
    from tabulate import tabulate

    return str(tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True))


def render_drift_markdown(result: DriftResult, *, max_rows: int | None = None) -> str:
    """The drift result as a heading, the verdict, a table, notes and charts of drifted columns."""
    lines = [
        f"### Data drift: {drift_title(result)}",
        "",
        *drift_summary(result, escape_markdown),
    ]
    ordered = columns_worst_first(result)
    shown = ordered if max_rows is None else ordered[:max_rows]
    lines += ["", _table(DRIFT_HEADERS, drift_rows(shown, result, escape_markdown))]
    if len(ordered) > len(shown):
        lines.append(f"\n…and {len(ordered) - len(shown):,} more columns without drift.")
    notes = [f"- {note}" for note in drift_notes(shown, result, escape_markdown)]
    if notes:
        lines += ["", *notes]
    for column in shown:
        if column.drifted and column.histogram is not None:
            lines += [
                "",
                f"**{escape_markdown(column.column)}**: {chart_caption(column)}",
                "",
                render_histogram(column.histogram),
            ]
    return "\n".join(lines) + "\n"


def render_validation_markdown(result: ValidationResult) -> str:
    """The validation result as a heading and one table row per finding."""
    lines = [
        f"### Data validation: {escape_markdown(result.file)}: {validation_title(result)}",
        "",
        f"{result.rows:,} rows, {len(result.columns):,} columns.",
    ]
    if result.findings:
        lines += ["", _table(FINDING_HEADERS, finding_rows(result, escape_markdown))]
    return "\n".join(lines) + "\n"
