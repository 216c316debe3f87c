"""``mlops-ci run``: event + config -> plan -> stages -> report.

Each planned step runs inside a ``::group::`` with its timing; results flow into one report
that goes to the job summary and, on a pull request, to the one PR comment, or with
``pull_request_report="artifact"`` (the action's default) to the stored results that the
``workflow_run`` job renders and posts (``commands.report``). Outputs go to
``GITHUB_OUTPUT``. A failed gate or check exits 1; everything else that goes wrong is an
``MlopsError`` raised to the entry point (exit 2 or 3).

When a model's ``validate`` or ``train`` stage fails, its later stages are skipped with that
reason: evaluating data that failed its schema, or a model that was not trained, says nothing.

An error that stops the run after its config was read (a training script that raises, a
token refused, an unreadable event) still leaves this run's report, published like any other
(``commands.run_report``): the step that failed, its exit code, the last lines its command
printed, the stages that ran before and those not run. Then the error goes on to the entry
point, which prints it and exits 2 or 3 as before.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from mlops_ci.actions import group
from mlops_ci.backends.git import Git
from mlops_ci.commands.report import post_stored_report
from mlops_ci.commands.run_report import (
    PullRequestReport,
    Target,
    publish,
    run_error,
    run_info,
)
from mlops_ci.config.loader import default_config_path, load_config
from mlops_ci.config.model import Config, StageName
from mlops_ci.errors import EXIT_CHECK_FAILED, EXIT_OK, MlopsError, UserError
from mlops_ci.forge.protocol import Permission
from mlops_ci.forge.select import open_forge
from mlops_ci.planner import build_plan
from mlops_ci.report.model import build_report
from mlops_ci.report.renderings import ReportRenderings
from mlops_ci.report.terminal import shown
from mlops_ci.requirements.environment import prepare as prepare_requirements
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
    from mlops_ci.events import Event
    from mlops_ci.forge.protocol import Forge
    from mlops_ci.plan import Plan
    from mlops_ci.report.model import Report

BLOCKING = frozenset({StageName.VALIDATE, StageName.TRAIN})
NEEDS_PACKAGES = frozenset({StageName.TRAIN, StageName.EVALUATE, StageName.MONITOR})
"""The stages that run the user's code or load the model here: train.requirements applies."""


@dataclass(frozen=True, slots=True)
class RunRequest:
    config: Path | None = None
    event_name: str | None = None
    event_path: Path | None = None
    dry_run: bool = False
    models: tuple[str, ...] = ()  # only these models (all when empty)
    run_dir: Path | None = None  # default: <workspace>/.mlops/run
    cwd: Path | None = None  # the folder a relative config path is read from (default: the cwd)
    # The action's: where train.requirements venvs are cached (None: check this environment)
    requirements_cache: Path | None = None
    # a pull request's report: "comment" it here (a write token), or store it as "artifact"
    # for the workflow_run job (two phases: the pull request's code never holds a write token)
    pull_request_report: PullRequestReport = "comment"


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
    """Run the plan of this event; an ``MlopsError`` after the config was read leaves the
    run's report (see the module docstring) and is raised again."""
    env = os.environ if environ is None else environ
    stream = out if out is not None else sys.stdout
    config = load_config(request.config or default_config_path(env), cwd=request.cwd)
    progress = _Progress(request, config, env, stream, forge)
    try:
        return _execute(progress)
    except MlopsError as error:
        _report_error(progress, error)
        raise


@dataclass(slots=True)
class _Progress:
    """What a run knows so far, filled in as it goes: an error's report is built from it.

    ``step`` names the part of the run going on (a stage's name while a stage runs, with
    ``model``); ``results`` are the stage results so far.
    """

    request: RunRequest
    config: Config
    environ: Mapping[str, str]
    out: TextIO
    forge: Forge | None
    step: str = "event"
    model: str | None = None
    local_sha: str | None = None
    event: Event | None = None
    plan: Plan | None = None
    run_dir: Path | None = None
    results: list[StageResult] = field(default_factory=list)


