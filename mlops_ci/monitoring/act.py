"""Carry out a monitoring ``Decision`` on the forge, idempotently.

- The issue is written with ``upsert_issue`` (found by its marker; never a second one).
- Retraining is dispatched at most once per run. GitHub keeps no readable record of a
  dispatch, so it is gated on a keyed issue comment: ``comment_issue(n, ..., key=
  "dispatch-RUN")`` answers ``CREATED`` only for the first attempt of a run, and only then is
  the dispatch sent. Without an issue (``actions.issue: false``) the gate is the run attempt:
  only attempt 1 dispatches. If the dispatch itself then fails, the run says so and a later
  run (a new run id) asks again; the same run does not retry blindly.
- Closing comments once (key ``clear-RUN``) and closes; a closed issue is left alone.

The words written (title, body, comments) come from an ``IssueRenderer`` the caller passes:
rendering lives above this layer (``report.renderings``), so this module only decides what to
write where.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from mlops_ci.config.model import MonitorSpec
from mlops_ci.errors import ExternalError
from mlops_ci.forge.protocol import DispatchResult, ExistingIssue, Forge, IssueResult, Outcome
from mlops_ci.monitoring.check import MonitorCheck
from mlops_ci.monitoring.decision import Decision, IssueAction
from mlops_ci.monitoring.history import HistoryEntry
from mlops_ci.monitoring.run import MonitorRunInfo, issue_marker


class IssueRenderer(Protocol):
    """The texts of a model's monitoring issue; pure, so a rerun renders the same words."""

    def issue_title(self, check: MonitorCheck) -> str: ...

    def issue_body(
        self,
        check: MonitorCheck,
        entries: Sequence[HistoryEntry],
        run: MonitorRunInfo,
        spec: MonitorSpec,
        *,
        notes: Sequence[str] = (),
        max_rows: int | None = None,
    ) -> str: ...

    def cleared_comment(self, check: MonitorCheck, run: MonitorRunInfo) -> str: ...

    def dispatch_comment(
        self, check: MonitorCheck, run: MonitorRunInfo, spec: MonitorSpec
    ) -> str: ...

    def dispatch_failed_comment(
        self, check: MonitorCheck, run: MonitorRunInfo, spec: MonitorSpec
    ) -> str: ...


@dataclass(frozen=True, slots=True)
class ActionsTaken:
    issue: IssueResult | None = None  # the upsert (alert) or the body update before closing
    closed: IssueResult | None = None
    dispatch: DispatchResult | None = None  # None: not sent (see ``dispatch_note``)
    dispatch_note: str | None = None  # why a wanted dispatch was not sent
    warnings: tuple[str, ...] = ()

    @property
    def issue_url(self) -> str | None:
        return self.issue.url if self.issue is not None else None


def carry_out(
    forge: Forge,
    render: IssueRenderer,
    decision: Decision,
    check: MonitorCheck,
    existing: ExistingIssue | None,
    run: MonitorRunInfo,
    spec: MonitorSpec,
    *,
    ref: str,
    notes: tuple[str, ...] = (),
    max_rows: int | None = None,
) -> ActionsTaken:
    """Write what ``decision`` asks for, in ``render``'s words; see the module docstring for
    the once-only rules."""
    marker = issue_marker(check.model)
    body = render.issue_body(check, decision.entries, run, spec, notes=notes, max_rows=max_rows)
    warnings: list[str] = []
    if decision.issue is IssueAction.CLOSE and existing is not None:
        title = existing.title or render.issue_title(check)
        updated = forge.upsert_issue(marker, title, body, decision.labels)
        closed = forge.close_issue(
            existing.number, render.cleared_comment(check, run), key=f"clear-{run.run_id}"
        )
        warnings += [w for w in (updated.warning, closed.warning) if w]
        return ActionsTaken(issue=updated, closed=closed, warnings=tuple(warnings))
    issue: IssueResult | None = None
    if decision.issue is IssueAction.UPSERT:
        issue = forge.upsert_issue(
            marker, render.issue_title(check), body, decision.labels
        )
        if issue.warning:
            warnings.append(issue.warning)
    if not decision.dispatch:
        return ActionsTaken(issue=issue, warnings=tuple(warnings))
    gate_note = _gate(forge, render, issue, check, run, spec)
    if gate_note is not None:
        return ActionsTaken(issue=issue, dispatch_note=gate_note, warnings=tuple(warnings))
    try:
        sent = _dispatch(forge, check, run, spec, ref, decision.reason)
    except ExternalError:
        # Refused after every retry (rate limited past the cap): GitHub certainly did not
        # take it. Say so in the gate comment, so that a rerun of this run sends it.
        if issue is not None and issue.number is not None:
            forge.comment_issue(
                issue.number,
                render.dispatch_failed_comment(check, run, spec),
                key=f"dispatch-{run.run_id}",
            )
        raise
    if sent.warning:
        warnings.append(sent.warning)
    return ActionsTaken(issue=issue, dispatch=sent, warnings=tuple(warnings))


def _gate(
    forge: Forge,
    render: IssueRenderer,
    issue: IssueResult | None,
    check: MonitorCheck,
    run: MonitorRunInfo,
    spec: MonitorSpec,
) -> str | None:
    """``None`` when this run may dispatch now, else why it may not."""
    if issue is None or issue.number is None:
        if run.attempt > 1:
            return f"not sent again: attempt {run.attempt} of run {run.run_id}"
        return None
    comment = render.dispatch_comment(check, run, spec)
    gate = forge.comment_issue(issue.number, comment, key=f"dispatch-{run.run_id}")
    if gate.outcome in (Outcome.CREATED, Outcome.UPDATED):
        # UPDATED: the comment said an earlier attempt's dispatch was refused; send it now.
        return None
    if gate.outcome is Outcome.READ_ONLY:
        return f"not sent: the token may not write here ({gate.warning})"
    return f"already requested by run {run.run_id} (an earlier attempt)"


def _dispatch(
    forge: Forge,
    check: MonitorCheck,
    run: MonitorRunInfo,
    spec: MonitorSpec,
    ref: str,
    reason: str,
) -> DispatchResult:
    payload = {"model": check.model, "version": check.version, "reason": reason,
               "run_id": run.run_id}
    if spec.actions.workflow:
        return forge.dispatch_workflow(spec.actions.workflow, ref, payload)
    return forge.dispatch(spec.actions.dispatch_event_type, payload)
