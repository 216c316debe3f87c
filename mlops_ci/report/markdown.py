"""Render a ``Report`` as GitHub markdown: the PR comment and the job summary alike.

Pure: a report in, a string out. Every untrusted string (branch, PR title, model, metric and
column names) goes through ``escape_markdown``; tables are built with tabulate's GitHub
format from escaped cells, so a hostile name cannot add a column, a row, a link or a tag.
Detail sections are collapsed in ``<details>`` when ``collapse`` is set, so the comment
stays short and the forge can drop them first when it must shorten the comment.
"""

from __future__ import annotations

from collections.abc import Callable

from mlops_ci.report.escape import escape_markdown
from mlops_ci.report.model import ModelReport, Report, RunInfo
from mlops_ci.report.sections import drift_section, evaluation_section, validation_section
from mlops_ci.report.tables import details, table
from mlops_ci.stages.base import StageResult, Status

ICONS = {
    Status.PASSED: "✅",
    Status.FAILED: "❌",
    Status.SKIPPED: "⏭️",
    Status.WARNING: "⚠️",
}
HEADLINES = {
    Status.PASSED: "all checks passed",
    Status.FAILED: "checks failed",
    Status.SKIPPED: "nothing to do",
    Status.WARNING: "passed with warnings",
}

DetailRenderer = Callable[[object], "str | None"]


def render_report(
    report: Report,
    *,
    collapse: bool = True,
    renderers: tuple[DetailRenderer, ...] | None = None,
) -> str:
    """The whole report. ``renderers`` turn a stage's typed detail into a section."""
    chosen = renderers if renderers is not None else default_renderers()
    parts = [_headline(report), _where(report.run), ""]
    for model in report.models:
        parts.append(_model_section(model, chosen, collapse=collapse))
    parts.append(_timings(report, collapse=collapse))
    return "\n".join(parts).rstrip() + "\n"


def _headline(report: Report) -> str:
    status = report.status
    dry = " (dry run: nothing was written)" if report.dry_run else ""
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


def _model_section(
    model: ModelReport, renderers: tuple[DetailRenderer, ...], *, collapse: bool
) -> str:
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
        section = _detail(result, renderers)
        if section is None:
            continue
        summary = f"{result.stage.value}: {escape_markdown(result.summary)}"
        primary = result.stage.value == "evaluate"
        lines.append(section + "\n" if primary else details(summary, section, collapse=collapse))
    return "\n".join(lines)


def _detail(result: StageResult, renderers: tuple[DetailRenderer, ...]) -> str | None:
    if result.detail is None:
        return None
    for render in renderers:
        section = render(result.detail)
        if section is not None:
            return section
    return None


def _timings(report: Report, *, collapse: bool) -> str:
    rows = [
        [escape_markdown(result.model), result.stage.value, f"{result.seconds:.1f}"]
        for model in report.models
        for result in model.results
    ]
    body = table(["model", "stage", "seconds"], rows)
    return details(f"Timings: {report.seconds:.1f} s in all", body, collapse=collapse)


def default_renderers() -> tuple[DetailRenderer, ...]:
    return (evaluation_section, drift_section, validation_section)