def _execute(progress: _Progress) -> RunOutcome:
    request, config, env, stream = (
        progress.request, progress.config, progress.environ, progress.out)
    progress.local_sha = _local_sha(config.root)
    event = read_event(
        env,
        event_name=request.event_name,
        event_path=request.event_path,
        local_sha=progress.local_sha,
    )
    progress.event, progress.step = event, "plan"
    plan = _restrict(build_plan(config, event), config, request.models)
    progress.plan = plan
    _print_plan(plan, stream)
    if plan.posts_stored_report:
        progress.step = "report"
        return _post_stored_report(plan, config, env, stream, progress.forge)
    if plan.is_empty:
        return _nothing_to_do(progress, plan, event)
    progress.step = "preflight"
    chosen_forge = progress.forge if progress.forge is not None else open_forge(config.root, env)
    progress.forge = chosen_forge
    if not request.dry_run:
        _preflight(plan, config, chosen_forge, stream)
    progress.step = "requirements"
    models = dict.fromkeys(step.model for step in plan.steps if step.stage in NEEDS_PACKAGES)
    venvs = prepare_requirements(config, [config.model(name) for name in models],
                                 cache_dir=request.requirements_cache, environ=env, out=stream)
    progress.step = "run folder"
    run_dir = _make_run_dir(request.run_dir or config.root / ".mlops" / "run")
    progress.run_dir = run_dir
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
        venvs=venvs,
    )
    results = _run_steps(plan, context, stream, progress)
    progress.step, progress.model = "report", None
    return _finish(plan, config, event, context, results, request.pull_request_report)


def _run_steps(
    plan: Plan, context: StageContext, out: TextIO, progress: _Progress
) -> list[StageResult]:
    done: dict[tuple[str, StageName], StageResult] = {}
    results = progress.results
    blocked: dict[str, str] = {}
    steps = [step for step in plan.steps if step.stage is not StageName.REPORT]
    for index, step in enumerate(steps, start=1):
        model = context.config.model(step.model)
        title = f"[{index}/{len(steps)}] {step.model}: {step.stage.value}"
        progress.step, progress.model = step.stage.value, step.model
        with group(title, environ=context.environ, out=out):
            started = time.monotonic()
            if step.model in blocked:
                result = StageResult(step.stage, step.model, Status.SKIPPED, blocked[step.model])
            else:
                stage_context = dataclasses.replace(context, results=dict(done), step=step)
                try:
                    result = STAGES[step.stage]().run(stage_context, model)
                except MlopsError as error:
                    seconds = time.monotonic() - started
                    summary = run_error(error, step.stage.value).summary
                    results.append(
                        StageResult(step.stage, step.model, Status.ERROR, summary, seconds)
                    )
                    why = f"not run: {step.model} {step.stage.value} stopped the run"
                    results.extend(
                        StageResult(later.stage, later.model, Status.SKIPPED, why)
                        for later in steps[index:]
                    )
                    raise
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
    pull_request_report: PullRequestReport,
) -> RunOutcome:
    info = run_info(config, event, context.environ)
    report = build_report(info, results, dry_run=context.dry_run)
    target = Target(config, context.run_dir, context.environ, context.out, context.dry_run,
                    event, plan, context.forge, pull_request_report)
    published = publish(report, target)
    code = EXIT_CHECK_FAILED if report.status is Status.FAILED else EXIT_OK
    return RunOutcome(code, plan, report, published.markdown, published.comment_url)


def _nothing_to_do(progress: _Progress, plan: Plan, event: Event) -> RunOutcome:
    """A run with nothing to do still leaves its own report (what ``mlops-ci report`` then
    shows), saying why; it posts no comment."""
    progress.step = "report"
    run_dir = _make_run_dir(progress.request.run_dir or progress.config.root / ".mlops" / "run")
    info = run_info(progress.config, event, progress.environ)
    report = build_report(info, [], dry_run=progress.request.dry_run, notes=plan.reasons)
    target = Target(progress.config, run_dir, progress.environ, progress.out,
                    progress.request.dry_run, event, plan, None)
    published = publish(report, target)
    return RunOutcome(EXIT_OK, plan, report, published.markdown, None)


def _report_error(progress: _Progress, error: MlopsError) -> None:
    """Publish the report of a run ``error`` stopped; never hides ``error`` behind another.

    An error while reporting (the step ``report``) is not posted again: the forge that just
    failed would be asked the same thing twice.
    """
    out = progress.out
    run_dir = progress.run_dir
    if run_dir is None:
        try:
            run_dir = _make_run_dir(
                progress.request.run_dir or progress.config.root / ".mlops" / "run")
        except MlopsError as failure:
            print(f"no report of this error: {shown(failure.message)}", file=out)
            return
    where = run_error(error, progress.step, progress.model)
    info = run_info(progress.config, progress.event, progress.environ, progress.local_sha)
    report = build_report(info, progress.results, dry_run=progress.request.dry_run, error=where)
    forge = None if progress.step == "report" else progress.forge
    target = Target(progress.config, run_dir, progress.environ, out,
                    progress.request.dry_run, progress.event, progress.plan, forge,
                    progress.request.pull_request_report)
    try:
        publish(report, target)
    except MlopsError as failure:
        print(f"the report of this error was not posted: {shown(failure.message)}", file=out)


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
