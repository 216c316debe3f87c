"""How numbers, thresholds, verdicts and titles of data checks read, in every rendering.

Shared by the markdown and the plain-text renderings of ``report.drift`` and
``report.validation`` (PR comments, job summaries and issues; the terminal), so both say the
same thing. Everything returned here is our own wording; text from the data is passed through
the caller's ``show`` function (``report.escape.escape_markdown`` for markdown,
``report.terminal.shown`` for a terminal).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from mlops_ci.data.results import (
    P_VALUE_METHODS,
    STRONG_DRIFT_DISTANCE_FACTOR,
    STRONG_DRIFT_P_VALUE,
    ColumnDriftResult,
    DriftResult,
    Finding,
    ValidationResult,
)

MAX_EXAMPLES_SHOWN = 3
STRONG_DRIFT_TEXT = (f"corrected p-value below {STRONG_DRIFT_P_VALUE:g}, or a distance at least "
                     f"{STRONG_DRIFT_DISTANCE_FACTOR:g} times its threshold")
VERDICT_LABELS = {"drift": "🔴 drift", "ok": "🟢 ok", "untestable": "⚪ untestable"}
_VERDICT_ORDER = {"drift": 0, "untestable": 1, "ok": 2}


def format_number(value: float | None) -> str:
    if value is None:
        return "–"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return f"{value:.4g}"


def statistic_text(column: ColumnDriftResult) -> str:
    """The statistic, with its p-value (and the corrected one when it differs)."""
    if column.statistic is None:
        return "–"
    text = format_number(column.statistic)
    if column.p_value is None:
        return text
    adjusted = column.adjusted_p_value
    if adjusted is not None and adjusted != column.p_value:
        return f"{text} (p {format_number(column.p_value)}, adj. {format_number(adjusted)})"
    return f"{text} (p {format_number(column.p_value)})"


def threshold_text(column: ColumnDriftResult) -> str:
    value = format_number(column.threshold)
    return f"p < {value}" if column.method in P_VALUE_METHODS else f"≥ {value}"


def drift_title(result: DriftResult) -> str:
    """Never "no drift" while a column drifted: the share rule may not flag the dataset."""
    if result.drifted:
        return "🔴 dataset drift"
    if result.drifted_columns:
        count = len(result.drifted_columns)
        return f"🟡 {count} column{'s' if count != 1 else ''} drifted, not the dataset"
    return "🟢 no dataset drift"


def columns_worst_first(result: DriftResult) -> list[ColumnDriftResult]:
    """Drifted columns first, then untestable ones, then the rest, each in data order."""
    return sorted(result.columns, key=lambda c: _VERDICT_ORDER[c.verdict])


def chart_caption(column: ColumnDriftResult) -> str:
    """What a drifted column's chart shows, after the column's name."""
    bins = "reference-quantile bin" if column.kind == "numeric" else "category"
    return f"share of rows per {bins}"


def validation_title(result: ValidationResult) -> str:
    """``🔴 2 errors, 1 warning`` or ``🟢 passed``."""
    errors = len(result.errors)
    warnings = len(result.findings) - errors
    title = f"🔴 {errors} error{'s' if errors != 1 else ''}" if errors else "🟢 passed"
    if warnings:
        title += f", {warnings} warning{'s' if warnings != 1 else ''}"
    return title


def examples_text(finding: Finding, place: str, show: Callable[[str], str]) -> str:
    """A few offending values as ``repr`` (passed through ``show``), each with its line."""
    shown = []
    for index, value in enumerate(finding.examples[:MAX_EXAMPLES_SHOWN]):
        text = show(repr(value))
        if index < len(finding.lines):
            text += f" ({place} {finding.lines[index]})"
        shown.append(text)
    more = finding.count - len(shown) if finding.rule not in ("rows_min", "rows_max") else 0
    if shown and more > 0:
        shown.append("…")
    return ", ".join(shown)


FINDING_HEADERS = ["column", "rule", "severity", "rows", "finding", "examples"]


def finding_rows(result: ValidationResult, show: Callable[[str], str]) -> list[list[str]]:
    """One table row per finding (``FINDING_HEADERS``), names and messages through ``show``."""
    return [
        [
            show(f.column) if f.column is not None else "(file)",
            f.rule,
            f.severity,
            f"{f.count:,}",
            show(f.message),
            examples_text(f, result.place, show),
        ]
        for f in result.findings
    ]


DRIFT_HEADERS = ["column", "method", "statistic", "threshold", "verdict"]


def drift_summary(result: DriftResult, show: Callable[[str], str]) -> list[str]:
    """What was compared with what and the verdict's reason, and the sampling when there was."""
    lines = [
        f"{show(result.current)} ({result.current_rows:,} rows) vs reference "
        f"{show(result.reference)} ({result.reference_rows:,} rows): "
        f"{show(result.reason)}. P-values corrected: {show(result.correction)}."
    ]
    strong = result.strongly_drifted_columns
    if strong and not result.drifted:
        lines.append(
            f"Strongly drifted, whatever the share: {', '.join(show(name) for name in strong)} "
            f"({STRONG_DRIFT_TEXT})."
        )
    if result.sampled is not None:
        s = result.sampled
        lines.append(
            f"Sampled at most {s.rows:,} rows of each side (seed {s.seed}; reference had "
            f"{s.reference_rows:,}, current {s.current_rows:,})."
        )
    return lines


def drift_rows(
    columns: Sequence[ColumnDriftResult], result: DriftResult, show: Callable[[str], str]
) -> list[list[str]]:
    """One table row per column (``DRIFT_HEADERS``), the name through ``show``."""
    return [
        [
            show(c.column) + (" (key)" if c.column in result.key_columns else ""),
            c.method,
            statistic_text(c),
            threshold_text(c),
            VERDICT_LABELS[c.verdict],
        ]
        for c in columns
    ]


def drift_notes(
    columns: Sequence[ColumnDriftResult], result: DriftResult, show: Callable[[str], str]
) -> list[str]:
    """Why each drifted or annotated column got its method, and the columns not compared."""
    notes = [
        f"{show(c.column)}: {show(c.method_reason)}" + "".join(f"; {show(n)}" for n in c.notes)
        for c in columns
        if c.notes or c.drifted
    ]
    return notes + [f"{show(name)}: not compared, {show(why)}" for name, why in result.skipped]
