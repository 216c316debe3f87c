"""``mlops-ci run``: event + config -> plan -> stages -> report.

Each planned step runs inside a ``::group::`` with its timing; results flow into one report
that goes to the job summary and, on a pull request, to the one PR comment. Outputs go to
``GITHUB_OUTPUT``. A failed gate or check exits 1; everything else that goes wrong is an
``MlopsError`` raised to the entry point (exit 2 or 3).

When a model's ``validate`` or ``train`` stage fails, its later stages are skipped with that
reason: evaluating data that failed its schema, or a model that was not trained, says nothing.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from mlops_ci.actions import append_summary, command, group, in_actions, write_outputs
from mlops_ci.backends.git import Git
from mlops_ci.commands.report import post_stored_report
from mlops_ci.config.loader import default_config_path, load_config
from mlops_ci.config.model import Config, StageName
from mlops_ci.errors import EXIT_CHECK_FAILED, EXIT_OK, UserError
from mlops_ci.forge.limits import fit_comment, fit_summary
from mlops_ci.forge.protocol import Outcome, Permission, ReportStamp
from mlops_ci.forge.select import open_forge
from mlops_ci.planner import build_plan
from mlops_ci.report.markdown import render_report
from mlops_ci.report.model import RunInfo, build_report
from mlops_ci.report.renderings import ReportRenderings
from mlops_ci.report.stored import REPORT_JSON_FILE, ReportMeta, report_to_json, write_artifact
from mlops_ci.stages.base import Stage, StageContext, StageResult, Status
from mlops_ci.stages.deploy import DeployStage
from mlops_ci.stages.drift import DriftStage
from mlops_ci.stages.evaluate import EvaluateStage
from mlops_ci.stages.monitor import MonitorStage
from mlops_ci.stages.register import RegisterStage
from mlops_ci.stages.train import TrainStage
from mlops_ci.stages.validate import ValidateStage
from mlops_ci.webhooks import read_event

if TYPE_CHECKING:
    from mlops_ci.events import Event, PullRequestRef
    from mlops_ci.forge.protocol import Forge
    from mlops_ci.plan import Plan
    from mlops_ci.report.model import Report, RunInfo

BLOCKING = frozenset({StageName.VALIDATE, StageName.TRAIN})


@dataclass(frozen=True, slots=True)
class RunRequest:
    config: Path | None = None
    event_name: str | None = None
    event_path: Path | None = None
    dry_run: bool = False
    models: tuple[str, ...] = ()  # only these models (all when empty)
    run_dir: Path | None = None  # default: <workspace>/.mlops/run
    cwd: Path | None = None  # the folder a relative config path is read from (default: the cwd)


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What a run did, for callers that drive several runs (``demo``, tests)."""

    exit_code: int
    plan: Plan
    report: Report | None
    markdown: str | None
    comment_url: str | None


STAGES: dict[StageName, Callable[[], Stage]] = {
    StageName.VALIDATE: ValidateStage,
    StageName.DRIFT: DriftStage,
    StageName.TRAIN: TrainStage,
    StageName.EVALUATE: EvaluateStage,
    StageName.REGISTER: RegisterStage,
    StageName.DEPLOY: DeployStage,
    StageName.MONITOR: MonitorStage,
}
"""Stage name -> the stage's class; a run makes a fresh stage for every step."""


def run(
    request: RunRequest,
    *,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    forge: Forge | None = None,
) -> int:
    return execute(request, environ=environ, out=out, forge=forge).exit_code


def execute(
    request: RunRequest,
    *,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    forge: Forge | None = None,
) -> RunOutcome:

    env = os.environ if environ is None else environ
    stream = out if out is not None else sys.stdout
    config = load_config(request.config or default_config_path(env), cwd=request.cwd)
    event = read_event(
        env,
        event_name=request.event_name,
        event_path=request.event_path,
        local_sha=_local_sha(config.root),
    )
    plan = _restrict(build_plan(config, event), config, request.models)
    _print_plan(plan, stream)
    if plan.posts_stored_report:
        return _post_stored_report(plan, config, env, stream, forge)
    if plan.is_empty:
        write_outputs({"verdict": "skipped"}, environ=env)
        return RunOutcome(EXIT_OK, plan, None, None, None)
    chosen_forge = forge if forge is not None else open_forge(config.root, env)
    if not request.dry_run:
        _preflight(plan, config, chosen_forge, stream)
    run_dir = _make_run_dir(request.run_dir or config.root / ".mlops" / "run")
    context = StageContext(
        config=config,
        event=event,
        forge=chosen_forge,
        workspace=config.root,
        run_dir=run_dir,
        environ=env,
        out=stream,
        render=ReportRenderings(),
        dry_run=request.dry_run,
    )
    results = _run_steps(plan, context, stream)
    return _finish(plan, config, event, context, results, stream)


