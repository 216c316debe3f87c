"""Pure rendering of the monitoring issue: title, body with the trend, and its comments.

The body starts with the hidden history block (so a body shortened to GitHub's 65,536
characters still keeps its trend), then the verdict, the trend of the last runs as a
sparkline and a table, the drift table and the data-quality findings. Every name that came
from data or config goes through ``escape_markdown``; the renderers of ``data.markdown`` do the
same for the tables they draw. Bodies depend only on their inputs (no clock), so a rerun of
the same run renders the same text and the forge sends no write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mlops_ci.monitoring.check import MonitorCheck
from mlops_ci.monitoring.history import HistoryEntry, history_block
from mlops_ci.report.escape import escape_markdown

SPARK = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True, slots=True)
class RunInfo:
    """The run doing the monitoring, as the issue names it."""

    run_id: str
    at: str  # UTC, YYYY-MM-DDTHH:MM:SSZ
    attempt: int = 1
    url: str | None = None  # the run's page, when known


def issue_marker(model: str) -> str:
    """The key of the one monitoring issue of ``model`` (``<!-- mlops-ci:issue:KEY -->``)."""
    return f"monitor:{model}"


def issue_title(check: MonitorCheck) -> str:
    if check.drifted and check.data_errors:
        what = "drift and data-quality errors"
    elif check.data_errors:
        what = "data-quality errors"
    else:
        what = "drift"
    return f"Production {what}: {check.model} {check.version}"


def sparkline(entries: Sequence[HistoryEntry]) -> str:
    """The drifted share of each run as one block character (``·`` when not measured)."""
    marks = []
    for entry in entries:
        share = entry.share_drifted
        if share is None:
            marks.append("·")
        else:
            marks.append(SPARK[min(len(SPARK) - 1, int(share * len(SPARK)))])
    return "".join(marks)


def verdict_text(check: MonitorCheck) -> str:
    parts = []
    if check.drift is not None:
        state = "🔴 drift" if check.drift.drifted else "🟢 no drift"
        parts.append(f"{state}: {escape_markdown(check.drift.reason)}")
    else:
        parts.append(f"⚪ drift not measured: {escape_markdown(check.drift_error or '')}")
    errors = check.data_errors
    if errors:
        parts.append(f"🔴 {errors} data-quality error{'s' if errors != 1 else ''}")
    return "; ".join(parts)


def _run_link(entry_run: str, run: RunInfo, url: str | None) -> str:
    text = escape_markdown(entry_run)
    return f"[{text}]({url})" if url and entry_run == run.run_id else text


def trend_markdown(entries: Sequence[HistoryEntry], run: RunInfo) -> str:
    """The last runs as a sparkline of the drifted share and a table, oldest first."""
    rows = []
    for entry in entries:
        share = "–" if entry.share_drifted is None else f"{entry.share_drifted:.0%}"
        columns = ", ".join(escape_markdown(name) for name in entry.drifted_columns)
        hidden = entry.drifted_count - len(entry.drifted_columns)
        if hidden > 0:
            columns += f" +{hidden}"
        verdict = "🔴" if entry.alert else "🟢"
        rows.append(
            f"| {_run_link(entry.run_id, run, run.url)} | {entry.at[:16].replace('T', ' ')} "
            f"| {escape_markdown(entry.version)} | {entry.rows:,} | {share} "
            f"| {columns or '–'} | {entry.data_errors:,} | {verdict} |"
        )
    return "\n".join(
        [
            f"### Trend: last {len(entries)} run{'s' if len(entries) != 1 else ''}",
            "",
            f"Share of drifted columns, oldest to newest: `{sparkline(entries)}`",
            "",
            "| run | date (UTC) | version | rows | drifted share | drifted columns "
            "| data errors | verdict |",
            "|---|---|---|---|---|---|---|---|",
            *rows,
        ]
    )


def issue_body(
    check: MonitorCheck,
    entries: Sequence[HistoryEntry],
    run: RunInfo,
    *,
    notes: Sequence[str] = (),
    actions_line: str | None = None,
    max_rows: int | None = None,
) -> str:
    """The whole issue body (the forge adds the issue marker on top)."""
    from mlops_ci.data.markdown import render_drift_markdown, render_validation_markdown

    model = escape_markdown(check.model)
    version = escape_markdown(check.version)
    files = ", ".join(escape_markdown(name) for name in check.production)
    reference = check.reference
    where = (
        f"{escape_markdown(reference.relative.as_posix())} at {reference.commit[:12]}"
        if reference.at_version
        else f"{escape_markdown(reference.relative.as_posix())} (workspace copy)"
    )
    run_text = f"[{escape_markdown(run.run_id)}]({run.url})" if run.url else escape_markdown(
        run.run_id
    )
    lines = [
        history_block(entries),
        f"## Production monitoring: {model} {version}",
        "",
        f"Run {run_text} compared {check.rows:,} rows of production data ({files}) with the "
        f"reference data of {model} {version} ({where}).",
        "",
        f"**Verdict:** {verdict_text(check)}",
    ]
    all_notes = [*notes]
    if reference.note:
        all_notes.append(reference.note)
    if all_notes:
        lines += ["", *(f"> ⚠️ {escape_markdown(note)}" for note in all_notes)]
    lines += ["", trend_markdown(entries, run)]
    if check.drift is not None:
        lines += ["", render_drift_markdown(check.drift, max_rows=max_rows).rstrip("\n")]
    for result in check.validations:
        if result.findings:
            lines += ["", render_validation_markdown(result).rstrip("\n")]
    footer = (
        "_Kept up to date by `mlops-ci monitor` on its schedule: one issue per model, "
        "closed by the first run without drift or data errors._"
    )
    if actions_line:
        lines += ["", actions_line]
    lines += ["", footer]
    return "\n".join(lines) + "\n"


def dispatch_comment(check: MonitorCheck, run: RunInfo, how: str) -> str:
    """The comment that gates the retraining dispatch of ``run`` (written once per run)."""
    return (
        f"🔁 Retraining requested for {escape_markdown(check.model)} "
        f"{escape_markdown(check.version)} by monitoring run {escape_markdown(run.run_id)} "
        f"({how}): {verdict_text(check)}."
    )


def cleared_comment(check: MonitorCheck, run: RunInfo) -> str:
    return (
        f"🟢 Cleared by monitoring run {escape_markdown(run.run_id)}: production data of "
        f"{escape_markdown(check.model)} {escape_markdown(check.version)} shows "
        f"{verdict_text(check)}. Closing; a later drift reopens this issue."
    )
