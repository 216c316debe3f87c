"""The drift statistic of each column against its threshold, as Mermaid bar charts.

One chart per drift method in the result (a PSI and a p-value are not on one scale), bars for
the columns, a line for the threshold, so "drift" always reads as a bar above the line:

- distance methods (psi, wasserstein, jensenshannon) plot the distance; an infinite distance
  is drawn at ``INFINITE_FACTOR`` times the threshold (the table says ∞);
- p-value methods (ks, chi2) plot ``-log10`` of the corrected p-value (``P_FLOOR`` for a
  p-value of 0), and the threshold likewise: a smaller p-value is a higher bar.

At most ``MAX_BARS`` columns per chart, the furthest above (or closest below) their threshold
first; the title says how many were left out. Column names are untrusted: ``mermaid_text`` in
the chart, ``escape_markdown`` in the caption and the table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from mlops_ci.data.results import P_VALUE_METHODS, ColumnDriftResult, DriftResult
from mlops_ci.report.data_figures import VERDICT_LABELS, format_number
from mlops_ci.report.escape import escape_markdown
from mlops_ci.report.mermaid import Axis, Plot, chart_block

MAX_BARS = 20
INFINITE_FACTOR = 5.0
P_FLOOR = 1e-300
_NAMES = {"psi": "PSI", "ks": "KS test", "chi2": "chi-squared test",
          "wasserstein": "Wasserstein distance", "jensenshannon": "Jensen-Shannon distance"}


def drift_charts_markdown(result: DriftResult) -> str:
    """A chart per method of the tested columns; empty when none was tested."""
    methods: dict[str, list[ColumnDriftResult]] = {}
    for column in result.columns:
        if column.statistic is not None:
            methods.setdefault(column.method, []).append(column)
    return "\n".join(_chart(method, columns) for method, columns in methods.items())


def drift_chart_count(result: DriftResult) -> int:
    return len({c.method for c in result.columns if c.statistic is not None})


def _height(column: ColumnDriftResult) -> float:
    """The bar of ``column``, on the scale where its threshold is ``_line(column)``."""
    statistic = column.statistic if column.statistic is not None else 0.0
    if column.method in P_VALUE_METHODS:
        p_value = _p_value(column)
        if p_value is None or not math.isfinite(p_value):
            return 0.0
        return 0.0 - math.log10(max(p_value, P_FLOOR))  # 0.0 - ...: never -0
    if math.isnan(statistic):
        return 0.0
    return INFINITE_FACTOR * column.threshold if math.isinf(statistic) else statistic


def _p_value(column: ColumnDriftResult) -> float | None:
    return column.adjusted_p_value if column.adjusted_p_value is not None else column.p_value


def _line(column: ColumnDriftResult) -> float:
    if column.method in P_VALUE_METHODS:
        return 0.0 - math.log10(max(column.threshold, P_FLOOR))
    return column.threshold


def _worst_first(columns: Sequence[ColumnDriftResult]) -> list[ColumnDriftResult]:
    def key(column: ColumnDriftResult) -> tuple[bool, float]:
        line = _line(column)
        return (not column.drifted, -(_height(column) / line if line > 0 else _height(column)))

    return sorted(columns, key=key)


def _chart(method: str, columns: Sequence[ColumnDriftResult]) -> str:
    shown = _worst_first(columns)[:MAX_BARS]
    p_values = method in P_VALUE_METHODS
    name = _NAMES.get(method, method)
    left_out = len(columns) - len(shown)
    title = f"Drift per column: {name}" + (
        f", the {len(shown)} of {len(columns)} columns nearest drift" if left_out else "")
    label = ("-log10 corrected p-value" if p_values else name) + ", drift above the line"
    heights = tuple(_height(c) for c in shown)
    lines = tuple(_line(c) for c in shown)
    top = max((*heights, *lines), default=1.0) * 1.1 or 1.0
    plots = [Plot("bar", "blue", "the column's " + ("-log10 p-value" if p_values else name),
                  heights),
             Plot("line", "red", "its threshold", lines)]
    x = Axis("column", categories=tuple(c.column for c in shown))
    y = Axis(label, 0.0, top)
    headers = ["column", "statistic", *(["p-value (corrected)"] if p_values else []),
               "threshold", "bar", "line", "verdict"]
    rows = [
        [escape_markdown(c.column), format_number(c.statistic),
         *([format_number(_p_value(c))] if p_values else []),
         format_number(c.threshold), format_number(height), format_number(line),
         VERDICT_LABELS[c.verdict]]
        for c, height, line in zip(shown, heights, lines, strict=True)
    ]
    return "\n".join([f"**{title}**", "", chart_block(title, x, y, plots, headers, rows)])