def _run_steps(plan: Plan, context: StageContext, out: TextIO) -> list[StageResult]:
    done: dict[tuple[str, StageName], StageResult] = {}
    results: list[StageResult] = []
    blocked: dict[str, str] = {}
    steps = [step for step in plan.steps if step.stage is not StageName.REPORT]
    for index, step in enumerate(steps, start=1):
        model = context.config.model(step.model)
        title = f"[{index}/{len(steps)}] {step.model}: {step.stage.value}"
        with group(title, environ=context.environ, out=out):
            started = time.monotonic()
            if step.model in blocked:
                result = StageResult(step.stage, step.model, Status.SKIPPED, blocked[step.model])
            else:
                stage_context = dataclasses.replace(context, results=dict(done), step=step)
                result = STAGES[step.stage]().run(stage_context, model)
            result = dataclasses.replace(result, seconds=time.monotonic() - started)
            print(
                f"{result.status.value}: {result.summary} ({result.seconds:.1f} s)",
                file=out,
                flush=True,
            )
        if result.status is Status.FAILED and step.stage in BLOCKING:
            blocked[step.model] = f"skipped: {step.stage.value} failed"
        done[(step.model, step.stage)] = result
        results.append(result)
    return results


def _finish(
    plan: Plan,
    config: Config,
    event: Event,
    context: StageContext,
    results: list[StageResult],
    out: TextIO,
) -> RunOutcome:

    report = build_report(
        _run_info(config, event, context.environ), results, dry_run=context.dry_run
    )
    markdown = render_report(report, collapse=config.report.collapse_details)
    report_file = context.run_dir / "report.md"
    report_file.write_text(markdown, encoding="utf-8")
    _write_report_json(context.run_dir, report)
    if config.report.summary:
        append_summary(fit_summary(markdown), environ=context.environ)
    comment_url = None
    outputs = {
        "verdict": report.status.value,
        "report_path": _workspace_relative(report_file, context.environ),
    }
    if StageName.REPORT in plan.stages and config.report.comment and event.pr is not None:
        pr = event.pr
        comment_url = _post_comment(context, config, event, pr, fit_comment(markdown), out)
        if comment_url is None and not context.dry_run:
            outputs["report_artifact"] = _store_artifact(context, config, event, pr, markdown, out)
    for result in results:
        outputs.update(dict(result.outputs))
    if comment_url:
        outputs["report_url"] = comment_url
    write_outputs(outputs, environ=context.environ)
    print(f"{report.status.value}: report in {report_file}", file=out)
    code = EXIT_CHECK_FAILED if report.status is Status.FAILED else EXIT_OK
    return RunOutcome(code, plan, report, markdown, comment_url)


def _post_comment(
    context: StageContext,
    config: Config,
    event: Event,
    pr: PullRequestRef,
    body: str,
    out: TextIO,
) -> str | None:
    """Upsert the PR comment; ``None`` when it was not written (dry run, fork, read-only).

    A fork's pull request is not even tried: its token is read-only, and its report is
    stored for the ``workflow_run`` phase instead (see ``commands/report.py``).
    """

    if context.dry_run:
        print(f"dry run: would update the report comment on #{pr.number}", file=out)
        return None
    if event.untrusted:
        _notice(context, f"#{pr.number} comes from a fork: its token cannot comment", out)
        return None
    run_key = int(context.environ.get("GITHUB_RUN_ID", "0") or 0)
    stamp = ReportStamp(head_sha=pr.head_sha, run_key=run_key)
    result = context.forge.upsert_report_comment(pr.number, config.id, body, stamp)
    if result.outcome is Outcome.READ_ONLY:
        _notice(context, f"cannot comment on #{pr.number}: {result.warning}", out)
        return None
    print(f"report comment {result.outcome.value}: {result.url}", file=out)
    return result.url


def _notice(context: StageContext, message: str, out: TextIO) -> None:

    print(command("notice", message) if in_actions(context.environ) else message, file=out)


def _store_artifact(
    context: StageContext,
    config: Config,
    event: Event,
    pr: PullRequestRef,
    markdown: str,
    out: TextIO,
) -> str:
    """Phase 1 of a report without a write token: store it for the ``workflow_run`` job.

    Returns the folder as the workflow's upload step must name it: relative to
    ``GITHUB_WORKSPACE`` when inside it (a Docker action sees the workspace under another
    absolute path than the runner does).
    """

    folder = config.root / ".mlops" / "report-artifact"
    meta = ReportMeta(
        config_id=config.id,
        head_sha=pr.head_sha,
        run_id=int(context.environ.get("GITHUB_RUN_ID", "0") or 0),
        pr_number=pr.number,
        head_ref=pr.head_ref,
        base_ref=pr.base_ref,
        repository=event.repository,
    )
    write_artifact(folder, fit_comment(markdown), meta)
    shown = _workspace_relative(folder, context.environ)
    print(
        f"report stored in {shown} (output report_artifact): upload it with "
        "actions/upload-artifact, and the workflow_run job (mlops-report.yml) posts it; "
        "the job summary shows it now",
        file=out,
    )
    return shown


