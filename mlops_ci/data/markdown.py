"""Pure renderers: drift and validation results as compact GitHub markdown.

Every name and value that came from the data goes through ``report.escape.escape_markdown``
(table cells, notes) or ``report.escape.code_block`` (charts), so a hostile column name
renders as inert text. Tables are built with tabulate (``github`` format, numbers left as
already-formatted strings).
"""

from __future__ import annotations

import math

from mlops_ci.data.chart import render_histogram
from mlops_ci.data.results import (
    P_VALUE_METHODS,
    ColumnDriftResult,
    DriftResult,
    Finding,
    ValidationResult,
)
from mlops_ci.report.escape import escape_markdown

MAX_EXAMPLES_SHOWN = 3
_VERDICT = {"drift": "🔴 drift", "ok": "🟢 ok", "untestable": "⚪ untestable"}
_ORDER = {"drift": 0, "untestable": 1, "ok": 2}


def _table(headers: list[str], rows: list[list[str]]) -> str:
    from tabulate import tabulate

    return str(tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True))


def format_number(value: float | None) -> str:
    if value is None:
        return "–"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return f"{value:.4g}"


def _statistic(column: ColumnDriftResult) -> str:
    if column.statistic is None:
        return "–"
    text = format_number(column.statistic)
    if column.p_value is None:
        return text
    adjusted = column.adjusted_p_value
    if adjusted is not None and adjusted != column.p_value:
        return f"{text} (p {format_number(column.p_value)}, adj. {format_number(adjusted)})"
    return f"{text} (p {format_number(column.p_value)})"


def _threshold(column: ColumnDriftResult) -> str:
    value = format_number(column.threshold)
    return f"p < {value}" if column.method in P_VALUE_METHODS else f"≥ {value}"


def render_drift_markdown(result: DriftResult, *, max_rows: int | None = None) -> str:
    """The drift result as a heading, the verdict, a table, notes and charts of drifted columns."""
    title = "🔴 dataset drift" if result.drifted else "🟢 no dataset drift"
    lines = [
        f"### Data drift: {title}",
        "",
        f"{escape_markdown(result.current)} ({result.current_rows:,} rows) vs reference "
        f"{escape_markdown(result.reference)} ({result.reference_rows:,} rows): "
        f"{escape_markdown(result.reason)}. P-values corrected: {result.correction}.",
    ]
    if result.sampled is not None:
        s = result.sampled
        lines.append(
            f"Sampled at most {s.rows:,} rows of each side (seed {s.seed}; reference had "
            f"{s.reference_rows:,}, current {s.current_rows:,})."
        )
    ordered = sorted(result.columns, key=lambda c: _ORDER[c.verdict])
    shown = ordered if max_rows is None else ordered[:max_rows]
    rows = [
        [
            escape_markdown(c.column) + (" (key)" if c.column in result.key_columns else ""),
            c.method,
            _statistic(c),
            _threshold(c),
            _VERDICT[c.verdict],
        ]
        for c in shown
    ]
    lines += ["", _table(["column", "method", "statistic", "threshold", "verdict"], rows)]
    if len(ordered) > len(shown):
        lines.append(f"\n…and {len(ordered) - len(shown):,} more columns without drift.")
    notes = [
        f"- {escape_markdown(c.column)}: {escape_markdown(c.method_reason)}"
        + "".join(f"; {escape_markdown(note)}" for note in c.notes)
        for c in shown
        if c.notes or c.drifted
    ]
    notes += [
        f"- {escape_markdown(name)}: not compared, {escape_markdown(why)}"
        for name, why in result.skipped
    ]
    if notes:
        lines += ["", *notes]
    for column in shown:
        if column.drifted and column.histogram is not None:
            lines += [
                "",
                f"**{escape_markdown(column.column)}**: share of rows per "
                f"{'reference-quantile bin' if column.kind == 'numeric' else 'category'}",
                "",
                render_histogram(column.histogram),
            ]
    return "\n".join(lines) + "\n"


def _examples(finding: Finding, place: str) -> str:
    shown = []
    for index, value in enumerate(finding.examples[:MAX_EXAMPLES_SHOWN]):
        text = escape_markdown(repr(value))
        if index < len(finding.lines):
            text += f" ({place} {finding.lines[index]})"
        shown.append(text)
    more = finding.count - len(shown) if finding.rule not in ("rows_min", "rows_max") else 0
    if shown and more > 0:
        shown.append("…")
    return ", ".join(shown)


def render_validation_markdown(result: ValidationResult) -> str:
    """The validation result as a heading and one table row per finding."""
    errors = len(result.errors)
    warnings = len(result.findings) - errors
    title = f"🔴 {errors} error{'s' if errors != 1 else ''}" if errors else "🟢 passed"
    if warnings:
        title += f", {warnings} warning{'s' if warnings != 1 else ''}"
    lines = [
        f"### Data validation: {escape_markdown(result.file)}: {title}",
        "",
        f"{result.rows:,} rows, {len(result.columns):,} columns.",
    ]
    if result.findings:
        rows = [
            [
                escape_markdown(f.column) if f.column is not None else "(file)",
                f.rule,
                f.severity,
                f"{f.count:,}",
                escape_markdown(f.message),
                _examples(f, result.place),
            ]
            for f in result.findings
        ]
        lines += ["", _table(["column", "rule", "severity", "rows", "finding", "examples"], rows)]
    return "\n".join(lines) + "\n"
