"""A ``ValidationResult`` rendered twice, side by side: GitHub markdown and plain terminal text.

``render_validation_markdown`` (PR comments, job summaries, the monitoring issue) escapes every
column name, message and example with ``escape_markdown``; ``render_validation_text`` (what
``mlops-ci data validate`` and ``mlops-ci monitor`` print) shows them as they are, through
``report.terminal.shown``, and defuses workflow commands in the whole text once more. Both
have the same title, counts and one table row per finding (``report.data_figures``).
"""

from __future__ import annotations

from mlops_ci.data.results import ValidationResult
from mlops_ci.report.data_figures import FINDING_HEADERS, finding_rows, validation_title
from mlops_ci.report.escape import escape_markdown
from mlops_ci.report.tables import table, text_table
from mlops_ci.report.terminal import defuse_workflow_commands, shown


def render_validation_markdown(result: ValidationResult) -> str:
    """The validation result as a heading and one table row per finding."""
    lines = [
        f"### Data validation: {escape_markdown(result.file)}: {validation_title(result)}",
        "",
        f"{result.rows:,} rows, {len(result.columns):,} columns.",
    ]
    if result.findings:
        lines += ["", table(FINDING_HEADERS, finding_rows(result, escape_markdown))]
    return "\n".join(lines) + "\n"


def render_validation_text(result: ValidationResult) -> str:
    """The validation result: a title line, the counts, one table row per finding."""
    lines = [
        f"Data validation: {shown(result.file)}: {validation_title(result)}",
        f"{result.rows:,} rows, {len(result.columns):,} columns.",
    ]
    if result.findings:
        lines += ["", text_table(FINDING_HEADERS, finding_rows(result, shown))]
    return defuse_workflow_commands("\n".join(lines) + "\n")
