"""Pure rendering of a ``FeedbackCheck`` as plain text for a terminal or a job log.

What ``mlops-ci monitor`` prints; ``feedback.markdown`` writes the same section, in the same
order and words (both from ``feedback.figures``), for the monitoring issue and the job
summary. Here names from data or config (the source, windows, notes, reasons) are shown as
they are, except what ``report.terminal.shown`` changes: control characters become visible
escapes and nothing is left that the Actions runner would obey as a workflow command. Tables
are tabulate's ``simple`` format. An estimate is still written with a leading ``≈`` and its
95% interval, under a title that says it is one.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlops_ci.monitoring.feedback import figures
from mlops_ci.monitoring.feedback.check import FeedbackCheck
from mlops_ci.monitoring.feedback.live import LiveQuality
from mlops_ci.report.terminal import defuse_workflow_commands, shown


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    from tabulate import tabulate

    return str(tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True))


def _live_table(live: LiveQuality) -> str:
    if not live.enough:
        return figures.too_few_labels_text(live, shown)
    rows = [figures.live_row(check, shown) for check in live.checks]
    return _table(figures.LIVE_HEADERS, rows)


def _estimates(check: FeedbackCheck) -> list[str]:
    head = figures.ESTIMATES_TITLE
    if not check.estimates:
        return [head, "", figures.no_estimate_text(check, shown)]
    rows = [figures.estimate_row(window, shown) for window in check.estimates]
    lines = [head, "", figures.ESTIMATES_CAVEAT, "", _table(figures.ESTIMATE_HEADERS, rows)]
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
        _live_table(check.live),
    ]
    if check.counts is not None:
        lines += ["", *(f"  - {line}" for line in figures.join_lines(check.counts))]
    if check.notes:
        lines += ["", *(f"  ⚠️ {shown(note)}" for note in check.notes)]
    lines += ["", *_estimates(check)]
    return defuse_workflow_commands("\n".join(lines) + "\n")
