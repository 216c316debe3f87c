"""The monitoring issue as markdown: title, body with the trend, and its comments.

The body starts with the hidden history block (so a body shortened to GitHub's 65,536
characters still keeps its trend), then the verdict, the trend of the last runs as a
sparkline and a table, the drift table and the data-quality findings (``report.drift``,
``report.validation``) and the live quality (``report.feedback``). Every name that came from
data or config goes through ``escape_markdown``. Bodies depend only on their inputs (no
clock), so a rerun of the same run renders the same text and the forge sends no write.
``monitoring.act`` writes these texts through ``report.renderings``, never importing this.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlops_ci.config.model import MonitorSpec
from mlops_ci.monitoring.check import MonitorCheck
from mlops_ci.monitoring.history import HistoryEntry, history_block
from mlops_ci.monitoring.run import MonitorRunInfo
from mlops_ci.monitoring.served import ServedVersion
from mlops_ci.report.data_figures import STRONG_DRIFT_TEXT
from mlops_ci.report.drift import render_drift_markdown
from mlops_ci.report.escape import escape_markdown
from mlops_ci.report.feedback import feedback_markdown, verdict_markdown
from mlops_ci.report.trend_chart import trend_charts_markdown
from mlops_ci.report.validation import render_validation_markdown

SPARK = "▁▂▃▄▅▆▇█"


def dispatch_how(spec: MonitorSpec) -> str:
    """How retraining is requested, as the comments name it."""
    if spec.actions.workflow:
        return f"workflow_dispatch of {spec.actions.workflow}"
    return f"repository_dispatch {spec.actions.dispatch_event_type}"


def actions_line(spec: MonitorSpec) -> str | None:
    """The issue's line saying what a finding triggers, or ``None`` when nothing is."""
    if not spec.actions.dispatch:
        return None
    how = escape_markdown(dispatch_how(spec))
    return ("On each finding (drift, data-quality errors, a live-quality drop), retraining is "
            f"requested once per run ({how}).")


_FINDING_PHRASES = {"drift": "data drift", "data_errors": "data-quality errors",
                    "quality": "a live-quality drop",
                    "serving": "a deployed version unlike the registry's"}
MAX_COLUMNS_NAMED = 5


def issue_title(check: MonitorCheck) -> str:
    """The issue's title as a sentence naming what was found (plain text: GitHub shows
    titles as they are)."""
    subject = f"{check.model} {check.version}"
    kinds = check.finding_kinds()
    if kinds == ("quality",):
        return f"Live quality dropped for {subject} in production"
    if kinds == ("drift",):
        return f"Data drift in production for {subject}"
    if kinds == ("data_errors",):
        return f"Data-quality errors in production data for {subject}"
    if kinds == ("serving",):
        return f"Production serves another version than the registry's {subject}"
    if not kinds:
        return f"Production monitoring of {subject}"
    phrases = [_FINDING_PHRASES[kind] for kind in kinds]
    found = ", ".join(phrases[:-1]) + (", and " if len(phrases) > 2 else " and ") + phrases[-1]
    return f"{found[0].upper()}{found[1:]} in production for {subject}"


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
    """Every finding, and the drift measured even when it is not one: never "no drift"
    while a column drifted."""
    parts = []
    if check.drift is not None:
        parts.append(_drift_verdict(check))
    else:
        parts.append(f"⚪ drift not measured: {escape_markdown(check.drift_error or '')}")
    errors = check.data_errors
    if errors:
        parts.append(f"🔴 {errors} data-quality error{'s' if errors != 1 else ''}")
    if check.feedback is not None:
        parts.append(verdict_markdown(check.feedback))
    parts += [_served_text(answer) for answer in check.serving_mismatches]
    return "; ".join(parts)


def _served_text(answer: ServedVersion) -> str:
    where = f"{escape_markdown(answer.environment)} ({escape_markdown(answer.url)})"
    expected = escape_markdown(answer.expected)
    if not answer.serves_model:
        return (f"🔴 {where} does not serve the model; the registry's production version is "
                f"{expected}")
    served = ", ".join(escape_markdown(version) for version in answer.served)
    return f"🔴 {where} serves {served}, not the registry's production version {expected}"


def _drift_verdict(check: MonitorCheck) -> str:
    drift = check.drift
    assert drift is not None  # noqa: S101 -- the caller checked
    reason = escape_markdown(drift.reason)
    strong = check.strongly_drifted
    strong_text = f"strongly drifted: {_column_list(strong)} ({STRONG_DRIFT_TEXT})"
    if drift.drifted:
        return f"🔴 drift: {reason}" + (f"; {strong_text}" if strong else "")
    if strong:
        return f"🔴 column drift: {strong_text}; {reason}"
    if drift.drifted_columns:
        return f"🟡 {reason}"
    return f"🟢 no drift: {reason}"


def _column_list(columns: Sequence[str]) -> str:
    named = ", ".join(escape_markdown(name) for name in columns[:MAX_COLUMNS_NAMED])
    more = len(columns) - MAX_COLUMNS_NAMED
    return named + (f" and {more} more" if more > 0 else "")


def _run_link(entry_run: str, run: MonitorRunInfo, url: str | None) -> str:
    text = escape_markdown(entry_run)
    return f"[{text}]({url})" if url and entry_run == run.run_id else text


