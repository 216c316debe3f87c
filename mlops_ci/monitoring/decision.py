"""What a monitoring run does about its measurement. Pure: values in, a ``Decision`` out.

- **Alert** (drift, a strongly drifted column, data-quality errors or a live-quality drop):
  the model's one issue is opened, updated, or reopened, its trend gaining this run; retraining
  is dispatched when ``actions.dispatch``. The issue's labels are ``actions.labels`` plus the
  ``monitor.labels`` label of each finding.
- **Clear** with the issue open: the trend gains this run (the recovery is part of it), a
  comment says so, and the issue is closed, keeping the labels of the latest alerting run in
  its trend.
- **Clear** otherwise (no issue, or closed already): nothing is written. The trend lives in
  the issue, so clean runs between alerts are not recorded anywhere.

A rerun of the same run decides the same thing with the same history entry (keyed by run id),
so the writes that follow find nothing to change. A rerun of a run that later runs have already
followed (its entry is in the trend, and not last) writes nothing: it must not reopen an issue
a newer run closed, nor dispatch again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from mlops_ci.config.model import MonitorSpec
from mlops_ci.forge.protocol import ExistingIssue
from mlops_ci.monitoring.check import Finding, MonitorCheck
from mlops_ci.monitoring.history import (
    MAX_COLUMNS_KEPT,
    MAX_METRICS_KEPT,
    HistoryEntry,
    ParsedHistory,
    record_run,
)
from mlops_ci.monitoring.run import MonitorRunInfo


class IssueAction(enum.StrEnum):
    UPSERT = "upsert"  # open, update or reopen the model's issue
    CLOSE = "close"  # record the clear run, comment, close
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Decision:
    issue: IssueAction
    dispatch: bool  # request retraining (once per run: see ``act``)
    entries: tuple[HistoryEntry, ...]  # the trend to write into the issue
    reason: str  # one line for the log and the job summary
    labels: tuple[str, ...] = ()  # the issue's labels when it is written


def history_entry(check: MonitorCheck, run: MonitorRunInfo) -> HistoryEntry:
    drift = check.drift
    drifted = drift.drifted_columns if drift is not None else ()
    return HistoryEntry(
        run_id=run.run_id,
        at=run.at,
        version=check.version,
        alert=check.alert,
        drifted=check.drift_found,
        share_drifted=drift.share_drifted if drift is not None else None,
        drifted_count=len(drifted),
        drifted_columns=drifted[:MAX_COLUMNS_KEPT],
        data_errors=check.data_errors,
        rows=check.rows,
        **_feedback_fields(check),
    )


def _feedback_fields(check: MonitorCheck) -> dict[str, Any]:
    feedback = check.feedback
    if feedback is None:
        return {}
    live = feedback.live
    values = tuple(
        (item.name, item.live.value) for item in live.checks if item.live.value is not None
    )
    estimated = tuple(
        (estimate.metric, estimate.value)
        for window in feedback.estimates[:1]
        for estimate in (window.accuracy, window.roc_auc)
        if estimate.value is not None
    )
    return {"quality_dropped": feedback.dropped, "labelled_rows": live.rows,
            "live": values[:MAX_METRICS_KEPT], "estimated": estimated}


def decide(
    check: MonitorCheck,
    existing: ExistingIssue | None,
    history: ParsedHistory,
    run: MonitorRunInfo,
    spec: MonitorSpec,
) -> Decision:
    recorded = [entry.run_id for entry in history.entries]
    if run.run_id in recorded and recorded[-1] != run.run_id:
        return Decision(IssueAction.NONE, False, history.entries,
                        f"run {run.run_id} is already recorded and newer runs followed it")
    entries = record_run(history.entries, history_entry(check, run), spec.history)
    if check.alert:
        issue = IssueAction.UPSERT if spec.actions.issue else IssueAction.NONE
        reason = f"{check.findings()} in production data"
        labels = issue_labels(spec, check.finding_kinds())
        return Decision(issue, spec.actions.dispatch, entries, reason, labels)
    if existing is not None and existing.is_open:
        last_alert = next((entry for entry in reversed(entries) if entry.alert), None)
        kinds = _entry_findings(last_alert) if last_alert is not None else ()
        return Decision(IssueAction.CLOSE, False, entries, "clear: closing the open issue",
                        issue_labels(spec, kinds))
    return Decision(IssueAction.NONE, False, history.entries, "clear: no open issue")


def issue_labels(spec: MonitorSpec, findings: tuple[Finding, ...]) -> tuple[str, ...]:
    """``actions.labels`` then the ``monitor.labels`` label of each finding, once each."""
    by_kind = {"drift": spec.labels.drift, "quality": spec.labels.quality,
               "data_errors": spec.labels.data_errors, "serving": spec.labels.serving}
    labels = dict.fromkeys([*spec.actions.labels, *(by_kind[kind] for kind in findings)])
    return tuple(labels)


def _entry_findings(entry: HistoryEntry) -> tuple[Finding, ...]:
    found: list[Finding] = []
    if entry.drifted:
        found.append("drift")
    if entry.data_errors:
        found.append("data_errors")
    if entry.quality_dropped:
        found.append("quality")
    if entry.alert and not found:  # the one finding the trend does not record by itself
        found.append("serving")
    return tuple(found)
