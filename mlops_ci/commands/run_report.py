"""Where a run's report goes: the run folder, the job summary, the pull request's comment.

``publish`` writes what ``report/`` rendered: ``report.md`` and ``report.json`` in the run
folder (what ``mlops-ci report`` shows), the job summary, on a pull request the one report
comment, or, when the pull request's report goes by artifact (``pull_request_report:
artifact``, the default of the workflows ``init`` writes; always for a fork's), the stored
results the ``workflow_run`` job renders and posts, and last the step's outputs: the verdict,
where the report is, each stage's own.

A run that an error stopped publishes its report the same way (its ``RunError`` built by
``run_error``) before the error goes on to the entry point, so the comment and ``mlops-ci
report`` never show the report of an earlier commit as if it were this one's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO

from mlops_ci.actions import append_summary, command, in_actions, write_outputs
from mlops_ci.backends.process import CommandFailed, CommandTimedOut
from mlops_ci.config.model import Config, StageName
from mlops_ci.errors import ExternalError, InputProblems, MlopsError
from mlops_ci.forge.limits import fit_comment, fit_summary
from mlops_ci.forge.protocol import Outcome, ReportStamp
from mlops_ci.report.markdown import render_report
from mlops_ci.report.model import RunError, RunInfo
from mlops_ci.report.stored import REPORT_JSON_FILE, ReportMeta, report_to_json, write_artifact

PullRequestReport = Literal["artifact", "comment"]
PULL_REQUEST_REPORTS: tuple[PullRequestReport, ...] = ("artifact", "comment")

if TYPE_CHECKING:
    from mlops_ci.events import Event, PullRequestRef
    from mlops_ci.forge.protocol import Forge
    from mlops_ci.plan import Plan
    from mlops_ci.report.model import Report


@dataclass(frozen=True, slots=True)
class Published:
    """What ``publish`` wrote: the markdown, the file, the comment's URL, the outputs."""

    markdown: str
    report_file: Path
    comment_url: str | None
    outputs: dict[str, str]


@dataclass(frozen=True, slots=True)
class Target:
    """Where one run's report goes; ``event``, ``plan`` and ``forge`` are ``None`` when an
    error stopped the run before it knew them (then there is no comment to write)."""

    config: Config
    run_dir: Path
    environ: Mapping[str, str]
    out: TextIO
    dry_run: bool = False
    event: Event | None = None
    plan: Plan | None = None
    forge: Forge | None = None
    pull_request_report: PullRequestReport = "comment"  # "artifact": phase 1 of two


def publish(report: Report, target: Target) -> Published:
    """Write ``report`` everywhere ``target`` says (see the module docstring)."""
    config, environ, out = target.config, target.environ, target.out
    markdown = render_report(report, collapse=config.report.collapse_details)
    report_file = target.run_dir / "report.md"
    report_file.write_text(markdown, encoding="utf-8")
    text = json.dumps(report_to_json(report), indent=2, allow_nan=False)
    (target.run_dir / REPORT_JSON_FILE).write_text(text + "\n", encoding="utf-8")
    if config.report.summary:
        append_summary(fit_summary(markdown), environ=environ)
    outputs = {
        "verdict": report.status.value,
        "report_path": workspace_relative(report_file, environ),
    }
    comment_url = None
    event, plan, forge = target.event, target.plan, target.forge
    wanted = plan is not None and StageName.REPORT in plan.stages and config.report.comment
    if wanted and event is not None and event.pr is not None and forge is not None:
        pr = event.pr
        if target.pull_request_report == "comment":
            comment_url = _post_comment(target, forge, event, pr, fit_comment(markdown))
        if comment_url is None and not target.dry_run:
            outputs["report_artifact"] = _store_artifact(target, event, pr, report)
    for model in report.models:
        for result in model.results:
            outputs.update(dict(result.outputs))
    if comment_url:
        outputs["report_url"] = comment_url
    write_outputs(outputs, environ=environ)
    print(f"{report.status.value}: report in {report_file}", file=out)
    return Published(markdown, report_file, comment_url, outputs)


