"""``mlops-ci monitor``: compare production data with the production version's reference.

For each model with a ``monitor`` section (or the one ``--model`` names) the ``monitor`` stage
runs: drift or data-quality errors open or update the model's one issue (with the trend of the
last runs) and may dispatch retraining once per run; a clean run closes the issue.

Exit codes: 0 no drift (or no version in production yet), 1 drift or data-quality errors
found (the check failed as designed), 2 bad config or data, 3 GitHub failed after retries.
Without ``--json`` the terminal (or the job log) gets plain text (``result_text``: names from
the data shown as they are, control characters and workflow commands made inert by
``report.terminal``); ``--json`` prints one stable object (see ``result_json``). Under GitHub
Actions the outputs ``verdict`` (``run``'s vocabulary: ``passed``, ``failed`` or ``skipped``
here), ``drift`` and ``quality_drop`` (``true``/``false``) and ``issue_url`` are set and the
job summary gets the report as escaped markdown (``result_markdown``), as the issue does.
``--dry-run`` measures and decides but writes nothing to GitHub or the outbox.
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from mlops_ci.config.model import Config, ModelSpec
from mlops_ci.errors import EXIT_CHECK_FAILED, EXIT_OK, UserError
from mlops_ci.forge.protocol import Forge
from mlops_ci.stages.base import StageResult, Status

if TYPE_CHECKING:
    from mlops_ci.stages.monitor import MonitorOutcome


@dataclass(frozen=True, slots=True)
class MonitorRequest:
    config: Path | None = None  # None: the action's input or ./mlops.yaml
    model: str | None = None  # None: every model with a monitor section
    dry_run: bool = False
    json: bool = False


_DRY_RUN_ISSUE = {"upsert": "open or update the model's issue", "close": "close the model's issue",
                  "none": ""}


def monitor(
    request: MonitorRequest,
    *,
    environ: Mapping[str, str] = os.environ,
    out: TextIO | None = None,
    forge: Forge | None = None,
    clock: Callable[[], float] = time.time,
    remote: str | None = "origin",
) -> int:
    """Run the monitor stage for the chosen models; return the exit code (see module doc)."""
    from mlops_ci import actions
    from mlops_ci.config.loader import default_config_path, load_config
    from mlops_ci.forge.select import open_forge
    from mlops_ci.stages.base import StageContext
    from mlops_ci.stages.monitor import MonitorStage
    from mlops_ci.webhooks import read_event

    stream = out if out is not None else sys.stdout
    config = load_config(
        request.config if request.config is not None else default_config_path(environ)
    )
    models = monitored_models(config, request.model)
    event = read_event(environ)
    used_forge = forge if forge is not None else open_forge(config.root, environ)
    stage = MonitorStage(clock=clock, remote=remote)
    results: list[StageResult] = []
    with tempfile.TemporaryDirectory(prefix="mlops-monitor-") as scratch:
        log = stream if not request.json else io.StringIO()  # --json: stdout is the JSON only
        context = StageContext(
            config=config, event=event, forge=used_forge, workspace=config.root,
            run_dir=Path(scratch), environ=environ, out=log, dry_run=request.dry_run,
        )
        for model in models:
            with actions.group(f"monitor {model.name}", environ=environ, out=log):
                results.append(stage.run(context, model))
    if request.json:
        json.dump(result_json(results, dry_run=request.dry_run), stream, indent=2)
        stream.write("\n")
    else:
        stream.write("\n".join(result_text(result) for result in results))
    actions.write_outputs(outputs(results), environ=environ)
    actions.append_summary("\n".join(result_markdown(result) for result in results),
                           environ=environ)
    failed = any(result.status is Status.FAILED for result in results)
    return EXIT_CHECK_FAILED if failed else EXIT_OK


def monitored_models(config: Config, name: str | None) -> tuple[ModelSpec, ...]:
    """The model ``name`` (which must have a monitor section), else every monitored model."""
    if name is not None:
        try:
            model = config.model(name)
        except KeyError:
            names = ", ".join(m.name for m in config.models)
            raise UserError(
                f"no model {name!r} in {config.file}", hint=f"models: {names}"
            ) from None
        if model.monitor is None:
            raise UserError(
                f"model {name!r} has no monitor section in {config.file}",
                hint="add models.NAME.monitor with production_data (see the README)",
            )
        return (model,)
    chosen = tuple(model for model in config.models if model.monitor is not None)
    if not chosen:
        raise UserError(
            f"no model in {config.file} has a monitor section",
            hint="add models.NAME.monitor with production_data (see the README)",
        )
    return chosen


def outputs(results: Sequence[StageResult]) -> dict[str, str]:
    """``drift``: true when any model drifted; ``quality_drop``: true when any model's live
    quality dropped; ``issue_url``: the issue URLs, one per line; ``verdict``: see ``verdict``."""
    values = [dict(result.outputs) for result in results]
    drift = any(value.get("drift") == "true" for value in values)
    dropped = any(value.get("quality_drop") == "true" for value in values)
    urls = [value["issue_url"] for value in values if value.get("issue_url")]
    return {"drift": "true" if drift else "false", "issue_url": "\n".join(urls),
            "quality_drop": "true" if dropped else "false", "verdict": verdict(results).value}


def verdict(results: Sequence[StageResult]) -> Status:
    """The overall result, folded exactly as ``mlops-ci run`` folds its report's ``verdict``.

    A monitored model passes, fails (drift, data-quality errors, a live-quality drop) or is
    skipped (no version in production): ``failed`` if any failed, else ``passed`` if any
    passed, else ``skipped``.
    """
    from mlops_ci.report.model import RunInfo, build_report

    unplaced = RunInfo(event="monitor", ref=None, sha=None, config_id="")  # decides no status
    return build_report(unplaced, list(results)).status


def result_markdown(result: StageResult) -> str:
    """The job-summary text of one model's run: markdown, text from outside escaped."""
    from mlops_ci.data.markdown import render_drift_markdown, render_validation_markdown
    from mlops_ci.report.escape import escape_markdown
    from mlops_ci.stages.monitor import MonitorOutcome

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
        from mlops_ci.monitoring.feedback.markdown import feedback_markdown

        lines += ["", feedback_markdown(outcome.check.feedback).rstrip("\n")]
    return "\n".join(lines) + "\n"


