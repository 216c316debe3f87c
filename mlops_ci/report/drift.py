"""A ``DriftResult`` rendered twice, side by side: GitHub markdown and plain terminal text.

``render_drift_markdown`` is for PR comments, job summaries and the monitoring issue: every
name and value that came from the data goes through ``escape_markdown`` (table cells, notes)
or ``code_block`` (charts), so a hostile column name renders as inert text; tables are
tabulate's ``github`` format, numbers left as already-formatted strings.

``render_drift_text`` is what ``mlops-ci data drift`` and ``mlops-ci monitor`` print, where
``&lt;b&gt;`` or ``a\\|b`` would be noise: names and values are shown as they are, except what
``report.terminal`` changes (control characters and ANSI escapes become visible ``\\x1b``-style
text, and nothing is left that the Actions runner would obey as a workflow command). Each
value is made safe before it goes into a table (so columns stay aligned), and the whole text
once more, in case two values meet; tables are tabulate's ``simple`` format.

Same content and order in both; numbers, verdicts and titles read as in ``report.data_figures``.
"""

from __future__ import annotations

import dataclasses

from mlops_ci.data.results import DriftResult, Histogram
from mlops_ci.report.chart import histogram_lines, render_histogram
from mlops_ci.report.data_figures import (
    DRIFT_HEADERS,
    chart_caption,
    columns_worst_first,
    drift_notes,
    drift_rows,
    drift_summary,
    drift_title,
)
from mlops_ci.report.escape import escape_markdown
from mlops_ci.report.tables import table, text_table
from mlops_ci.report.terminal import defuse_workflow_commands, shown

_CHART_INDENT = "    "
MAX_HISTOGRAMS = 5  # per result in markdown: a comment holds 65,536 characters


def render_drift_markdown(result: DriftResult, *, max_rows: int | None = None) -> str:
    """The drift result as a heading, the verdict, a table, notes and charts of drifted columns
    (the first ``MAX_HISTOGRAMS`` of them; the terminal rendering shows every one)."""
    lines = [
        f"### Data drift: {drift_title(result)}",
        "",
        *drift_summary(result, escape_markdown),
    ]
    ordered = columns_worst_first(result)
    kept = ordered if max_rows is None else ordered[:max_rows]
    lines += ["", table(DRIFT_HEADERS, drift_rows(kept, result, escape_markdown))]
    if len(ordered) > len(kept):
        lines.append(f"\n…and {len(ordered) - len(kept):,} more columns without drift.")
    notes = [f"- {note}" for note in drift_notes(kept, result, escape_markdown)]
    if notes:
        lines += ["", *notes]
    charted = [(c, c.histogram) for c in kept if c.drifted and c.histogram is not None]
    for column, histogram in charted[:MAX_HISTOGRAMS]:
        lines += [
            "",
            f"**{escape_markdown(column.column)}**: {chart_caption(column)}",
            "",
            render_histogram(histogram),
        ]
    if len(charted) > MAX_HISTOGRAMS:
        more = len(charted) - MAX_HISTOGRAMS
        lines += ["", f"…and the histograms of {more} more drifted column{'s' if more != 1 else ''}"
                  ": `mlops-ci data drift` prints them all."]
    return "\n".join(lines) + "\n"


def _chart_text(histogram: Histogram) -> list[str]:
    labels = tuple(shown(label) for label in histogram.labels)
    lines = histogram_lines(dataclasses.replace(histogram, labels=labels))
    return [_CHART_INDENT + line for line in lines]


def render_drift_text(result: DriftResult) -> str:
    """The drift result: the verdict, a table of every column, notes, charts of drifted ones."""
    lines = [
        f"Data drift: {drift_title(result)}",
        *drift_summary(result, shown),
    ]
    ordered = columns_worst_first(result)
    lines += ["", text_table(DRIFT_HEADERS, drift_rows(ordered, result, shown))]
    notes = [f"  - {note}" for note in drift_notes(ordered, result, shown)]
    if notes:
        lines += ["", "Notes:", *notes]
    for column in ordered:
        if column.drifted and column.histogram is not None:
            lines += [
                "",
                f"Chart of {shown(column.column)}: {chart_caption(column)}",
                *_chart_text(column.histogram),
            ]
    return defuse_workflow_commands("\n".join(lines) + "\n")