def run_error(error: MlopsError, step: str, model: str | None = None) -> RunError:
    """The report's view of ``error``, raised by ``step`` (of ``model``, for a stage).

    A command that failed or timed out keeps its last lines apart (``output``), as lines;
    problems in an input file become one line each; any further line of the message is kept.
    """
    output: tuple[str, ...] = ()
    details: tuple[str, ...] = ()
    if isinstance(error, CommandFailed | CommandTimedOut):
        summary, output = error.headline, error.tail
    elif isinstance(error, InputProblems):
        summary = error.message
        details = tuple(problem.format() for problem in error.problems)
    else:
        summary, *rest = error.message.split("\n")
        details = tuple(rest)
    if isinstance(error, ExternalError) and error.attempts > 1:
        details += (f"gave up after {error.attempts} attempts",)
    return RunError(step, model, error.exit_code, summary, output, details, error.hint)


def run_info(config: Config, event: Event | None, environ: Mapping[str, str],
             local_sha: str | None = None) -> RunInfo:
    """Where and why the run happened; without an event (it could not be read), what the
    environment says and the checkout's own commit."""
    if event is None:
        name = environ.get("GITHUB_EVENT_NAME") or "local run"
        return RunInfo(event=name, ref=None, sha=local_sha, config_id=config.id)
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


def workspace_relative(path: Path, environ: Mapping[str, str]) -> str:
    """``path`` relative to ``GITHUB_WORKSPACE``: later steps run on the host, where the
    container's ``/github/workspace`` does not exist but the same relative path does."""
    workspace = environ.get("GITHUB_WORKSPACE")
    if workspace:
        try:
            return path.resolve().relative_to(Path(workspace).resolve()).as_posix()
        except ValueError:
            pass
    return str(path)


def _post_comment(
    target: Target, forge: Forge, event: Event, pr: PullRequestRef, body: str
) -> str | None:
    """Upsert the PR comment; ``None`` when it was not written (dry run, fork, read-only).

    A fork's pull request is not even tried: its token is read-only, and its report is
    stored for the ``workflow_run`` phase instead (see ``commands/report.py``).
    """
    out = target.out
    if target.dry_run:
        print(f"dry run: would update the report comment on #{pr.number}", file=out)
        return None
    if event.untrusted:
        _notice(target, f"#{pr.number} comes from a fork: its token cannot comment")
        return None
    run_key = int(target.environ.get("GITHUB_RUN_ID", "0") or 0)
    stamp = ReportStamp(head_sha=pr.head_sha, run_key=run_key)
    result = forge.upsert_report_comment(pr.number, target.config.id, body, stamp)
    if result.outcome is Outcome.READ_ONLY:
        _notice(target, f"cannot comment on #{pr.number}: {result.warning}")
        return None
    print(f"report comment {result.outcome.value}: {result.url}", file=out)
    return result.url


def _notice(target: Target, message: str) -> None:
    shown = command("notice", message) if in_actions(target.environ) else message
    print(shown, file=target.out)


def _store_artifact(target: Target, event: Event, pr: PullRequestRef, report: Report) -> str:
    """Phase 1 of two: store the report's results for the ``workflow_run`` job, which
    renders and posts them (``pull_request_report: artifact``, or no write token).

    Returns the folder as the workflow's upload step must name it: relative to
    ``GITHUB_WORKSPACE`` when inside it (a Docker action sees the workspace under another
    absolute path than the runner does).
    """
    config = target.config
    folder = config.root / ".mlops" / "report-artifact"
    meta = ReportMeta(
        config_id=config.id,
        head_sha=pr.head_sha,
        run_id=int(target.environ.get("GITHUB_RUN_ID", "0") or 0),
        pr_number=pr.number,
        head_ref=pr.head_ref,
        base_ref=pr.base_ref,
        repository=event.repository,
    )
    write_artifact(folder, report, meta)
    shown = workspace_relative(folder, target.environ)
    print(
        f"report stored in {shown} (output report_artifact): upload it with "
        "actions/upload-artifact, and the workflow_run job (mlops-report.yml) renders and "
        "posts it; "
        "the job summary shows it now",
        file=target.out,
    )
    return shown
