"""Pure rendering of a ``FeedbackCheck`` as plain text for a terminal or a job log.

What ``mlops-ci monitor`` prints; ``feedback.markdown`` writes the same section, in the same
order and words, for the monitoring issue and the job summary. Here names from data or config
(the source, windows, notes, reasons) are shown as they are, except what
``report.terminal.shown`` changes: control characters become visible escapes and nothing is
left that the Actions runner would obey as a workflow command. Tables are tabulate's
``simple`` format. An estimate is still written with a leading ``≈`` and its 95% interval,
under a title that says it is one.
"""

from __future__ import annotations

from mlops_ci.feedback.cbpe import Estimate
from mlops_ci.feedback.check import FeedbackCheck
from mlops_ci.feedback.live import LiveQuality
from mlops_ci.feedback.markdown import calibration_text, join_lines
from mlops_ci.report.terminal import defuse_workflow_commands, shown


def _table(headers: list[str], rows: list[list[str]]) -> str:
    from tabulate import tabulate

    return str(tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True))


def _verdict(check: FeedbackCheck) -> str:
    if check.unavailable is not None:
        return f"⚪ live quality not measured: {shown(check.unavailable)}"
    live = check.live
    if not live.enough:
        return (f"⚪ live quality not judged: {live.rows:,} labelled row(s), "
                f"{live.min_rows:,} needed")
    if live.dropped:
        names = ", ".join(shown(name) for name in live.dropped_metrics)
        return f"🔴 live quality dropped ({names}) on {live.rows:,} labelled rows"
    return f"🟢 live quality holds on {live.rows:,} labelled rows"


def _live_table(live: LiveQuality) -> str:
    if not live.enough:
        return (f"Only {live.rows:,} labelled row(s) in {shown(live.window)}; at least "
                f"{live.min_rows:,} are needed for a stable metric, so nothing is judged.")
    rows = []
    for check in live.checks:
        registered = "–" if check.registered is None else f"{check.registered:.4f}"
        value = (f"{check.live.value:.4f}" if check.live.value is not None
                 else f"undefined: {shown(check.live.undefined_reason or '')}")
        change = "–"
        if check.registered is not None and check.live.value is not None:
            change = f"{check.live.value - check.registered:+.4f}"
        allowed = "not judged" if check.allowed is None else f"{check.allowed:.4f}"
        if check.tolerance is not None and check.tolerance.relative and check.allowed is not None:
            allowed += f" ({check.tolerance.max_drop:.0%})"
        verdict = "🔴 drop" if check.dropped else ("🟢" if check.judged else "–")
        rows.append([shown(check.label), registered, value, change, allowed, verdict])
    headers = ["metric", "at registration", "live", "change", "allowed drop", "verdict"]
    return _table(headers, rows)


def _estimate(estimate: Estimate) -> str:
    if estimate.value is None:
        return f"not estimated: {shown(estimate.undefined_reason or '')}"
    return f"≈ {estimate.value:.3f} [{estimate.low:.3f}, {estimate.high:.3f}]"


def _estimates(check: FeedbackCheck) -> list[str]:
    head = "Estimated performance before labels (an estimate, not a measurement)"
    if not check.estimates:
        return [head, "", shown(check.estimate_note or "no rows to estimate")]
    rows = [
        [
            shown(window.window),
            f"{window.rows:,}",
            _estimate(window.accuracy),
            _estimate(window.roc_auc),
            f"{window.labelled:,}",
            "–" if window.realised_accuracy is None else f"{window.realised_accuracy:.3f}",
            "–" if window.realised_roc_auc is None else f"{window.realised_roc_auc:.3f}",
        ]
        for window in check.estimates
    ]
    headers = ["window", "rows", "estimated accuracy", "estimated ROC AUC", "labelled",
               "realised accuracy", "realised ROC AUC"]
    lines = [
        head,
        "",
        "Expected from the model's calibrated confidence (CBPE), with 95% intervals; valid "
        "while the meaning of the inputs holds (covariate shift), blind to concept drift, "
        "which only labels reveal.",
        "",
        _table(headers, rows),
    ]
    if check.calibration is not None:
        quality = check.calibration.quality
        lines += ["", shown(calibration_text(check.calibration.method, quality)) + "."]
    return lines


def feedback_text(check: FeedbackCheck) -> str:
    """The feedback section: the live-quality verdict, its table, the join, the estimates."""
    if check.unavailable is not None:
        return f"Live quality: {_verdict(check)}.\n"
    lines = [
        "Live quality",
        f"Labelled production rows from {shown(check.source)}, window "
        f"{shown(check.live.window)}: {_verdict(check)}.",
        "",
        _live_table(check.live),
    ]
    if check.counts is not None:
        lines += ["", *(f"  - {line}" for line in join_lines(check.counts))]
    if check.notes:
        lines += ["", *(f"  ⚠️ {shown(note)}" for note in check.notes)]
    lines += ["", *_estimates(check)]
    return defuse_workflow_commands("\n".join(lines) + "\n")
