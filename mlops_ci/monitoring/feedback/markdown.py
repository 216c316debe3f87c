"""Pure rendering of a ``FeedbackCheck``: live quality, join counts, and estimates marked as such.

Every name from data or config goes through ``escape_markdown``. An estimated value is always
written with a leading ``≈`` and its 95% interval, in a section titled as an estimate, so a
reader never takes it for a measurement. The wording is ``feedback.figures``'s, shared with the
terminal's ``feedback.text``; here it is only laid out as markdown.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlops_ci.monitoring.feedback import figures
from mlops_ci.monitoring.feedback.check import FeedbackCheck
from mlops_ci.monitoring.feedback.figures import calibration_text as calibration_text  # for callers
from mlops_ci.monitoring.feedback.figures import join_lines as join_lines  # for callers
from mlops_ci.monitoring.feedback.live import LiveQuality
from mlops_ci.report.escape import escape_markdown


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = [_row(headers), "|" + "---|" * len(headers), *(_row(row) for row in rows)]
    return "\n".join(lines)


def verdict_text(check: FeedbackCheck) -> str:
    return figures.verdict_text(check, escape_markdown)


def live_table(live: LiveQuality) -> str:
    if not live.enough:
        return figures.too_few_labels_text(live, escape_markdown)
    rows = [figures.live_row(check, escape_markdown) for check in live.checks]
    return _table(figures.LIVE_HEADERS, rows)


def estimates_markdown(check: FeedbackCheck) -> str:
    head = f"#### {figures.ESTIMATES_TITLE}"
    if not check.estimates:
        return f"{head}\n\n{figures.no_estimate_text(check, escape_markdown)}"
    rows = [figures.estimate_row(window, escape_markdown) for window in check.estimates]
    lines = [head, "", figures.ESTIMATES_CAVEAT, "", _table(figures.ESTIMATE_HEADERS, rows)]
    if check.calibration is not None:
        lines += ["", figures.calibration_sentence(check.calibration, escape_markdown)]
    return "\n".join(lines)


def feedback_markdown(check: FeedbackCheck) -> str:
    """The feedback section of the monitoring issue and the job summary."""
    title = f"### {figures.LIVE_QUALITY_TITLE}"
    if check.unavailable is not None:
        return f"{title}\n\n{verdict_text(check)}.\n"
    lines = [
        title,
        "",
        figures.source_sentence(check, escape_markdown),
        "",
        live_table(check.live),
    ]
    if check.counts is not None:
        lines += ["", *(f"- {line}" for line in join_lines(check.counts))]
    if check.notes:
        lines += ["", *(f"> ⚠️ {escape_markdown(note)}" for note in check.notes)]
    lines += ["", estimates_markdown(check)]
    return "\n".join(lines) + "\n"
