"""The drift statistic of each column against its threshold, as one Mermaid bar chart.

Columns are tested by different methods (a PSI, a Wasserstein distance, a p-value), so each
bar is the column's statistic *as a multiple of its threshold*, and the threshold is the line
at 1: a bar reaching past the line is a drifted column, whatever its method.

- distance methods (psi, wasserstein, jensenshannon): distance ÷ threshold;
- p-value methods (ks, chi2): log10 of the corrected p-value ÷ log10 of the threshold (a
  p-value at the threshold is 1, one a hundred times smaller at 0.05 is about 2.5).

A bar is drawn at most ``MAX_RATIO`` high (an infinite distance, a p-value of 0); the table
under the chart gives each column's bar, the drift table above it the statistic and threshold.
At most ``MAX_BARS`` columns, drifted first, then the nearest their threshold; the title says
how many were left out. The chart is horizontal, so column names read upright. Column names
are untrusted: ``mermaid_text`` in the chart, ``escape_markdown`` in the table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from mlops_ci.data.results import P_VALUE_METHODS, ColumnDriftResult, DriftResult
from mlops_ci.report.data_figures import VERDICT_LABELS, format_number
from mlops_ci.report.escape import escape_markdown
from mlops_ci.report.mermaid import Axis, Plot, chart_block

MAX_BARS = 20
MAX_RATIO = 10.0
P_FLOOR = 1e-300


def drift_chart_markdown(result: DriftResult) -> str:
    """The chart of the tested columns and its numbers; empty when none was tested."""
    tested = [column for column in result.columns if column.statistic is not None]
    if not tested:
        return ""
    shown = _nearest_drift_first(tested)[:MAX_BARS]
    left_out = len(tested) - len(shown)
    title = "Drift per column against its threshold"
    which = f" (the {len(shown)} of {len(tested)} nearest drift)" if left_out else ""
    ratios = tuple(ratio(column) for column in shown)
    plots = [Plot("bar", "blue", "statistic ÷ threshold", ratios),
             Plot("line", "red", "the threshold (1)", (1.0,) * len(shown))]
    x = Axis("column" + which, categories=tuple(column.column for column in shown))
    y = Axis("statistic ÷ threshold, drift beyond 1", 0.0, max(1.0, *ratios) * 1.1)
    # The drift table above holds each column's method, statistic and threshold.
    headers = ["column", "statistic ÷ threshold", "verdict"]
    rows = [[escape_markdown(c.column), format_number(bar), VERDICT_LABELS[c.verdict]]
            for c, bar in zip(shown, ratios, strict=True)]
    return chart_block(title + which, x, y, plots, headers, rows, horizontal=True)


def _p_value(column: ColumnDriftResult) -> float | None:
    return column.adjusted_p_value if column.adjusted_p_value is not None else column.p_value


def ratio(column: ColumnDriftResult) -> float:
    """The column's bar: its statistic as a multiple of its threshold (see the module doc)."""
    if column.method in P_VALUE_METHODS:
        p_value = _p_value(column)
        if p_value is None or math.isnan(p_value) or not 0 < column.threshold < 1:
            return 0.0
        value = math.log10(max(p_value, P_FLOOR)) / math.log10(column.threshold)
    else:
        statistic = column.statistic if column.statistic is not None else 0.0
        if math.isnan(statistic) or column.threshold <= 0:
            return 0.0
        value = statistic / column.threshold if math.isfinite(statistic) else MAX_RATIO
    return min(MAX_RATIO, max(0.0, value))


def _nearest_drift_first(columns: Sequence[ColumnDriftResult]) -> list[ColumnDriftResult]:
    return sorted(columns, key=lambda column: (not column.drifted, -ratio(column)))
