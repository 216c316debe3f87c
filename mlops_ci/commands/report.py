"""``mlops-ci report``: print the last run's report, or post a stored one (a pull request's
phase 2).

Two-phase reporting of a pull request (see ``report/stored.py`` for the folder):

1. The ``pull_request`` run executes the pull request's code with a token that can only read
   (every pull request, by default, in the workflows ``init`` writes; a fork's always). It
   does not comment: it stores the report's results as an artifact
   (``.mlops/report-artifact/report-artifact.json``, output ``report_artifact``) that the
   workflow uploads; the job summary shows the report anyway.
2. A ``workflow_run`` run of the base repository (the default branch's code, a write token)
   downloads that artifact and runs ``mlops-ci report --post DIR`` (or plain ``mlops-ci
   run``, whose plan for ``workflow_run`` is exactly this). The artifact is untrusted: it is
   validated against ``schemas/report-artifact.schema.json`` and the comment is RENDERED from
   its results by ``render_report``, the renderer of every run, with every string defanged
   and escaped; no markdown from the artifact is posted. Where the run happened (the pull
   request, commit, branch and run link) comes from the event, not the artifact, and a
   trusted provenance footer closes the comment. It is posted only to the open pull request
   whose head is the commit the finished run checked (the event's ``head_sha``, not the
   artifact's say-so); a pull request number in the artifact that disagrees is refused (exit
   2). The comment is the same one a normal run upserts: one per pull request and config id,
   edited on a rerun, never replaced by the report of an older run.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from mlops_ci.actions import write_outputs
from mlops_ci.config.loader import default_config_path, load_config
from mlops_ci.errors import EXIT_OK, UserError
from mlops_ci.forge.limits import COMMENT_LIMIT, fit_comment
from mlops_ci.forge.protocol import Outcome, ReportStamp
from mlops_ci.forge.select import open_forge
from mlops_ci.report.escape import escape_markdown
from mlops_ci.report.markdown import render_report
from mlops_ci.report.model import RunInfo
from mlops_ci.report.stored import REPORT_FILE, REPORT_JSON_FILE, read_artifact
from mlops_ci.webhooks import read_event

if TYPE_CHECKING:
    from mlops_ci.config.model import Config
    from mlops_ci.events import Event
    from mlops_ci.forge.protocol import Forge, PullInfo
    from mlops_ci.report.artifact import ReportMeta

DEFAULT_ARTIFACT_DIR = Path(".mlops") / "report-artifact"
MARKER_ROOM = 400  # the two hidden markers the forge puts on top


@dataclass(frozen=True, slots=True)
class ShowReportRequest:
    config: Path | None = None
    run_dir: Path | None = None  # default: <workspace>/.mlops/run
    json: bool = False


@dataclass(frozen=True, slots=True)
class PostReportRequest:
    artifact: Path
    config: Path | None = None
    event_name: str | None = None
    event_path: Path | None = None


@dataclass(frozen=True, slots=True)
class PostResult:
    """What posting a stored report did: the exit code and the comment's URL, if any."""

    exit_code: int
    comment_url: str | None = None


def show_report(
    request: ShowReportRequest,
    *,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
) -> int:
    """Print the last run's ``report.md`` (or ``report.json`` with ``--json``)."""

    env = os.environ if environ is None else environ
    stream = out if out is not None else sys.stdout
    run_dir = request.run_dir or _default_run_dir(request.config, env)
    name = REPORT_JSON_FILE if request.json else REPORT_FILE
    path = run_dir / name
    if not path.is_file():
        raise UserError(
            f"no report in {run_dir} ({name} is missing)",
            hint="run `mlops-ci run` first, or pass --run-dir to the run's folder",
        )
    text = _read_stored(path)
    if request.json:
        text = _reindented_json(path, text)
    stream.write(text if text.endswith("\n") else text + "\n")
    return EXIT_OK


_REWRITE = "run `mlops-ci run` again to rewrite it, or pass --run-dir to another run's folder"


