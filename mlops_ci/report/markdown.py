"""Render a ``Report`` as GitHub markdown: the PR comment and the job summary alike.

Pure: a report in, a string out. Every untrusted string (branch, PR title, model, metric and
column names) goes through ``escape_markdown``; tables are built with tabulate's GitHub
format from escaped cells, so a hostile name cannot add a column, a row, a link or a tag.
Detail sections are collapsed in ``<details>`` when ``collapse`` is set, so the comment
stays short and the forge can drop them first when it must shorten the comment.
"""

from __future__ import annotations

from mlops_ci.report.escape import escape_markdown
from mlops_ci.report.failure import ERROR_ICON, error_headline, error_section
from mlops_ci.report.model import ModelReport, Report, RunInfo
from mlops_ci.report.sections import detail_section
from mlops_ci.report.tables import details, table
from mlops_ci.stages.base import Status

ICONS = {
    Status.PASSED: "✅",
    Status.FAILED: "❌",
    Status.SKIPPED: "⏭️",
    Status.WARNING: "⚠️",
    Status.ERROR: ERROR_ICON,
}
HEADLINES = {
    Status.PASSED: "all checks passed",
    Status.FAILED: "checks failed",
    Status.SKIPPED: "nothing to do",
    Status.WARNING: "passed with warnings",
    Status.ERROR: "stopped by an error",
}

def render_report(report: Report, *, collapse: bool = True) -> str:
    """The whole report; each stage's typed detail becomes a section (``report.sections``)."""
    parts = [_headline(report), _where(report.run), ""]
    if report.notes:
        parts += [*(f"- {escape_markdown(note)}" for note in report.notes), ""]
    if report.error is not None:
        parts.append(error_section(report.error))
    for model in report.models:
        parts.append(_model_section(model, collapse=collapse))
    parts.append(_timings(report, collapse=collapse))
    return "\n".join(parts).rstrip() + "\n"


def _headline(report: Report) -> str:
    status = report.status
    dry = " (dry run: nothing was written)" if report.dry_run else ""
    if report.error is not None:
        return f"### {ICONS[status]} mlops-ci: {error_headline(report.error)}{dry}"
    failed = [
        f"{escape_markdown(result.model)} {result.stage.value}"
        for model in report.models
        for result in model.results
        if result.status is Status.FAILED
    ]
    tail = f": {', '.join(failed)}" if failed else ""
    return f"### {ICONS[status]} mlops-ci: {HEADLINES[status]}{tail}{dry}"


def _where(run: RunInfo) -> str:
    bits = [escape_markdown(run.event)]
    if run.title:
        bits.append(f"“{escape_markdown(run.title[:120])}”")
    if run.ref:
        bits.append(f"{run.ref_kind} {escape_markdown(run.ref)}")
    if run.sha:
        bits.append(f"commit {escape_markdown(run.sha[:12])}")
    if run.run_url and run.run_url.startswith(("https://", "http://")):
        bits.append(f"[run log](<{run.run_url.replace('>', '%3E')}>)")
    bits.append(f"config {escape_markdown(run.config_id)}")
    return "<sub>" + " · ".join(bits) + "</sub>"


def _model_section(model: ModelReport, *, collapse: bool) -> str:
    lines = [f"#### {ICONS[model.status]} {escape_markdown(model.model)}", ""]
    rows = [
        [
            result.stage.value,
            f"{ICONS[result.status]} {result.status.value}",
            escape_markdown(result.summary),
        ]
        for result in model.results
    ]
    lines.append(table(["stage", "status", "summary"], rows))
    lines.append("")
    for result in model.results:
        section = None if result.detail is None else detail_section(result.detail)
        if section is None:
            continue
        summary = f"{result.stage.value}: {result.summary}"
        primary = result.stage.value == "evaluate"
        lines.append(section + "\n" if primary else details(summary, section, collapse=collapse))
    return "\n".join(lines)


def _timings(report: Report, *, collapse: bool) -> str:
    rows = [
        [escape_markdown(result.model), result.stage.value, f"{result.seconds:.1f}"]
        for model in report.models
        for result in model.results
    ]
    body = table(["model", "stage", "seconds"], rows)
    return details(f"Timings: {report.seconds:.1f} s in all", body, collapse=collapse)