def result_text(result: StageResult) -> str:
    """The terminal (and job log) text of one model's run: ``result_markdown``'s content as
    plain text, every name and note from outside through ``report.terminal.shown``."""
    from mlops_ci.data.text import render_drift_text, render_validation_text
    from mlops_ci.report.terminal import defuse_workflow_commands, shown
    from mlops_ci.stages.monitor import MonitorOutcome

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
        from mlops_ci.monitoring.feedback.text import feedback_text

        lines += ["", feedback_text(outcome.check.feedback).rstrip("\n")]
    return defuse_workflow_commands("\n".join(lines) + "\n")


def action_lines(
    outcome: MonitorOutcome, *, show: Callable[[str], str], link: Callable[[str], str]
) -> list[str]:
    """What was done (or, on a dry run, what would be), one line each.

    ``show`` renders text from outside (notes, warnings): ``escape_markdown`` for markdown,
    ``report.terminal.shown`` for a terminal. ``link`` renders the issue URL (GitHub's own,
    or the outbox file), which markdown keeps as it is.
    """
    from mlops_ci.monitoring.decision import IssueAction

    decision, taken = outcome.decision, outcome.taken
    lines = [show(note) for note in outcome.notes]
    if outcome.check.reference.note:
        lines.append(show(outcome.check.reference.note))
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


def result_json(results: Sequence[StageResult], *, dry_run: bool) -> dict[str, object]:
    """The stable ``--json`` object: overall verdict, then one entry per model."""
    entries = [_model_json(result) for result in results]
    return {
        "drift": any(entry["drifted"] for entry in entries),
        "alert": any(entry["status"] == Status.FAILED.value for entry in entries),
        "dry_run": dry_run,
        "models": entries,
    }


_MODEL_KEYS = (
    "version", "data_errors", "rows", "production", "reference", "run", "decision", "history",
    "notes", "drift", "drift_error", "validation", "feedback", "issue", "dispatch", "warnings",
)


def _model_json(result: StageResult) -> dict[str, object]:
    from mlops_ci.data.results import to_json
    from mlops_ci.stages.monitor import MonitorOutcome

    entry: dict[str, object] = {
        "model": result.model,
        "status": result.status.value,
        "summary": result.summary,
        "drifted": False,
        **dict.fromkeys(_MODEL_KEYS),
    }
    outcome = result.detail
    if not isinstance(outcome, MonitorOutcome):
        return entry
    check, decision, taken = outcome.check, outcome.decision, outcome.taken
    entry.update(
        version=check.version,
        drifted=check.drifted,
        data_errors=check.data_errors,
        rows=check.rows,
        production=list(check.production),
        reference={
            "path": check.reference.relative.as_posix(),
            "commit": check.reference.commit,
            "at_version": check.reference.at_version,
            "note": check.reference.note,
        },
        run={"run_id": outcome.run.run_id, "attempt": outcome.run.attempt},
        decision={"issue": decision.issue.value, "dispatch": decision.dispatch,
                  "reason": decision.reason},
        history=to_json(decision.entries),
        notes=list(outcome.notes),
        drift=to_json(check.drift),
        drift_error=check.drift_error,
        validation=to_json(check.validations),
        feedback=check.feedback.to_json() if check.feedback is not None else None,
        issue=None,
        dispatch=None,
    )
    if taken is not None:
        if taken.issue is not None:
            entry["issue"] = {
                "outcome": taken.issue.outcome.value,
                "number": taken.issue.number,
                "url": taken.issue.url,
                "closed": taken.closed.outcome.value if taken.closed is not None else None,
            }
        entry["dispatch"] = {
            "outcome": taken.dispatch.outcome.value if taken.dispatch is not None else None,
            "note": taken.dispatch_note,
        }
        entry["warnings"] = list(taken.warnings)
    return entry