def _read_stored(path: Path) -> str:
    """A report file of the run folder; ``UserError`` naming it when it is not text."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise UserError(f"{path}: not UTF-8 (byte {error.start})", hint=_REWRITE) from None
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror}", hint=_REWRITE) from None


def _reindented_json(path: Path, text: str) -> str:
    """``report.json`` indented for people; ``UserError`` naming it when it is not the
    plain JSON a run writes."""
    try:
        return json.dumps(json.loads(text), indent=2, allow_nan=False)
    except json.JSONDecodeError as error:
        raise UserError(
            f"{path}:{error.lineno}:{error.colno}: not JSON: {error.msg}", hint=_REWRITE
        ) from None
    except (ValueError, RecursionError) as error:  # NaN, a 5,000-digit integer, deep nesting
        reason = str(error).split(";")[0] or type(error).__name__
        raise UserError(f"{path}: not a report mlops-ci wrote: {reason}", hint=_REWRITE) from None


def _default_run_dir(config: Path | None, environ: Mapping[str, str]) -> Path:

    return load_config(config or default_config_path(environ)).root / ".mlops" / "run"


def post_report(
    request: PostReportRequest,
    *,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    forge: Forge | None = None,
) -> int:
    """``mlops-ci report --post DIR``: post the stored report in ``DIR`` to its pull request."""

    env = os.environ if environ is None else environ
    stream = out if out is not None else sys.stdout
    config = load_config(request.config or default_config_path(env))
    event = read_event(env, event_name=request.event_name, event_path=request.event_path)
    chosen = forge if forge is not None else open_forge(config.root, env)
    return post_stored_report(config, event, request.artifact, chosen, env, stream).exit_code


def post_stored_report(
    config: Config,
    event: Event,
    artifact: Path,
    forge: Forge,
    environ: Mapping[str, str],
    out: TextIO,
) -> PostResult:
    """Post the report artifact in ``artifact`` (see the module docstring for every check).

    A missing folder is not an error: the run it belongs to commented itself, or stored
    nothing. Neither is a pull request that is no longer open with that head commit (it was
    closed or pushed to since, so this report is stale): both print why and exit 0.
    """

    if not artifact.exists():
        print(f"no stored report at {artifact}: nothing to post", file=out)
        return PostResult(EXIT_OK)
    stored = read_artifact(artifact)
    meta = stored.meta
    if meta.config_id != config.id:
        raise UserError(
            f"refused: the stored report is for config id {meta.config_id!r}, "
            f"{config.file.name} has id {config.id!r}",
            hint="the pull request changed `id:`; its report cannot be posted as this config's",
        )
    run = event.workflow_run
    if run is not None and (meta.head_sha, meta.run_id) != (run.head_sha, run.id):
        raise UserError(
            f"refused: the stored report names commit {meta.head_sha[:12]} of run "
            f"{meta.run_id}, but run {run.id} checked {run.head_sha[:12]}",
            hint="download the artifact of the run this event is about "
            "(run-id: ${{ github.event.workflow_run.id }})",
        )
    head_ref = run.head_branch if run is not None else meta.head_ref
    pull = forge.find_pull_by_head(meta.head_sha, head_ref)
    if pull is None:
        print(
            f"no open pull request has head {meta.head_sha[:12]} (closed, or pushed to "
            "since): nothing posted",
            file=out,
        )
        return PostResult(EXIT_OK)
    linked = run.pull_numbers if run is not None else ()
    if (meta.pr_number is not None and meta.pr_number != pull.number) or (
        linked and pull.number not in linked
    ):
        claimed = meta.pr_number if meta.pr_number is not None else linked
        raise UserError(
            f"refused: the stored report claims pull request #{claimed}, but the open pull "
            f"request with head {meta.head_sha[:12]} is #{pull.number}",
            hint="the artifact was changed after its run; nothing was posted",
        )
    if not config.report.comment:
        print(f"report.comment is off in {config.file.name}: nothing posted", file=out)
        return PostResult(EXIT_OK)
    stamp = ReportStamp(head_sha=meta.head_sha, run_key=run.id if run is not None else meta.run_id)
    report = dataclasses.replace(stored.report, run=_trusted_run(config, event, meta, pull))
    markdown = render_report(report, collapse=config.report.collapse_details)
    footer = _provenance(event, meta.run_id)
    room = COMMENT_LIMIT - len(footer) - MARKER_ROOM
    body = fit_comment(markdown, limit=room) + footer
    result = forge.upsert_report_comment(pull.number, config.id, body, stamp)
    if result.outcome is Outcome.READ_ONLY:
        raise UserError(
            f"cannot comment on #{pull.number}: {result.warning}",
            hint="the posting job needs `permissions: pull-requests: write`",
        )
    print(f"report comment on #{pull.number} {result.outcome.value}: {result.url}", file=out)
    if result.url:
        write_outputs({"report_url": result.url}, environ=environ)
    return PostResult(EXIT_OK, result.url)


def _trusted_run(config: Config, event: Event, meta: ReportMeta, pull: PullInfo) -> RunInfo:
    """Where the run happened, from what this run trusts and never from the artifact: the pull
    request GitHub found by the head commit (its number, title and branch), the commit, and
    the link to the run the event names."""
    run = event.workflow_run
    run_url = None
    if run is not None and event.repository:
        run_url = f"{event.server_url}/{event.repository}/actions/runs/{run.id}"
    return RunInfo(
        event=f"pull_request #{pull.number}",
        ref=pull.head_ref,
        sha=meta.head_sha,
        config_id=config.id,
        run_url=run_url,
        title=pull.title,
    )


def _provenance(event: Event, run_id: int) -> str:
    """A trusted footer: the report above was produced by another run (a fork's code)."""

    run = event.workflow_run
    if run is None:
        return f"\n\n---\n_Posted from the report stored by run {run_id}._\n"
    source = escape_markdown(run.head_repository or "a deleted fork")
    where = f"run {run.id}"
    if event.repository:
        where = f"[run {run.id}]({event.server_url}/{event.repository}/actions/runs/{run.id})"
    return (
        f"\n\n---\n_Produced by {where} of a pull request from {source}, whose token "
        "could only read; rendered from its stored results and posted by the base "
        "repository's workflow\\_run job._\n"
    )
