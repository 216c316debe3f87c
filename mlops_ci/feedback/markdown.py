"""Pure rendering of a ``FeedbackCheck``: live quality, join counts, and estimates marked as such.

Every name from data or config goes through ``escape_markdown``. An estimated value is always
written with a leading ``≈`` and its 95% interval, in a section titled as an estimate, so a
reader never takes it for a measurement.
"""

from __future__ import annotations

from mlops_ci.feedback.calibration import CalibrationQuality
from mlops_ci.feedback.cbpe import Estimate
from mlops_ci.feedback.check import FeedbackCheck
from mlops_ci.feedback.join import JoinCounts
from mlops_ci.feedback.live import LiveQuality
from mlops_ci.report.escape import escape_markdown


def verdict_text(check: FeedbackCheck) -> str:
    if check.unavailable is not None:
        return f"⚪ live quality not measured: {escape_markdown(check.unavailable)}"
    live = check.live
    if not live.enough:
        return (f"⚪ live quality not judged: {live.rows:,} labelled row(s), "
                f"{live.min_rows:,} needed")
    if live.dropped:
        names = ", ".join(escape_markdown(name) for name in live.dropped_metrics)
        return f"🔴 live quality dropped ({names}) on {live.rows:,} labelled rows"
    return f"🟢 live quality holds on {live.rows:,} labelled rows"


def live_table(live: LiveQuality) -> str:
    if not live.enough:
        return (f"Only {live.rows:,} labelled row(s) in {escape_markdown(live.window)}; at least "
                f"{live.min_rows:,} are needed for a stable metric, so nothing is judged.")
    lines = [
        "| metric | at registration | live | change | allowed drop | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for check in live.checks:
        registered = "–" if check.registered is None else f"{check.registered:.4f}"
        value = (f"{check.live.value:.4f}" if check.live.value is not None
                 else f"undefined: {escape_markdown(check.live.undefined_reason or '')}")
        change = "–"
        if check.registered is not None and check.live.value is not None:
            change = f"{check.live.value - check.registered:+.4f}"
        allowed = "not judged" if check.allowed is None else f"{check.allowed:.4f}"
        if check.tolerance is not None and check.tolerance.relative and check.allowed is not None:
            allowed += f" ({check.tolerance.max_drop:.0%})"
        verdict = "🔴 drop" if check.dropped else ("🟢" if check.judged else "–")
        lines.append(f"| {escape_markdown(check.label)} | {registered} | {value} | {change} "
                     f"| {allowed} | {verdict} |")
    return "\n".join(lines)


def join_lines(counts: JoinCounts) -> list[str]:
    return [
        f"Labels joined by id: {counts.matched:,} of {counts.served:,} served rows labelled, "
        f"{counts.awaiting:,} awaiting a label; {counts.labels:,} label rows read.",
        f"Duplicates: {counts.duplicate_served:,} repeated servings (the one each label answers "
        f"is kept), {counts.duplicate_labels:,} repeated labels (the latest is kept; "
        f"{counts.conflicting_labels:,} id(s) with disagreeing labels).",
        f"Not joined: {counts.unmatched_labels:,} label(s) for ids never served, "
        f"{counts.missing_ids:,} row(s) without an id, {counts.label_before_prediction:,} "
        f"label(s) older than their prediction. Late: {counts.late:,} label(s) arrived after "
        "their prediction's window closed and count in that window.",
    ]


def estimate_text(estimate: Estimate) -> str:
    if estimate.value is None:
        return f"not estimated: {escape_markdown(estimate.undefined_reason or '')}"
    return f"≈ {estimate.value:.3f} [{estimate.low:.3f}, {estimate.high:.3f}]"


def calibration_text(method: str, quality: CalibrationQuality) -> str:
    return (f"{method} calibration on {quality.rows:,} test rows: Brier score "
            f"{quality.brier_raw:.4f} → {quality.brier:.4f}, expected calibration error "
            f"{quality.ece_raw:.4f} → {quality.ece:.4f} (raw → calibrated, cross-fitted)")


def estimates_markdown(check: FeedbackCheck) -> str:
    head = "#### Estimated performance before labels (an estimate, not a measurement)"
    if not check.estimates:
        return f"{head}\n\n{escape_markdown(check.estimate_note or 'no rows to estimate')}"
    lines = [
        head,
        "",
        "Expected from the model's calibrated confidence (CBPE), with 95% intervals; valid "
        "while the meaning of the inputs holds (covariate shift), blind to concept drift, "
        "which only labels reveal.",
        "",
        "| window | rows | estimated accuracy | estimated ROC AUC | labelled | realised accuracy "
        "| realised ROC AUC |",
        "|---|---|---|---|---|---|---|",
    ]
    for window in check.estimates:
        acc = "–" if window.realised_accuracy is None else f"{window.realised_accuracy:.3f}"
        auc = "–" if window.realised_roc_auc is None else f"{window.realised_roc_auc:.3f}"
        lines.append(
            f"| {escape_markdown(window.window)} | {window.rows:,} | "
            f"{estimate_text(window.accuracy)} | {estimate_text(window.roc_auc)} | "
            f"{window.labelled:,} | {acc} | {auc} |"
        )
    if check.calibration is not None:
        lines += ["", escape_markdown(calibration_text(check.calibration.method,
                                                       check.calibration.quality)) + "."]
    return "\n".join(lines)


def feedback_markdown(check: FeedbackCheck) -> str:
    """The feedback section of the monitoring issue and the job summary."""
    if check.unavailable is not None:
        return f"### Live quality\n\n{verdict_text(check)}.\n"
    lines = [
        "### Live quality",
        "",
        f"Labelled production rows from {escape_markdown(check.source)}, window "
        f"{escape_markdown(check.live.window)}: {verdict_text(check)}.",
        "",
        live_table(check.live),
    ]
    if check.counts is not None:
        lines += ["", *(f"- {line}" for line in join_lines(check.counts))]
    if check.notes:
        lines += ["", *(f"> ⚠️ {escape_markdown(note)}" for note in check.notes)]
    lines += ["", estimates_markdown(check)]
    return "\n".join(lines) + "\n"