def trend_markdown(entries: Sequence[HistoryEntry], run: MonitorRunInfo) -> str:
    """The last runs as a sparkline of the drifted share and a table, oldest first.

    When any run measured feedback, the live metrics (and estimates, marked ≈) get columns of
    their own and a sparkline per live metric.
    """
    names = _live_names(entries)
    rows = []
    for entry in entries:
        share = "–" if entry.share_drifted is None else f"{entry.share_drifted:.0%}"
        columns = ", ".join(escape_markdown(name) for name in entry.drifted_columns)
        hidden = entry.drifted_count - len(entry.drifted_columns)
        if hidden > 0:
            columns += f" +{hidden}"
        verdict = "🔴" if entry.alert else "🟢"
        extra = "".join(f" {cell} |" for cell in _live_cells(entry, names))
        rows.append(
            f"| {_run_link(entry.run_id, run, run.url)} | {entry.at[:16].replace('T', ' ')} "
            f"| {escape_markdown(entry.version)} | {entry.rows:,} | {share} "
            f"| {columns or '–'} | {entry.data_errors:,} |{extra} {verdict} |"
        )
    extra_head = ""
    if names:
        extra_head = " labelled |" + "".join(f" live {escape_markdown(n)} |" for n in names)
        extra_head += " estimated accuracy |"
    sparks = [
        f"Live {escape_markdown(name)}, oldest to newest: `{live_sparkline(entries, name)}`"
        for name in names
    ]
    return "\n".join(
        [
            f"### Trend: last {len(entries)} run{'s' if len(entries) != 1 else ''}",
            "",
            f"Share of drifted columns, oldest to newest: `{sparkline(entries)}`",
            *(line for spark in sparks for line in ("", spark)),
            "",
            "| run | date (UTC) | version | rows | drifted share | drifted columns "
            f"| data errors |{extra_head} verdict |",
            "|---|---|---|---|---|---|---|" + "---|" * (len(names) + 2 if names else 0)
            + "---|",
            *rows,
        ]
    )


def _live_names(entries: Sequence[HistoryEntry]) -> tuple[str, ...]:
    if not any(entry.labelled_rows is not None for entry in entries):
        return ()
    names: dict[str, None] = {}
    for entry in entries:
        for name, _ in entry.live:
            names.setdefault(name, None)
    return tuple(names)[:3]


def _live_cells(entry: HistoryEntry, names: Sequence[str]) -> list[str]:
    if not names:
        return []
    labelled = "–" if entry.labelled_rows is None else f"{entry.labelled_rows:,}"
    values = dict(entry.live)
    cells = [labelled] + [
        f"{values[name]:.3f}" if name in values else "–"
        for name in names
    ]
    estimate = dict(entry.estimated).get("accuracy")
    cells.append("–" if estimate is None else f"≈ {estimate:.3f}")
    return cells


def live_sparkline(entries: Sequence[HistoryEntry], name: str) -> str:
    """One live metric over the runs, scaled between its lowest and highest (· not measured)."""
    values = [dict(entry.live).get(name) for entry in entries]
    known = [value for value in values if value is not None]
    if not known:
        return "·" * len(values)
    low, high = min(known), max(known)
    span = high - low or 1.0
    return "".join(
        "·" if value is None else SPARK[min(len(SPARK) - 1, int((value - low) / span * len(SPARK)))]
        for value in values
    )


def issue_body(
    check: MonitorCheck,
    entries: Sequence[HistoryEntry],
    run: MonitorRunInfo,
    *,
    notes: Sequence[str] = (),
    actions_line: str | None = None,
    max_rows: int | None = None,
) -> str:
    """The whole issue body (the forge adds the issue marker on top)."""
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
    threshold = None if check.drift is None else check.drift.share_threshold
    charts = trend_charts_markdown(entries, threshold)
    lines += ["", charts] if charts else []
    if check.drift is not None:
        lines += ["", render_drift_markdown(check.drift, max_rows=max_rows).rstrip("\n")]
    for result in check.validations:
        if result.findings:
            lines += ["", render_validation_markdown(result).rstrip("\n")]
    if check.feedback is not None:
        lines += ["", feedback_markdown(check.feedback).rstrip("\n")]
    quality = ", a live-quality drop" if check.feedback is not None else ""
    footer = (
        "_Kept up to date by `mlops-ci monitor` on its schedule: one issue per model, "
        f"closed by the first run without drift, data errors{quality} or an environment "
        "serving another version._"
    )
    if actions_line:
        lines += ["", actions_line]
    lines += ["", footer]
    return "\n".join(lines) + "\n"


def dispatch_comment(check: MonitorCheck, run: MonitorRunInfo, how: str) -> str:
    """The comment that gates the retraining dispatch of ``run`` (written once per run)."""
    return (
        f"🔁 Retraining requested for {escape_markdown(check.model)} "
        f"{escape_markdown(check.version)} by monitoring run {escape_markdown(run.run_id)} "
        f"({how}): {verdict_text(check)}."
    )


def dispatch_failed_comment(check: MonitorCheck, run: MonitorRunInfo, how: str) -> str:
    """The gate comment after GitHub refused the dispatch: a rerun of ``run`` sends it."""
    return (
        f"⚠️ Retraining of {escape_markdown(check.model)} {escape_markdown(check.version)} "
        f"could not be requested by monitoring run {escape_markdown(run.run_id)} ({how}): "
        "GitHub refused it after every retry. Rerunning the job sends it."
    )


def cleared_comment(check: MonitorCheck, run: MonitorRunInfo) -> str:
    return (
        f"🟢 Cleared by monitoring run {escape_markdown(run.run_id)}: production data of "
        f"{escape_markdown(check.model)} {escape_markdown(check.version)} shows "
        f"{verdict_text(check)}. Closing; a later drift reopens this issue."
    )
