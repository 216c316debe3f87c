"""``mlops-ci monitor``: compare production data with the production version's reference.

For each model with a ``monitor`` section (or the one ``--model`` names) the ``monitor`` stage
runs: drift or data-quality errors open or update the model's one issue (with the trend of the
last runs) and may dispatch retraining once per run; a clean run closes the issue.

Exit codes: 0 nothing found (or no version in production yet); 1 a finding (the check failed
as designed): the dataset drifted (its share or key-column rule), a column drifted strongly
(corrected p-value below 1e-6, or a distance at least twice its threshold), the production
data has data-quality errors, live quality dropped beyond its tolerance, or an environment of
the production stage serves another version than the registry's (its model metadata, ``GET
/v2/models/NAME``, says so); 2 bad config or data; 3 GitHub failed after retries.
Without ``--json`` the terminal (or the job log) gets plain text (``report.monitor_summary.
result_text``: names from the data shown as they are, control characters and workflow commands
made inert); ``--json`` prints one stable object (see ``result_json``). Under GitHub Actions the
outputs ``verdict`` (``run``'s vocabulary: ``passed``, ``failed`` or ``skipped`` here),
``drift`` and ``quality_drop`` (``true``/``false``) and ``issue_url`` are set and the job
summary gets the report as escaped markdown (``report.monitor_summary.result_markdown``), as
the issue does.
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
from typing import TextIO

from mlops_ci import actions
from mlops_ci.config.loader import default_config_path, load_config
from mlops_ci.config.model import Config, ModelSpec
from mlops_ci.data.results import to_json
from mlops_ci.errors import EXIT_CHECK_FAILED, EXIT_OK, UserError
from mlops_ci.forge.protocol import Forge
from mlops_ci.forge.select import open_forge
from mlops_ci.report.model import RunInfo, build_report
from mlops_ci.report.monitor_summary import result_markdown, result_text
from mlops_ci.report.renderings import ReportRenderings
from mlops_ci.requirements.environment import prepare as prepare_requirements
from mlops_ci.stages.base import StageContext, StageResult, Status
from mlops_ci.stages.monitor import MonitorStage
from mlops_ci.stages.results import MonitorOutcome
from mlops_ci.webhooks import read_event


@dataclass(frozen=True, slots=True)
class MonitorRequest:
    config: Path | None = None  # None: the action's input or ./mlops.yaml
    model: str | None = None  # None: every model with a monitor section
    dry_run: bool = False
    json: bool = False
    # The action's: where train.requirements venvs are cached (None: check this environment)
    requirements_cache: Path | None = None


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
        venvs = prepare_requirements(config, models, cache_dir=request.requirements_cache,
                                     environ=environ, out=log)
        context = StageContext(
            config=config, event=event, forge=used_forge, workspace=config.root,
            run_dir=Path(scratch), environ=environ, out=log, render=ReportRenderings(),
            dry_run=request.dry_run, venvs=venvs,
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

    unplaced = RunInfo(event="monitor", ref=None, sha=None, config_id="")  # decides no status
    return build_report(unplaced, list(results)).status


def result_json(results: Sequence[StageResult], *, dry_run: bool) -> dict[str, object]:
    """The stable ``--json`` object: overall verdict, then one entry per model."""
    entries = [_model_json(result) for result in results]
    return {
        "drift": any(entry["drifted"] or entry["strongly_drifted"] for entry in entries),
        "alert": any(entry["status"] == Status.FAILED.value for entry in entries),
        "dry_run": dry_run,
        "models": entries,
    }


_MODEL_KEYS = (
    "version", "data_errors", "rows", "production", "reference", "run", "decision", "history",
    "notes", "drift", "drift_error", "validation", "feedback", "issue", "dispatch", "warnings",
)


def _model_json(result: StageResult) -> dict[str, object]:

    entry: dict[str, object] = {
        "model": result.model,
        "status": result.status.value,
        "summary": result.summary,
        "drifted": False,
        "strongly_drifted": [],
        "findings": [],
        "served": [],
        **dict.fromkeys(_MODEL_KEYS),
    }
    outcome = result.detail
    if not isinstance(outcome, MonitorOutcome):
        return entry
    check, decision, taken = outcome.check, outcome.decision, outcome.taken
    entry.update(
        version=check.version,
        drifted=check.drifted,
        strongly_drifted=list(check.strongly_drifted),
        findings=list(check.finding_kinds()),
        served=[{"environment": answer.environment, "url": answer.url,
                 "expected": answer.expected, "served": list(answer.served),
                 "serves_model": answer.serves_model, "mismatch": answer.mismatch,
                 "error": answer.error} for answer in check.served],
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
                  "reason": decision.reason, "labels": list(decision.labels)},
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
