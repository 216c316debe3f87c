"""Pure renderers: drift and validation results as plain text for a terminal or a job log.

What ``mlops-ci data drift`` and ``mlops-ci data validate`` print. The markdown renderers
(``data.markdown``) escape for GitHub, and ``&lt;b&gt;`` or ``a\\|b`` is noise to a person
at a terminal, so here names and values from the data are shown as they are, except what
``report.terminal`` changes: control characters and ANSI escapes become visible
``\\x1b``-style text, and nothing is left that the Actions runner would obey as a workflow
command. Each value is made safe before it goes into a table (so columns stay aligned), and
the whole text once more, in case two values meet. Same content and order as the markdown;
numbers, verdicts and titles from ``data.figures``; tables in tabulate's ``simple`` format.
"""

from __future__ import annotations

import dataclasses

from mlops_ci.data.chart import histogram_lines
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
from mlops_ci.data.results import DriftResult, Histogram, ValidationResult
from mlops_ci.report.terminal import defuse_workflow_commands, shown

_CHART_INDENT = "    "


def _table(headers: list[str], rows: list[list[str]]) -> str:
    from tabulate import tabulate

    return str(tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True))


def _chart(histogram: Histogram) -> list[str]:
    labels = tuple(shown(label) for label in histogram.labels)
    lines = histogram_lines(dataclasses.replace(histogram, labels=labels))
    return [_CHART_INDENT + line for line in lines]


def render_drift_text(result: DriftResult) -> str:
    """The drift result: the verdict, a table of every column, notes, charts of drifted ones."""
    lines = [
        f"Data drift: {drift_title(result)}",
        *drift_summary(result, shown),
    ]
    ordered = columns_worst_first(result)
    lines += ["", _table(DRIFT_HEADERS, drift_rows(ordered, result, shown))]
    notes = [f"  - {note}" for note in drift_notes(ordered, result, shown)]
    if notes:
        lines += ["", "Notes:", *notes]
    for column in ordered:
        if column.drifted and column.histogram is not None:
            lines += [
                "",
                f"Chart of {shown(column.column)}: {chart_caption(column)}",
                *_chart(column.histogram),
            ]
    return defuse_workflow_commands("\n".join(lines) + "\n")


def render_validation_text(result: ValidationResult) -> str:
    """The validation result: a title line, the counts, one table row per finding."""
    lines = [
        f"Data validation: {shown(result.file)}: {validation_title(result)}",
        f"{result.rows:,} rows, {len(result.columns):,} columns.",
    ]
    if result.findings:
        lines += ["", _table(FINDING_HEADERS, finding_rows(result, shown))]
    return defuse_workflow_commands("\n".join(lines) + "\n")
