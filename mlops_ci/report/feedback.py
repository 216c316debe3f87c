"""A ``FeedbackCheck`` rendered twice, side by side: GitHub markdown and plain terminal text.

Live quality, how labels joined predictions, and estimates marked as such. An estimated value
is always written with a leading ``≈`` and its 95% interval, in a section titled as an
estimate, so a reader never takes it for a measurement. The wording is
``report.feedback_figures``'s; here it is only laid out.

``feedback_markdown`` (the monitoring issue, the job summary) passes every name from data or
config through ``escape_markdown``. ``feedback_text`` (what ``mlops-ci monitor`` prints) shows
them as they are, except what ``report.terminal.shown`` changes: control characters become
visible escapes and nothing is left that the Actions runner would obey as a workflow command;
its tables are tabulate's ``simple`` format.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlops_ci.monitoring.feedback.check import FeedbackCheck
from mlops_ci.monitoring.feedback.live import LiveQuality
from mlops_ci.report import feedback_figures as figures
from mlops_ci.report.escape import escape_markdown
from mlops_ci.report.tables import text_table
from mlops_ci.report.terminal import defuse_workflow_commands, shown


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = [_row(headers), "|" + "---|" * len(headers), *(_row(row) for row in rows)]
    return "\n".join(lines)


def verdict_markdown(check: FeedbackCheck) -> str:
    """The live-quality verdict in one line of markdown (the issue's verdict line uses it)."""
    return figures.verdict_text(check, escape_markdown)


def live_table_markdown(live: LiveQuality) -> str:
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
        return f"{title}\n\n{verdict_markdown(check)}.\n"
    lines = [
        title,
        "",
        figures.source_sentence(check, escape_markdown),
        "",
        live_table_markdown(check.live),
    ]
    if check.counts is not None:
        lines += ["", *(f"- {line}" for line in figures.join_lines(check.counts))]
    if check.notes:
        lines += ["", *(f"> ⚠️ {escape_markdown(note)}" for note in check.notes)]
    lines += ["", estimates_markdown(check)]
    return "\n".join(lines) + "\n"


def _live_table_text(live: LiveQuality) -> str:
    if not live.enough:
        return figures.too_few_labels_text(live, shown)
    rows = [figures.live_row(check, shown) for check in live.checks]
    return text_table(figures.LIVE_HEADERS, rows)


def _estimates_text(check: FeedbackCheck) -> list[str]:
    head = figures.ESTIMATES_TITLE
    if not check.estimates:
        return [head, "", figures.no_estimate_text(check, shown)]
    rows = [figures.estimate_row(window, shown) for window in check.estimates]
    lines = [head, "", figures.ESTIMATES_CAVEAT, "", text_table(figures.ESTIMATE_HEADERS, rows)]
    if check.calibration is not None:
        lines += ["", figures.calibration_sentence(check.calibration, shown)]
    return lines


def feedback_text(check: FeedbackCheck) -> str:
    """The feedback section: the live-quality verdict, its table, the join, the estimates."""
    if check.unavailable is not None:
        return f"{figures.LIVE_QUALITY_TITLE}: {figures.verdict_text(check, shown)}.\n"
    lines = [
        figures.LIVE_QUALITY_TITLE,
        figures.source_sentence(check, shown),
        "",
        _live_table_text(check.live),
    ]
    if check.counts is not None:
        lines += ["", *(f"  - {line}" for line in figures.join_lines(check.counts))]
    if check.notes:
        lines += ["", *(f"  ⚠️ {shown(note)}" for note in check.notes)]
    lines += ["", *_estimates_text(check)]
    return defuse_workflow_commands("\n".join(lines) + "\n")
