"""What ``mlops-ci monitor`` reports per model: markdown for the job summary, text for the log.

``result_markdown`` and ``result_text`` say the same thing side by side: the stage's summary,
what was done (or, on a dry run, what would be: ``action_lines``), then the drift, validation
and feedback sections (``report.drift``, ``report.validation``, ``report.feedback``). The
markdown escapes text from outside with ``escape_markdown``; the terminal text shows it as it
is, through ``report.terminal.shown``, and defuses workflow commands in the whole text.
A result without a ``MonitorOutcome`` (a skipped model) is its headline alone.
"""

from __future__ import annotations

from collections.abc import Callable

from mlops_ci.monitoring.decision import IssueAction
from mlops_ci.monitoring.served import ServedVersion
from mlops_ci.report.drift import render_drift_markdown, render_drift_text
from mlops_ci.report.escape import escape_markdown
from mlops_ci.report.feedback import feedback_markdown, feedback_text
from mlops_ci.report.terminal import defuse_workflow_commands, shown
from mlops_ci.report.validation import render_validation_markdown, render_validation_text
from mlops_ci.stages.base import StageResult
from mlops_ci.stages.results import MonitorOutcome

_DRY_RUN_ISSUE = {"upsert": "open or update the model's issue", "close": "close the model's issue",
                  "none": ""}


def result_markdown(result: StageResult) -> str:
    """The job-summary text of one model's run: markdown, text from outside escaped."""
    head = f"## Monitoring {escape_markdown(result.model)}: {escape_markdown(result.summary)}"
    outcome = result.detail
    if not isinstance(outcome, MonitorOutcome):
        return head + "\n"
    lines = [head, ""]
    lines += [f"- {line}" for line in action_lines(outcome, show=escape_markdown, link=str)]
    if outcome.check.drift is not None:
        lines += ["", render_drift_markdown(outcome.check.drift).rstrip("\n")]
    lines += [
        render_validation_markdown(v).rstrip("\n") for v in outcome.check.validations if v.findings
    ]
    if outcome.check.feedback is not None:
        lines += ["", feedback_markdown(outcome.check.feedback).rstrip("\n")]
    return "\n".join(lines) + "\n"


def result_text(result: StageResult) -> str:
    """The terminal (and job log) text of one model's run: ``result_markdown``'s content as
    plain text, every name and note from outside through ``report.terminal.shown``."""
    head = f"Monitoring {shown(result.model)}: {shown(result.summary)}"
    outcome = result.detail
    if not isinstance(outcome, MonitorOutcome):
        return head + "\n"
    lines = [head]
    lines += [f"  - {line}" for line in action_lines(outcome, show=shown, link=shown)]
    if outcome.check.drift is not None:
        lines += ["", render_drift_text(outcome.check.drift).rstrip("\n")]
    for validation in outcome.check.validations:
        if validation.findings:
            lines += ["", render_validation_text(validation).rstrip("\n")]
    if outcome.check.feedback is not None:
        lines += ["", feedback_text(outcome.check.feedback).rstrip("\n")]
    return defuse_workflow_commands("\n".join(lines) + "\n")


def _served_line(answer: ServedVersion, show: Callable[[str], str]) -> str:
    where = f"{show(answer.environment)} ({show(answer.url)})"
    if answer.error is not None:
        return f"{where}: could not ask which version it serves: {show(answer.error)}"
    if not answer.serves_model:
        return f"{where}: does not serve the model (the registry says {show(answer.expected)})"
    served = ", ".join(show(version) for version in answer.served) or "no version named"
    verdict = "differs from" if answer.mismatch else "matches"
    return f"{where}: serves {served}, which {verdict} the registry's {show(answer.expected)}"


def action_lines(
    outcome: MonitorOutcome, *, show: Callable[[str], str], link: Callable[[str], str]
) -> list[str]:
    """What was done (or, on a dry run, what would be), one line each.

    ``show`` renders text from outside (notes, warnings): ``escape_markdown`` for markdown,
    ``report.terminal.shown`` for a terminal. ``link`` renders the issue URL (GitHub's own,
    or the outbox file), which markdown keeps as it is.
    """
    decision, taken = outcome.decision, outcome.taken
    lines = [show(note) for note in outcome.notes]
    if outcome.check.reference.note:
        lines.append(show(outcome.check.reference.note))
    lines += [_served_line(answer, show) for answer in outcome.check.served]
    if taken is None:
        writes = [_DRY_RUN_ISSUE[decision.issue], "request retraining" if decision.dispatch else ""]
        writes = [write for write in writes if write]
        lines.append("dry run: " + ("would " + " and ".join(writes) if writes
                                    else "nothing to write"))
        return lines
    if taken.issue is not None:
        where = f" #{taken.issue.number}" if taken.issue.number is not None else ""
        url = link(taken.issue.url or "")
        lines.append(f"issue{where}: {taken.issue.outcome.value} {url}".rstrip())
    if taken.closed is not None:
        lines.append(f"issue closed: {taken.closed.outcome.value}")
    if taken.dispatch is not None:
        lines.append(f"retraining dispatch: {taken.dispatch.outcome.value}")
    elif decision.dispatch:
        lines.append(f"retraining dispatch: {show(taken.dispatch_note or '')}")
    if decision.issue is IssueAction.NONE and not decision.dispatch:
        lines.append(f"nothing to write ({decision.reason})")
    lines += [f"warning: {show(warning)}" for warning in taken.warnings]
    return lines
