"""How live quality, join counts, estimates and calibration read, in every rendering.

Shared by the markdown rendering of ``report.feedback`` (the monitoring issue, the job summary)
and its plain-text one (the terminal), so both say the same thing in the same words; each
only lays the pieces out. ``calibration_text`` also words the calibration in the model card
(``report.release``) and in the evaluation's notes. Everything returned here is our own
wording; text from data or config (the source, windows, labels, notes, reasons) is passed
through the caller's ``show`` function (``report.escape.escape_markdown`` for markdown,
``report.terminal.shown`` for a terminal). Table cells come as rows of strings, headers
included, so a renderer never formats a number itself. An estimated value always reads
``≈ value [low, high]``.
"""

from __future__ import annotations

from collections.abc import Callable

from mlops_ci.monitoring.feedback.calibration import CalibrationQuality, Calibrator
from mlops_ci.monitoring.feedback.cbpe import Estimate
from mlops_ci.monitoring.feedback.check import FeedbackCheck, WindowEstimate
from mlops_ci.monitoring.feedback.join import JoinCounts
from mlops_ci.monitoring.feedback.live import LiveQuality, MetricCheck

Show = Callable[[str], str]

LIVE_QUALITY_TITLE = "Live quality"
LIVE_HEADERS = ("metric", "at registration", "live", "change", "allowed drop", "verdict")
ESTIMATES_TITLE = "Estimated performance before labels (an estimate, not a measurement)"
ESTIMATES_CAVEAT = (
    "Expected from the model's calibrated confidence (CBPE), with 95% intervals; valid "
    "while the meaning of the inputs holds (covariate shift), blind to concept drift, "
    "which only labels reveal."
)
ESTIMATE_HEADERS = ("window", "rows", "estimated accuracy", "estimated ROC AUC", "labelled",
                    "realised accuracy", "realised ROC AUC")
NO_VALUE = "–"


def verdict_text(check: FeedbackCheck, show: Show) -> str:
    """``🔴 live quality dropped (…) on N labelled rows``, or why nothing was judged."""
    if check.unavailable is not None:
        return f"⚪ live quality not measured: {show(check.unavailable)}"
    live = check.live
    if not live.enough:
        return (f"⚪ live quality not judged: {live.rows:,} labelled row(s), "
                f"{live.min_rows:,} needed")
    if live.dropped:
        names = ", ".join(show(name) for name in live.dropped_metrics)
        return f"🔴 live quality dropped ({names}) on {live.rows:,} labelled rows"
    return f"🟢 live quality holds on {live.rows:,} labelled rows"


def source_sentence(check: FeedbackCheck, show: Show) -> str:
    """Where the labelled rows come from, their window, and the verdict, as one sentence."""
    return (f"Labelled production rows from {show(check.source)}, window "
            f"{show(check.live.window)}: {verdict_text(check, show)}.")


def too_few_labels_text(live: LiveQuality, show: Show) -> str:
    """What stands in place of the live table when the window has too few labels."""
    return (f"Only {live.rows:,} labelled row(s) in {show(live.window)}; at least "
            f"{live.min_rows:,} are needed for a stable metric, so nothing is judged.")


def live_row(check: MetricCheck, show: Show) -> list[str]:
    """One metric's cells, in the order of ``LIVE_HEADERS``."""
    registered = NO_VALUE if check.registered is None else f"{check.registered:.4f}"
    value = (f"{check.live.value:.4f}" if check.live.value is not None
             else f"undefined: {show(check.live.undefined_reason or '')}")
    change = NO_VALUE
    if check.registered is not None and check.live.value is not None:
        change = f"{check.live.value - check.registered:+.4f}"
    allowed = "not judged" if check.allowed is None else f"{check.allowed:.4f}"
    if check.tolerance is not None and check.tolerance.relative and check.allowed is not None:
        allowed += f" ({check.tolerance.max_drop:.0%})"
    verdict = "🔴 drop" if check.dropped else ("🟢" if check.judged else NO_VALUE)
    return [show(check.label), registered, value, change, allowed, verdict]


def join_lines(counts: JoinCounts) -> list[str]:
    """How labels met predictions: joined, duplicated, not joined, late (numbers only)."""
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


def estimate_text(estimate: Estimate, show: Show) -> str:
    """``≈ 0.812 [0.700, 0.900]``, or why there is no estimate."""
    if estimate.value is None:
        return f"not estimated: {show(estimate.undefined_reason or '')}"
    return f"≈ {estimate.value:.3f} [{estimate.low:.3f}, {estimate.high:.3f}]"


def estimate_row(window: WindowEstimate, show: Show) -> list[str]:
    """One window's cells, in the order of ``ESTIMATE_HEADERS``."""
    return [
        show(window.window),
        f"{window.rows:,}",
        estimate_text(window.accuracy, show),
        estimate_text(window.roc_auc, show),
        f"{window.labelled:,}",
        NO_VALUE if window.realised_accuracy is None else f"{window.realised_accuracy:.3f}",
        NO_VALUE if window.realised_roc_auc is None else f"{window.realised_roc_auc:.3f}",
    ]


def no_estimate_text(check: FeedbackCheck, show: Show) -> str:
    """Why the estimates section has no table."""
    return show(check.estimate_note or "no rows to estimate")


def calibration_text(method: str, quality: CalibrationQuality) -> str:
    """How well the calibrator did on the test rows, raw → calibrated (no final stop)."""
    return (f"{method} calibration on {quality.rows:,} test rows: Brier score "
            f"{quality.brier_raw:.4f} → {quality.brier:.4f}, expected calibration error "
            f"{quality.ece_raw:.4f} → {quality.ece:.4f} (raw → calibrated, cross-fitted)")


def calibration_sentence(calibrator: Calibrator, show: Show) -> str:
    """``calibration_text`` of the check's calibrator, through ``show``, as a sentence."""
    return show(calibration_text(calibrator.method, calibrator.quality)) + "."