def _write_report_json(run_dir: Path, report: Report) -> None:
    import json


    text = json.dumps(report_to_json(report), indent=2, allow_nan=False)
    (run_dir / REPORT_JSON_FILE).write_text(text + "\n", encoding="utf-8")


def _preflight(plan: Plan, config: Config, forge: Forge, out: TextIO) -> None:
    """Before any stage: refuse a run whose writes the token is known not to be allowed.

    The report comment is left out: a refused comment falls back to the stored report.
    """

    needs = [
        need for need in plan.write_permissions(config) if need is not Permission.PULL_REQUESTS
    ]
    if not needs:
        return
    check = forge.check_access(needs)
    if check.missing:
        missing = ", ".join(f"`{need.value}`" for need in check.missing)
        raise UserError(
            f"the token may not write what this run writes: missing {missing}"
            + (f" ({check.note})" if check.note else ""),
            hint="grant it under `permissions:` in the workflow job, or use a token whose "
            "user can push to the repository",
        )
    if not check.verified and check.note:
        print(f"preflight: {check.note}", file=out)


def _post_stored_report(
    plan: Plan, config: Config, environ: Mapping[str, str], out: TextIO, forge: Forge | None
) -> RunOutcome:
    """A ``workflow_run`` run: post the report artifact found in ``.mlops/report-artifact``."""

    chosen = forge if forge is not None else open_forge(config.root, environ)
    folder = config.root / ".mlops" / "report-artifact"
    posted = post_stored_report(config, plan.event, folder, chosen, environ, out)
    return RunOutcome(posted.exit_code, plan, None, None, posted.comment_url)


def _run_info(config: Config, event: Event, environ: Mapping[str, str]) -> RunInfo:

    run_url = None
    if environ.get("GITHUB_RUN_ID") and event.repository:
        run_url = f"{event.server_url}/{event.repository}/actions/runs/{environ['GITHUB_RUN_ID']}"
    pr = event.pr
    return RunInfo(
        event=f"pull_request #{pr.number}" if pr else event.describe(),
        ref=pr.head_ref if pr else event.branch or event.tag,
        ref_kind="tag" if not pr and not event.branch and event.tag else "branch",
        sha=event.sha,
        config_id=config.id,
        run_url=run_url,
        title=pr.title if pr else None,
    )


def _workspace_relative(path: Path, environ: Mapping[str, str]) -> str:
    """``path`` relative to ``GITHUB_WORKSPACE``: later steps run on the host, where the
    container's ``/github/workspace`` does not exist but the same relative path does."""
    workspace = environ.get("GITHUB_WORKSPACE")
    if workspace:
        try:
            return path.resolve().relative_to(Path(workspace).resolve()).as_posix()
        except ValueError:
            pass
    return str(path)


def _make_run_dir(run_dir: Path) -> Path:
    hint = "pass --run-dir a folder this job can write"
    if run_dir.exists() and not run_dir.is_dir():
        raise UserError(f"run folder {run_dir}: a file, not a folder", hint=hint)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create the run folder {run_dir}: {error.strerror}",
                        hint=hint) from None
    return run_dir


def _restrict(plan: Plan, config: Config, models: tuple[str, ...]) -> Plan:
    if not models:
        return plan
    names = [model.name for model in config.models]
    unknown = [name for name in models if name not in names]
    if unknown:
        raise UserError(
            f"no model {', '.join(map(repr, unknown))} in {config.file}",
            hint=f"models: {', '.join(names)}",
        )
    steps = tuple(step for step in plan.steps if step.model in models)
    return dataclasses.replace(plan, steps=steps)


def _print_plan(plan: Plan, out: TextIO) -> None:
    for reason in plan.reasons:
        print(f"plan: {reason}", file=out)
    if plan.is_empty:
        print("plan: nothing to run", file=out)
        return
    steps = ", ".join(f"{step.model}:{step.stage.value}" for step in plan.steps)
    print(f"plan: {steps}", file=out, flush=True)


def _local_sha(root: Path) -> str | None:

    try:
        return Git(root).resolve_commit("HEAD")
    except Exception:  # not a git repository, or no commit yet: a local run without a sha
        return None
